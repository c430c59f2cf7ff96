"""Runs the real server as a child process for tests and benchmarks: `provisioner serve` on free ports."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ADMIN_PASSWORD = "test admin password 42"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to right now (for TFTP)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """One `provisioner serve` process with its own data directory and ports, on 127.0.0.1."""

    def __init__(self, data_dir: Path, extra_args: tuple[str, ...] = (), env: dict[str, str] | None = None,
                 admin_password: str | None = ADMIN_PASSWORD):
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.tftp_port = free_udp_port()  # every server runs TFTP too; --tftp-port in extra_args wins
        self.sip_udp_port, self.sip_tcp_port = free_udp_port(), free_port()  # and SIP, never on 5060
        self.extra_args = extra_args
        self.env = {**os.environ, "PROVISIONER_HTTP_ADDRESS": "127.0.0.1", "PROVISIONER_LOGGING_FORMAT": "json",
                    "PROVISIONER_TFTP_ADDRESS": "127.0.0.1", "PROVISIONER_TFTP_PORT": str(self.tftp_port),
                    "PROVISIONER_SIP_ADDRESS": "127.0.0.1", "PROVISIONER_SIP_UDP_PORT": str(self.sip_udp_port),
                    "PROVISIONER_SIP_TCP_PORT": str(self.sip_tcp_port), **(env or {})}
        if admin_password:
            self.env["PROVISIONER_ADMIN_PASSWORD"] = admin_password
        self.process: subprocess.Popen | None = None
        self.log_path = self.data_dir / "server-test.log"
        self.ready_seconds: float | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> "ServerProcess":
        """Start the process and wait for /healthz to answer 200 (bounded by `timeout`)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "provisioner", "serve", "--data-dir", str(self.data_dir / "var"),
                 "--http-port", str(self.port), *self.extra_args],
                stdout=log, stderr=subprocess.STDOUT, env=self.env,
            )
        deadline = started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        self.ready_seconds = time.monotonic() - started
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server not ready after {timeout} s:\n{self.log()}")

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, then wait; returns the exit status."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
            raise

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    # -- HTTP -------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None, token: str | None = None,
                headers: dict[str, str] | None = None, timeout: float = 10.0) -> tuple[int, dict[str, str], Any]:
        """One HTTP request; returns (status, headers, parsed JSON or text)."""
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                status, answer_headers, raw = answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            status, answer_headers, raw = error.code, dict(error.headers), error.read()
        text = raw.decode("utf-8", "replace")
        try:
            return status, answer_headers, json.loads(text) if text else None
        except json.JSONDecodeError:
            return status, answer_headers, text

    def token(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> str:
        """A fresh API token for a user, obtained by signing in like a client would."""
        import http.cookiejar

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login = urllib.request.Request(self.base + "/api/v1/session", method="POST",
                                       data=json.dumps({"username": username, "password": password}).encode(),
                                       headers={"Content-Type": "application/json"})
        opener.open(login, timeout=10).read()
        xsrf = next(c.value for c in jar if c.name == "_xsrf")
        issue = urllib.request.Request(self.base + "/api/v1/tokens", method="POST",
                                       data=json.dumps({"name": "tests"}).encode(),
                                       headers={"Content-Type": "application/json", "X-XSRFToken": xsrf})
        return json.loads(opener.open(issue, timeout=10).read())["token"]


# -- processes --------------------------------------------------------------------------


def wait_until(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    """Poll `condition` every 50 ms for at most `seconds`; whether it became true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def nx_running(pid: int) -> bool:
    """Whether `pid` is a live NX-27017 process (a zombie has no command line)."""
    try:
        return b"nx_27017" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def child_pids(pid: int) -> list[int]:
    """The direct children of a process: its embedded database and its workers."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rpartition(")")[2].split()[1]) == pid:
                    children.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue
    return children
