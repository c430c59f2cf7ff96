"""Every create the API answered 201 survives a `kill -9` of the server process, and the server starts again
whether its database child died with it or was left running."""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from server_process import ServerProcess, nx_running, wait_until

pytestmark = pytest.mark.slow

KILL_AFTER = 25  # answered creates before the kill
MAX_CREATES = 400  # bounds the writer if the kill never lands (and fits in one page)
WRITER_SECONDS = 60.0
STATE_FILE = Path("var/run/nx-27017.json")


def create_until_failure(server: ServerProcess, token: str, created: list[str], stop: threading.Event) -> None:
    """POST numbered customers, recording the reference of each one answered 201, until the server is gone."""
    deadline = time.monotonic() + WRITER_SECONDS
    for n in range(MAX_CREATES):
        if stop.is_set() or time.monotonic() > deadline:
            return
        reference = f"KILL-{n:05d}"
        try:
            status, _, _ = server.request("POST", "/api/v1/customers", {"reference": reference, "name": f"Customer {n}"},
                                          token=token, timeout=5)
        except (OSError, http.client.HTTPException):
            return
        if status == 201:
            created.append(reference)




# "stale state file": the database child dies with the server (PDEATHSIG) and only its state file is left.
# "live orphan": the child is frozen first, so it outlives the server and the next start must end it.
@pytest.mark.parametrize("freeze_database", [False, True], ids=["stale-state-file", "live-orphan"])
def test_answered_creates_survive_kill9_of_the_server(tmp_path: Path, freeze_database: bool) -> None:
    server = ServerProcess(tmp_path)
    created: list[str] = []
    stop = threading.Event()
    writer: threading.Thread | None = None
    old_db_pid = 0
    try:
        server.start()
        token = server.token()
        old_db_pid = json.loads((tmp_path / STATE_FILE).read_text())["db_pid"]
        writer = threading.Thread(target=create_until_failure, args=(server, token, created, stop), daemon=True)
        writer.start()
        deadline = time.monotonic() + 30
        while len(created) < KILL_AFTER and writer.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(created) >= KILL_AFTER, f"only {len(created)} creates answered before the deadline"

        if freeze_database:
            os.kill(old_db_pid, signal.SIGSTOP)
        server.kill()  # SIGKILL, mid-stream
        writer.join(15)
        assert not writer.is_alive()
        answered = list(created)
        print(f"\n{len(answered)} creates answered before the kill")
        assert (tmp_path / STATE_FILE).exists()
        if freeze_database:
            assert nx_running(old_db_pid)
        else:
            assert wait_until(lambda: not nx_running(old_db_pid), 10.0), "the database outlived the server"

        server.start()
        token = server.token()
        status, _, listing = server.request("GET", "/api/v1/customers?per_page=500", token=token)
        assert status == 200
        stored = {item["reference"] for item in listing["items"]}
        assert listing["total"] == len(stored)
        assert set(answered) <= stored, sorted(set(answered) - stored)[:10]
        assert not nx_running(old_db_pid)
        new_db_pid = json.loads((tmp_path / STATE_FILE).read_text())["db_pid"]
        assert new_db_pid != old_db_pid and nx_running(new_db_pid)
        assert server.stop() == 0
    finally:
        stop.set()
        server.kill()
        if writer is not None:
            writer.join(15)
        if old_db_pid and nx_running(old_db_pid):  # only if the test failed before the restart ended it
            os.kill(old_db_pid, signal.SIGKILL)
