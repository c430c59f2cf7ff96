"""Acknowledged writes survive a `kill -9` of the embedded database server."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pymongo
import pytest
from pymongo.errors import DuplicateKeyError, PyMongoError
from pymongo.write_concern import WriteConcern

from provisioner.embedded_db import EmbeddedDatabase

KILL_AFTER = 300  # acknowledged inserts before the kill
MAX_WRITES = 50_000  # bounds the writer if the kill never lands
WAIT_SECONDS = 60.0


def payload(n: int) -> str:
    return f"device-{n:06d}-" + "x" * 200


def write_until_failure(uri: str, concern: WriteConcern, acked: list[int], stop: threading.Event) -> None:
    """Insert numbered documents, recording each one the server acknowledged."""
    client: pymongo.MongoClient = pymongo.MongoClient(
        uri, serverSelectionTimeoutMS=2000, socketTimeoutMS=2000, retryWrites=False,
    )
    coll = client.kill9.devices.with_options(write_concern=concern)
    try:
        for n in range(MAX_WRITES):
            if stop.is_set():
                return
            try:
                coll.insert_one({"n": n, "payload": payload(n)})
            except PyMongoError:
                return
            acked.append(n)
    finally:
        client.close()


# The driver's default (what our code uses) and j=True, which NX-27017 maps to
# SQLite's synchronous=FULL; both must survive the death of the process.
@pytest.mark.parametrize("concern", [WriteConcern(), WriteConcern(w=1, j=True)], ids=["default", "w1-journal"])
def test_acknowledged_writes_survive_kill9(tmp_path: Path, concern: WriteConcern) -> None:
    first = EmbeddedDatabase(tmp_path)
    uri = first.start()
    setup: pymongo.MongoClient = pymongo.MongoClient(uri)
    setup.kill9.devices.create_index("n", unique=True)
    setup.close()

    acked: list[int] = []
    stop = threading.Event()
    writer = threading.Thread(target=write_until_failure, args=(uri, concern, acked, stop), daemon=True)
    writer.start()
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while len(acked) < KILL_AFTER and writer.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(acked) >= KILL_AFTER, f"only {len(acked)} writes acknowledged in {WAIT_SECONDS:g} s"
        os.kill(first.pid, signal.SIGKILL)
        writer.join(WAIT_SECONDS)
        assert not writer.is_alive(), "the writer did not notice the dead server"
    finally:
        stop.set()
        writer.join(5)
        first.stop()  # reaps the killed process; leaves a later state file alone

    with EmbeddedDatabase(tmp_path) as second:
        client: pymongo.MongoClient = pymongo.MongoClient(second.uri)
        try:
            coll = client.kill9.devices
            stored = {doc["n"]: doc["payload"] for doc in coll.find({}, {"_id": 0})}
            missing = sorted(set(acked) - stored.keys())
            assert not missing, f"{len(missing)} acknowledged writes lost, first {missing[:10]}"
            assert all(stored[n] == payload(n) for n in acked)
            # At most the one insert in flight at the kill may exist unacknowledged.
            assert set(stored) - set(acked) <= {acked[-1] + 1}
            with pytest.raises(DuplicateKeyError):
                coll.insert_one({"n": acked[0], "payload": "duplicate"})
            with pytest.raises(DuplicateKeyError):
                coll.insert_one({"n": acked[-1], "payload": "duplicate"})
        finally:
            client.close()
