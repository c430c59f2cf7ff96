"""Several worker processes on one port: both serve, a dead worker comes back, and a signal stops them all."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from server_process import ServerProcess

pytestmark = pytest.mark.slow


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _workers(server: ServerProcess) -> set[int]:
    return {pid for pid in _children(server.process.pid)
            if b"nx_27017" not in Path(f"/proc/{pid}/cmdline").read_bytes()}


def _wait(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_workers_share_the_port_restart_and_stop_together(tmp_path):
    server = ServerProcess(tmp_path, extra_args=("--workers", "2")).start()
    try:
        assert _wait(lambda: len(_workers(server)) == 2)
        assert _wait(lambda: server.log().count("ready (pid") == 2)
        token = server.token()
        answered = {server.request("GET", "/api/v1/customers", token=token)[0] for _ in range(20)}
        assert answered == {200}
        metrics = server.request("GET", "/metrics", token=token)[2]
        assert 'provisioner_http_requests_total{method="GET",route="/api/v1/customers",status="200"} 20.0' in metrics

        victim = min(_workers(server))
        os.kill(victim, signal.SIGKILL)
        assert _wait(lambda: "starting it again" in server.log())
        assert _wait(lambda: len(_workers(server)) == 2 and victim not in _workers(server))
        assert server.request("GET", "/healthz")[0] == 200
        workers = _workers(server)
    finally:
        status = server.stop()
    assert status == 0
    assert _wait(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 5)
    assert not (tmp_path / "var" / "run" / "nx-27017.json").exists()
