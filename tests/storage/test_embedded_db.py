"""The embedded NX-27017 server: start, stop, ownership of the data directory,
crash clean-up, and dying with its parent."""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pymongo
import pytest

from provisioner import embedded_db
from provisioner.embedded_db import (
    DatabaseInUse,
    DatabaseStartError,
    EmbeddedDatabase,
    find_running,
)


def state_path(data_dir: Path) -> Path:
    return data_dir / "run" / "nx-27017.json"


def write_state(data_dir: Path, *, owner_pid: int, db_pid: int, port: int = 1) -> None:
    path = state_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "db_pid": db_pid, "port": port, "owner_pid": owner_pid,
        "started_at": "2024-01-01T00:00:00+00:00",
    }))


def process_gone(pid: int) -> bool:
    """True if `pid` no longer runs (a zombie waiting for its reaper counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process_gone(pid):
            return True
        time.sleep(0.05)
    return process_gone(pid)


def dead_pid() -> int:
    """The pid of a process that has already exited."""
    proc = subprocess.Popen(["true"])
    proc.wait(5)
    return proc.pid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ping(uri: str) -> None:
    client: pymongo.MongoClient = pymongo.MongoClient(uri, serverSelectionTimeoutMS=3000)
    try:
        client.admin.command("ping")
    finally:
        client.close()


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen]:
    """A live process that is not a database server."""
    proc = subprocess.Popen(["sleep", "120"])
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait(5)


def test_start_answers_and_stop_removes_process_and_state(tmp_path: Path) -> None:
    database = EmbeddedDatabase(tmp_path)
    uri = database.start()
    try:
        assert uri == database.uri
        ping(uri)
        pid = database.pid
        assert pid is not None
        state = json.loads(state_path(tmp_path).read_text())
        assert state["db_pid"] == pid and state["owner_pid"] == os.getpid()
        assert uri.endswith(f":{state['port']}/?directConnection=true")
        assert (tmp_path / "log" / "nx-27017.log").is_file()
    finally:
        database.stop()
    assert wait_gone(pid, 5)
    assert not state_path(tmp_path).exists()
    assert database.pid is None
    database.stop()  # idempotent


def test_second_database_on_same_data_dir_is_refused(tmp_path: Path) -> None:
    with EmbeddedDatabase(tmp_path) as first:
        with pytest.raises(DatabaseInUse):
            EmbeddedDatabase(tmp_path).start()
        ping(first.uri)  # the refused start left the running one alone


def test_live_foreign_owner_is_refused(tmp_path: Path, sleeper: subprocess.Popen) -> None:
    write_state(tmp_path, owner_pid=sleeper.pid, db_pid=dead_pid())
    with pytest.raises(DatabaseInUse) as refused:
        EmbeddedDatabase(tmp_path).start()
    assert str(tmp_path.resolve()) in str(refused.value)
    assert str(sleeper.pid) in str(refused.value)
    assert state_path(tmp_path).exists()


def test_orphan_from_crashed_owner_is_stopped(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (tmp_path / "db").mkdir()
    port = free_port()
    orphan = subprocess.Popen(
        [sys.executable, "-m", "nx_27017.nx_27017",
         "--data-dir", str(tmp_path.resolve() / "db"), "--host", "127.0.0.1",
         "-p", str(port), "--pid-file", str(run_dir / "nx-27017.pid"),
         "--log-file", os.devnull],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        ping(f"mongodb://127.0.0.1:{port}/?directConnection=true")
        write_state(tmp_path, owner_pid=dead_pid(), db_pid=orphan.pid, port=port)
        with EmbeddedDatabase(tmp_path) as database:
            assert orphan.wait(1) is not None  # stopped by start()
            assert database.pid != orphan.pid
            ping(database.uri)
    finally:
        if orphan.poll() is None:
            orphan.kill()
            orphan.wait(5)


def test_stale_state_with_dead_pids_is_ignored(tmp_path: Path) -> None:
    write_state(tmp_path, owner_pid=dead_pid(), db_pid=dead_pid())
    with EmbeddedDatabase(tmp_path) as database:
        ping(database.uri)
        assert json.loads(state_path(tmp_path).read_text())["db_pid"] == database.pid


def test_live_unrelated_db_pid_is_never_killed(tmp_path: Path, sleeper: subprocess.Popen) -> None:
    write_state(tmp_path, owner_pid=dead_pid(), db_pid=sleeper.pid)
    with EmbeddedDatabase(tmp_path) as database:
        ping(database.uri)
    time.sleep(0.2)
    assert sleeper.poll() is None


def test_database_dies_when_its_parent_is_killed(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from provisioner.embedded_db import EmbeddedDatabase
        database = EmbeddedDatabase(Path({str(tmp_path)!r}))
        database.start()
        print(database.pid, flush=True)
        time.sleep(120)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    nx_pid = None
    try:
        ready, _, _ = select.select([parent.stdout], [], [], 30)
        assert ready, "the parent did not report the database pid within 30 s"
        nx_pid = int(parent.stdout.readline())
        assert not process_gone(nx_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(5)
        assert wait_gone(nx_pid, 10), "the database outlived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(5)
        if nx_pid is not None and not process_gone(nx_pid):
            os.kill(nx_pid, signal.SIGKILL)


def test_find_running_returns_uri_only_while_running(tmp_path: Path) -> None:
    assert find_running(tmp_path) is None
    database = EmbeddedDatabase(tmp_path)
    uri = database.start()
    try:
        assert find_running(tmp_path) == uri
    finally:
        database.stop()
    assert find_running(tmp_path) is None


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port on 127.0.0.1 that another socket is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_port_taken_meanwhile_is_retried(tmp_path: Path, taken_port: int,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    ports = iter([taken_port])
    real_free_port = embedded_db._free_port
    monkeypatch.setattr(embedded_db, "_free_port", lambda: next(ports, None) or real_free_port())
    with EmbeddedDatabase(tmp_path) as database:
        ping(database.uri)
        assert not database.uri.endswith(f":{taken_port}/?directConnection=true")


def test_failed_start_raises_with_log_tail(tmp_path: Path, taken_port: int,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded_db, "_free_port", lambda: taken_port)
    with pytest.raises(DatabaseStartError) as failed:
        EmbeddedDatabase(tmp_path).start()
    message = str(failed.value)
    assert str(tmp_path.resolve()) in message
    assert "address already in use" in message  # from the log's last lines
    assert not state_path(tmp_path).exists()
