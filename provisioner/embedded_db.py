"""Run the embedded NX-27017 database server as a child process of ours.

NX-27017 speaks the MongoDB wire protocol over SQLite files, so a fresh
machine needs no MongoDB. Nothing on PyPI manages an NX-27017 child process
(its own ``--daemon`` mode double-forks away from us, and its pid file alone
cannot tell a crashed run from a live one), so this module does: it picks a
free port, starts the server with its files under one data directory, waits
until it answers, records who owns it in a state file, refuses to share the
directory with another live server, cleans up an orphan left by a crash, and
makes the child die with us.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pymongo
import pymongo.errors

from provisioner.child_processes import die_with_parent_hook, pid_alive, terminate

__all__ = ["DatabaseInUse", "DatabaseStartError", "EmbeddedDatabase",
           "EmbeddedDatabaseError", "find_running"]

STATE_FILE = Path("run") / "nx-27017.json"
PID_FILE = Path("run") / "nx-27017.pid"
LOG_FILE = Path("log") / "nx-27017.log"
DB_DIR = Path("db")

_START_ATTEMPTS = 3
_ORPHAN_GRACE = 5.0
_LOG_TAIL_LINES = 20
# Runs nx's entry point directly: `-m nx_27017.nx_27017` works too but warns
# (the package __init__ imports that module), and the console script depends
# on PATH. The command line still names nx_27017, which orphan detection needs.
_NX_BOOTSTRAP = "import sys; from nx_27017.nx_27017 import main; sys.exit(main())"


class EmbeddedDatabaseError(RuntimeError):
    """Base class for the embedded database's errors."""


class DatabaseInUse(EmbeddedDatabaseError):
    """Another live server process already owns this data directory."""


class DatabaseStartError(EmbeddedDatabaseError):
    """The database server did not start or did not answer in time."""


def _uri(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?directConnection=true"


def _is_our_nx(pid: int, db_dir: Path) -> bool:
    """True if `pid` is an NX-27017 server on `db_dir` (guards against pid reuse)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    text = cmdline.decode(errors="replace")
    return ("nx_27017" in text or "nx-27017" in text) and str(db_dir) in text


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_running(data_dir: Path) -> str | None:
    """The URI of the embedded database a live server runs on `data_dir`, else None."""
    state = _read_state(Path(data_dir) / STATE_FILE) or {}
    alive = pid_alive(state.get("owner_pid")) and pid_alive(state.get("db_pid"))
    return _uri(state["port"]) if alive and isinstance(state.get("port"), int) else None


class EmbeddedDatabase:
    """One NX-27017 server process with its files under `data_dir`."""

    def __init__(self, data_dir: Path, start_timeout: float = 20.0) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None

    @property
    def uri(self) -> str:
        """The MongoDB URI of the running server."""
        if self._port is None:
            raise EmbeddedDatabaseError("the embedded database is not running")
        return _uri(self._port)

    @property
    def pid(self) -> int | None:
        """The server's process id, or None when it is not running."""
        return self._proc.pid if self._proc is not None else None

    def __enter__(self) -> EmbeddedDatabase:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> str:
        """Start the server (unless already started) and return its URI."""
        if self._proc is not None and self._proc.poll() is None:
            return self.uri
        for sub in (DB_DIR, STATE_FILE.parent, LOG_FILE.parent):
            (self.data_dir / sub).mkdir(parents=True, exist_ok=True)
        self._clear_previous_run()
        deadline = time.monotonic() + self.start_timeout
        attempts = 0
        while attempts < _START_ATTEMPTS and time.monotonic() < deadline:
            attempts += 1  # an early exit is most likely a port taken meanwhile
            self._spawn(_free_port())
            if self._wait_until_ready(deadline):
                self._write_state()
                return self.uri
            self._kill_child()
        raise DatabaseStartError(
            f"NX-27017 did not start under {self.data_dir} "
            f"({attempts} attempt(s), {self.start_timeout:g} s); "
            f"last lines of {self.data_dir / LOG_FILE}:\n{self._log_tail()}"
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after `timeout`); idempotent."""
        if self._proc is None:
            return
        state = _read_state(self.data_dir / STATE_FILE)
        if state and state.get("db_pid") == self._proc.pid:
            (self.data_dir / STATE_FILE).unlink(missing_ok=True)
        self._kill_child(timeout)

    def _clear_previous_run(self) -> None:
        """Refuse a live foreign owner; kill an orphaned server; drop stale files."""
        state_path = self.data_dir / STATE_FILE
        state = _read_state(state_path)
        if state:
            owner, db_pid = state.get("owner_pid"), state.get("db_pid")
            db_alive = pid_alive(db_pid) and _is_our_nx(db_pid, self.data_dir / DB_DIR)
            if pid_alive(owner) and (owner != os.getpid() or db_alive):
                raise DatabaseInUse(
                    f"another server (pid {owner}) uses the data directory "
                    f"{self.data_dir}; stop it or choose another data directory"
                )
            if db_alive:  # the owner crashed and left its database running
                terminate(db_pid, _ORPHAN_GRACE)
        state_path.unlink(missing_ok=True)
        # nx refuses to start while its pid file names a live process, and
        # after a crash that pid may have been reused by anything.
        (self.data_dir / PID_FILE).unlink(missing_ok=True)

    def _spawn(self, port: int) -> None:
        log_path = self.data_dir / LOG_FILE
        with open(log_path, "ab") as log:
            stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
            log.write(f"--- {stamp} starting NX-27017 on port {port}\n".encode())
            log.flush()
            # nx logs to stderr and to --log-file alike; send all of it through
            # stderr so tracebacks land in the same file and lines are not doubled.
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _NX_BOOTSTRAP,
                 "--data-dir", str(self.data_dir / DB_DIR),
                 "--host", "127.0.0.1", "-p", str(port),
                 "--pid-file", str(self.data_dir / PID_FILE),
                 "--log-file", os.devnull],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=self.data_dir, preexec_fn=die_with_parent_hook(),
            )
        self._port = port

    def _wait_until_ready(self, deadline: float) -> bool:
        """Ping until the server answers; False if it exits or time runs out."""
        assert self._proc is not None and self._port is not None
        client: pymongo.MongoClient[dict[str, Any]] = pymongo.MongoClient(
            _uri(self._port), serverSelectionTimeoutMS=250,
            connectTimeoutMS=250, socketTimeoutMS=2000,
        )
        try:
            while time.monotonic() < deadline and self._proc.poll() is None:
                try:
                    client.admin.command("ping")
                    return True
                except pymongo.errors.PyMongoError:
                    time.sleep(0.05)
            return False
        finally:
            client.close()

    def _kill_child(self, timeout: float = 5.0) -> None:
        proc, self._proc, self._port = self._proc, None, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5.0)

    def _write_state(self) -> None:
        assert self._proc is not None
        state = {"db_pid": self._proc.pid, "port": self._port, "owner_pid": os.getpid(),
                 "started_at": datetime.now(timezone.utc).isoformat()}
        path = self.data_dir / STATE_FILE
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, path)

    def _log_tail(self) -> str:
        try:
            lines = (self.data_dir / LOG_FILE).read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-_LOG_TAIL_LINES:])
