"""The SIP bindings store over the real database: saves only queue, a flush writes the last save of each
account in one bulk write, deletes go, expired bindings are not loaded, and close() writes what is left."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from inventory.registrations import Registration
from provisioner.sip_store import MongoBindingStore, from_document, to_document
from provisioner.storage import ensure_indexes
from sip_core.location import Binding


def binding(contact: str, expires_at: float, cseq: int = 1, **more) -> Binding:
    return Binding(contact=contact, expires_at=expires_at, call_id="call-1", cseq=cseq, transport="udp",
                   host="203.0.113.7", port=5062, registered_at=expires_at - 300, **more)


@pytest.fixture
def store(mongo_db):
    ensure_indexes()
    store = MongoBindingStore(flush_seconds=3600)  # flushed by hand, unless a test starts the thread
    yield store
    store.close()


def stored() -> dict[str, dict]:
    return {raw["_id"]: raw for raw in Registration._get_collection().find({})}


def test_a_binding_round_trips_through_its_stored_form():
    now = time.time()
    original = (binding("sip:u1@203.0.113.7:5062", now + 300, instance="<urn:uuid:1>", user_agent="Yealink SIP-T46U 1.2",
                        q=0.5), binding("sip:u1@203.0.113.7:5064", now + 100))
    document = to_document("u1", original)
    assert document["_id"] == "u1" and document["expires_at"].timestamp() == pytest.approx(now + 300, abs=0.001)
    assert from_document(document) == original


def test_saves_only_queue_and_a_flush_writes_the_last_save_of_each_account(store):
    now = time.time()
    for cseq in (1, 2, 3):
        store.save("u1", (binding("sip:u1@203.0.113.7:5062", now + 100 * cseq, cseq=cseq),))
    store.save("u2", (binding("sip:u2@203.0.113.8:5062", now + 300),))
    assert stored() == {} and store.writer.pending() == 2
    assert store.flush() == 2
    written = stored()
    assert set(written) == {"u1", "u2"}
    (only,) = from_document(written["u1"])
    assert only.cseq == 3 and only.expires_at == pytest.approx(now + 300)
    assert isinstance(written["u1"]["expires_at"], dt.datetime)
    assert store.load(now) == {"u1": (only,), "u2": from_document(written["u2"])}


def test_no_bindings_deletes_the_registration(store):
    now = time.time()
    store.save("u1", (binding("sip:u1@203.0.113.7:5062", now + 300),))
    store.flush()
    store.save("u1", ())
    store.save("u9", ())  # never registered: nothing to delete, and no error
    assert store.flush() == 2
    assert stored() == {}


def test_expired_bindings_are_not_loaded(store):
    now = time.time()
    store.save("u1", (binding("sip:u1@203.0.113.7:5062", now + 300), binding("sip:u1@203.0.113.7:5064", now - 5)))
    store.save("u2", (binding("sip:u2@203.0.113.8:5062", now - 1),))
    store.flush()
    loaded = store.load(now)
    assert list(loaded) == ["u1"] and [b.contact for b in loaded["u1"]] == ["sip:u1@203.0.113.7:5062"]


def test_the_thread_flushes_within_its_interval_and_close_writes_the_rest(mongo_db):
    ensure_indexes()
    store = MongoBindingStore(flush_seconds=0.1)
    store.start()
    try:
        store.save("u1", (binding("sip:u1@203.0.113.7:5062", time.time() + 300),))
        deadline = time.monotonic() + 2
        while "u1" not in stored() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "u1" in stored()
    finally:
        store.writer.interval = 3600  # the next save waits for close()
        time.sleep(0.15)
        store.save("u2", (binding("sip:u2@203.0.113.8:5062", time.time() + 300),))
        store.close()
    assert set(stored()) == {"u1", "u2"}


def test_a_failed_flush_keeps_the_writes_and_newer_saves_win(store, monkeypatch):
    from pymongo.errors import AutoReconnect

    now = time.time()
    store.save("u1", (binding("sip:u1@203.0.113.7:5062", now + 100, cseq=1),))
    original = store.writer.write

    def unreachable(batch):
        store.save("u1", (binding("sip:u1@203.0.113.7:5062", now + 200, cseq=2),))  # arrives during the write
        raise AutoReconnect("database away")

    store.writer.write = unreachable
    assert store.flush() == 0 and store.writer.pending() == 1
    store.writer.write = original
    assert store.flush() == 1
    (only,) = from_document(stored()["u1"])
    assert only.cseq == 2
