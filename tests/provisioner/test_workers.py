"""Several worker processes on one port: both serve, a dead worker comes back, and a signal stops them all."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from server_process import ServerProcess, child_pids, nx_running, wait_until

pytestmark = pytest.mark.slow


def _workers(server: ServerProcess) -> set[int]:
    return {pid for pid in child_pids(server.process.pid) if not nx_running(pid)}


def test_workers_share_the_port_restart_and_stop_together(tmp_path):
    server = ServerProcess(tmp_path, extra_args=("--workers", "2")).start()
    try:
        assert wait_until(lambda: len(_workers(server)) == 2, 10)
        assert wait_until(lambda: server.log().count("ready (pid") == 2, 10)
        token = server.token()
        answered = {server.request("GET", "/api/v1/customers", token=token)[0] for _ in range(20)}
        assert answered == {200}
        metrics = server.request("GET", "/metrics", token=token)[2]
        assert 'provisioner_http_requests_total{method="GET",route="/api/v1/customers",status="200"} 20.0' in metrics

        victim = min(_workers(server))
        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: "starting it again" in server.log(), 10)
        assert wait_until(lambda: len(_workers(server)) == 2 and victim not in _workers(server), 10)
        assert server.request("GET", "/healthz")[0] == 200
        workers = _workers(server)
    finally:
        status = server.stop()
    assert status == 0
    assert wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 5)
    assert not (tmp_path / "var" / "run" / "nx-27017.json").exists()
