"""Storage conformance: every query and update pattern our code relies on, in the form the code sends it.

Runs against the embedded NX-27017 server by default, or against a real MongoDB when
PROVISIONER_TEST_MONGODB_URI is set (a replica set, for the transaction tests); every test passes on
both. A pattern the code starts to use gets a test here first. Patterns NX-27017 0.8.1 gets wrong are
pinned in test_embedded_defects.py instead; docs/storage.rst says how the code steers around them.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any

import mongoengine as me
import pytest
from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, DeleteOne, ReplaceOne, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from inventory.references import Reference

ON_EMBEDDED_DB = not os.environ.get("PROVISIONER_TEST_MONGODB_URI")


class ConformanceSite(me.Document):
    """A customer site: what lines and devices refer to."""

    name = me.StringField(required=True)
    meta = {"collection": "conformance_sites"}


class ConformanceLine(me.Document):
    """Shaped like our lines: a text reference to the site, unique per site, an optional unique number."""

    site = Reference(ConformanceSite, required=True)
    extension = me.StringField(required=True)
    number = me.StringField()
    meta = {
        "collection": "conformance_lines",
        "indexes": [{"fields": ["site", "extension"], "unique": True},
                    {"fields": ["number"], "unique": True, "sparse": True}],
    }


class ConformanceDevice(me.Document):
    """Shaped like our equipment: unique MAC, a version, text references, an unindexed list of references."""

    mac = me.StringField(required=True)
    state = me.StringField(default="in_stock")
    version = me.IntField(default=1)
    site = Reference(ConformanceSite)
    lines = me.ListField(Reference(ConformanceLine))
    updated_at = me.DateTimeField()
    delivered_on = me.DateField()
    # No index on `lines`: NX-27017 finds nothing in an indexed array.
    meta = {"collection": "conformance_devices", "indexes": [{"fields": ["mac"], "unique": True}, "site", "state"]}


class ConformanceEvent(me.Document):
    """Shaped like inventory.events.Event: the record's id as text, before/after snapshots."""

    at = me.DateTimeField(required=True)
    actor = me.StringField(required=True)
    action = me.StringField(required=True)
    collection = me.StringField(required=True)
    object_id = me.StringField(required=True)
    before = me.DictField()
    after = me.DictField()
    request_id = me.StringField(default="")
    meta = {
        "collection": "conformance_events",
        "indexes": [("collection", "object_id", "at"), "-at", "request_id"],
        "ordering": ["-at"],
    }


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def prefix(text: str) -> dict[str, str]:
    """The case-insensitive prefix pattern of the API's `q` search."""
    return {"$regex": "^" + re.escape(text), "$options": "i"}


# --- uniqueness -------------------------------------------------------------------------


def test_unique_index_refuses_duplicates(mongo_db: Database) -> None:
    coll = mongo_db.devices
    coll.create_index("mac", unique=True)
    coll.insert_one({"mac": "001122334455"})
    with pytest.raises(DuplicateKeyError) as refused:
        coll.insert_one({"mac": "001122334455"})
    assert refused.value.code == 11000
    assert coll.count_documents({}) == 1


def test_unique_index_refuses_duplicates_mongoengine(mongo_db: Database) -> None:
    ConformanceDevice(mac="001122334455").save(force_insert=True)
    with pytest.raises(me.NotUniqueError):
        ConformanceDevice(mac="001122334455").save(force_insert=True)
    assert ConformanceDevice.objects.count() == 1


def test_sparse_unique_index_allows_many_missing(mongo_db: Database) -> None:
    coll = mongo_db.lines
    coll.create_index("number", unique=True, sparse=True)
    coll.insert_many([{"extension": f"10{i}"} for i in range(3)])
    coll.insert_one({"extension": "103", "number": "+33123456789"})
    with pytest.raises(DuplicateKeyError) as refused:
        coll.insert_one({"extension": "104", "number": "+33123456789"})
    assert refused.value.code == 11000
    assert coll.count_documents({}) == 4


def test_unique_indexes_on_a_reference_and_text_mongoengine(mongo_db: Database) -> None:
    hq, annex = ConformanceSite(name="HQ").save(), ConformanceSite(name="Annex").save()
    for extension in ("101", "102"):
        ConformanceLine(site=hq, extension=extension).save(force_insert=True)  # no number: sparse
    ConformanceLine(site=annex, extension="101", number="+33123456789").save(force_insert=True)
    with pytest.raises(me.NotUniqueError):
        ConformanceLine(site=hq, extension="101").save(force_insert=True)
    with pytest.raises(me.NotUniqueError):
        ConformanceLine(site=hq, extension="103", number="+33123456789").save(force_insert=True)
    assert ConformanceLine.objects.count() == 3


# --- references as text ids -------------------------------------------------------------


@pytest.fixture
def fleet(mongo_db: Database) -> dict[str, Any]:
    """Two sites, three lines and three devices, referring to each other through `Reference`."""
    hq, annex = ConformanceSite(name="HQ").save(), ConformanceSite(name="Annex").save()
    l1, l2 = ConformanceLine(site=hq, extension="101").save(), ConformanceLine(site=hq, extension="102").save()
    l3 = ConformanceLine(site=annex, extension="101").save()
    devices = [
        ConformanceDevice(mac="a", site=hq, lines=[l1, l2]).save(),
        ConformanceDevice(mac="b", site=annex, lines=[l3]).save(),
        ConformanceDevice(mac="c").save(),
    ]
    return {"hq": hq, "annex": annex, "lines": (l1, l2, l3), "devices": devices}


def test_references_are_stored_as_text_and_followed(fleet: dict[str, Any]) -> None:
    hq, (l1, l2, _) = fleet["hq"], fleet["lines"]
    raw = ConformanceDevice._get_collection().find_one({"mac": "a"})
    assert raw["site"] == str(hq.pk) and raw["lines"] == [str(l1.pk), str(l2.pk)]
    loaded = ConformanceDevice.objects.get(mac="a")
    assert loaded.site == hq and loaded.site.name == "HQ"
    assert [line.extension for line in loaded.lines] == ["101", "102"]
    assert [line.site.name for line in loaded.lines] == ["HQ", "HQ"]


def test_reference_equality_in_and_count_mongoengine(fleet: dict[str, Any]) -> None:
    hq, annex = fleet["hq"], fleet["annex"]

    def macs(**query: Any) -> list[str]:
        return sorted(d.mac for d in ConformanceDevice.objects(**query))

    assert macs(site=hq) == ["a"]
    assert macs(site=hq.pk) == ["a"]  # an ObjectId, as the token listing passes it
    assert macs(site__in=[hq, annex]) == ["a", "b"]
    assert macs(site__ne=hq) == ["b", "c"]
    assert macs(site=None) == ["c"]
    assert ConformanceDevice.objects(site=hq).count() == 1
    assert ConformanceDevice.objects(site__in=[hq, annex]).count() == 2
    assert ConformanceLine.objects(site=hq).count() == 2


def test_reference_list_membership_mongoengine(fleet: dict[str, Any]) -> None:
    l1, l2, l3 = fleet["lines"]
    assert [d.mac for d in ConformanceDevice.objects(lines=l2)] == ["a"]
    assert sorted(d.mac for d in ConformanceDevice.objects(lines__in=[l2, l3])) == ["a", "b"]
    assert ConformanceDevice.objects(lines=l1).count() == 1
    assert ConformanceDevice.objects(lines__in=[l1, l3]).count() == 2


def test_text_references_pymongo(fleet: dict[str, Any]) -> None:
    # What the API sends: list filters, and the check that refuses to delete a referenced record.
    devices, lines = ConformanceDevice._get_collection(), ConformanceLine._get_collection()
    hq, annex, l3 = str(fleet["hq"].pk), str(fleet["annex"].pk), str(fleet["lines"][2].pk)
    assert [d["mac"] for d in devices.find({"site": hq})] == ["a"]
    assert devices.count_documents({"site": hq}) == 1
    assert lines.count_documents({"site": hq}) == 2
    assert [d["mac"] for d in devices.find({"lines": l3})] == ["b"]
    assert devices.count_documents({"lines": l3}) == 1
    assert devices.count_documents({"site": {"$in": [hq, annex]}}) == 2
    assert devices.count_documents({"lines": str(ObjectId())}) == 0


def test_add_to_set_and_pull_text_ids(fleet: dict[str, Any]) -> None:
    l1, l2, _ = fleet["lines"]
    device = fleet["devices"][2]
    for line in (l1, l1, l2):
        ConformanceDevice.objects(pk=device.pk).update_one(add_to_set__lines=line)
    coll = ConformanceDevice._get_collection()
    assert coll.find_one({"_id": device.pk})["lines"] == [str(l1.pk), str(l2.pk)]
    coll.update_one({"_id": device.pk}, {"$pull": {"lines": str(l1.pk)}})
    coll.update_one({"_id": device.pk}, {"$addToSet": {"lines": str(l2.pk)}})
    assert coll.find_one({"_id": device.pk})["lines"] == [str(l2.pk)]
    assert [line.pk for line in ConformanceDevice.objects.get(pk=device.pk).lines] == [l2.pk]


# --- versioned writes (inventory/versioned.py) --------------------------------------------


def test_versioned_replace_matches_once(mongo_db: Database) -> None:
    coll = mongo_db.devices
    oid = coll.insert_one({"mac": "a", "state": "in_stock", "version": 1}).inserted_id
    first = {"_id": oid, "mac": "a", "state": "delivered", "version": 2}
    assert coll.replace_one({"_id": oid, "version": 1}, first).matched_count == 1
    stale = coll.replace_one({"_id": oid, "version": 1}, {"_id": oid, "mac": "a", "state": "scrapped", "version": 2})
    assert stale.matched_count == 0 and stale.modified_count == 0
    assert coll.find_one({"_id": oid}) == first
    assert coll.find_one({"_id": oid}, {"version": 1}) == {"_id": oid, "version": 2}


def test_versioned_replace_keeps_datetimes(mongo_db: Database) -> None:
    device = ConformanceDevice(mac="a", updated_at=utc(2026, 1, 2, 3, 4, 5, 123000)).save(force_insert=True)
    device.updated_at, device.delivered_on, device.version = utc(2026, 2, 1, 9, 30, 0, 456000), date(2026, 2, 1), 2
    coll = ConformanceDevice._get_collection()
    assert coll.replace_one({"_id": device.pk, "version": 1}, device.to_mongo().to_dict()).matched_count == 1
    raw = coll.find_one({"_id": device.pk})
    assert isinstance(raw["updated_at"], datetime) and raw["updated_at"] == utc(2026, 2, 1, 9, 30, 0, 456000)
    assert raw["delivered_on"] == utc(2026, 2, 1)
    assert coll.count_documents({"updated_at": {"$gte": utc(2026, 2, 1)}}) == 1
    reloaded = ConformanceDevice.objects.get(pk=device.pk)
    assert (reloaded.updated_at, reloaded.delivered_on, reloaded.version) == (device.updated_at, date(2026, 2, 1), 2)


def test_versioned_replace_refused_by_a_unique_index(mongo_db: Database) -> None:
    ConformanceDevice(mac="a").save(force_insert=True)
    device = ConformanceDevice(mac="b").save(force_insert=True)
    coll = ConformanceDevice._get_collection()
    device.mac, device.version = "a", 2
    with pytest.raises(DuplicateKeyError) as refused:
        coll.replace_one({"_id": device.pk, "version": 1}, device.to_mongo().to_dict())
    assert refused.value.code == 11000
    assert coll.find_one({"_id": device.pk}, {"_id": 0, "mac": 1, "version": 1}) == {"mac": "b", "version": 1}
    # How the clash is named: another record holding the value.
    assert coll.find_one({"mac": "a", "_id": {"$ne": device.pk}}, {"_id": 1}) is not None
    assert coll.find_one({"mac": "b", "_id": {"$ne": device.pk}}, {"_id": 1}) is None


def test_delete_one_conditional_on_version(mongo_db: Database) -> None:
    coll = mongo_db.devices
    oid = coll.insert_one({"mac": "a", "version": 3}).inserted_id
    assert coll.delete_one({"_id": oid, "version": 2}).deleted_count == 0
    assert coll.find_one({"_id": oid}) is not None
    assert coll.delete_one({"_id": oid, "version": 3}).deleted_count == 1
    assert coll.find_one({"_id": oid}) is None


def test_current_date_stores_a_datetime(mongo_db: Database) -> None:
    # ApiToken.touch (unconditional) and ApiToken.revoke (only while not revoked).
    coll = mongo_db.api_tokens
    oid = coll.insert_one({"digest": "d1", "created_at": utc(2026, 1, 1)}).inserted_id
    before = datetime.now(timezone.utc) - timedelta(minutes=10)  # the server's clock
    coll.update_one({"_id": oid}, {"$currentDate": {"last_used_at": True}})
    assert coll.update_one({"_id": oid, "revoked_at": None}, {"$currentDate": {"revoked_at": True}}).matched_count == 1
    stored = coll.find_one({"_id": oid})
    assert coll.update_one({"_id": oid, "revoked_at": None}, {"$currentDate": {"revoked_at": True}}).matched_count == 0
    after = datetime.now(timezone.utc) + timedelta(minutes=10)
    for name in ("last_used_at", "revoked_at"):
        assert isinstance(stored[name], datetime) and before < stored[name] < after
    assert coll.find_one({"_id": oid})["revoked_at"] == stored["revoked_at"]


def test_generation_counter_inc_upsert(mongo_db: Database) -> None:
    # inventory/generation.py: every record write bumps one fixed document; caches compare its value.
    coll = mongo_db.generation
    assert coll.find_one({"_id": "records"}, {"value": 1}) is None
    for _ in range(3):
        coll.update_one({"_id": "records"}, {"$inc": {"value": 1}}, upsert=True)
    assert coll.find_one({"_id": "records"}, {"value": 1}) == {"_id": "records", "value": 3}
    assert coll.count_documents({}) == 1


def test_claim_by_find_one_and_update_on_state_then_write_scalar_lists(mongo_db: Database) -> None:
    # inventory/resync_requests.py: ids found through the `state` index, each taken by one conditional
    # find_one_and_update by _id (state, then the claim token read), results $set as lists of scalars.
    coll = mongo_db.resync_requests
    coll.create_index("state")
    oid = coll.insert_one({"state": "queued", "claim": "", "attempts": 0, "requested_at": utc(2026, 11, 26)}).inserted_id
    assert [found["_id"] for found in coll.find({"state": "queued"}, {"_id": 1}).sort("_id", 1)] == [oid]
    take = {"$set": {"state": "taken", "claim": "c1"}, "$inc": {"attempts": 1},
            "$currentDate": {"taken_at": True, "heartbeat_at": True}}
    taken = coll.find_one_and_update({"_id": oid, "state": "queued"}, take, return_document=ReturnDocument.AFTER)
    assert (taken["state"], taken["claim"], taken["attempts"]) == ("taken", "c1", 1)
    assert isinstance(taken["taken_at"], datetime) and isinstance(taken["requested_at"], datetime)
    assert coll.find_one_and_update({"_id": oid, "state": "queued"}, take) is None
    again = {"$set": {"claim": "c2"}, "$inc": {"attempts": 1}, "$currentDate": {"heartbeat_at": True}}
    assert coll.find_one_and_update({"_id": oid, "state": "taken", "claim": "c1"}, again)["claim"] == "c1"
    assert coll.find_one_and_update({"_id": oid, "state": "taken", "claim": "c1"}, again) is None
    results = {"$set": {"result_macs": ["805ec0000001", "805ec0000002"], "result_statuses": [200, 0],
                        "result_reasons": ["OK", ""], "state": "done"}, "$currentDate": {"done_at": True}}
    assert coll.update_one({"_id": oid, "state": "taken", "claim": "c1"}, results).matched_count == 0
    assert coll.update_one({"_id": oid, "state": "taken", "claim": "c2"}, results).matched_count == 1
    stored = coll.find_one({"_id": oid})
    assert stored["result_macs"] == ["805ec0000001", "805ec0000002"] and stored["result_statuses"] == [200, 0]
    assert stored["result_reasons"] == ["OK", ""] and stored["attempts"] == 2
    assert isinstance(stored["done_at"], datetime) and isinstance(stored["heartbeat_at"], datetime)
    assert list(coll.find({"state": "queued"}, {"_id": 1})) == [] and list(coll.find({"state": "taken"})) == []


def test_lock_taken_by_conditional_write_or_insert_under_a_chosen_id(mongo_db: Database) -> None:
    # inventory/booking_locks.py: taken on its empty holder or by inserting it, released on the holder's token,
    # a stale one taken over on the exact holder and integer expiry read.
    coll = mongo_db.booking_locks
    key = "technician:0123456789abcdef01234567"
    assert coll.update_one({"_id": key, "holder": ""}, {"$set": {"holder": "a", "expires_ms": 10}}).matched_count == 0
    coll.insert_one({"_id": key, "holder": "a", "expires_ms": 1_790_000_000_000})
    with pytest.raises(DuplicateKeyError):
        coll.insert_one({"_id": key, "holder": "b", "expires_ms": 1_790_000_000_001})
    assert coll.update_one({"_id": key, "holder": ""}, {"$set": {"holder": "b"}}).matched_count == 0
    assert coll.update_one({"_id": key, "holder": "b"}, {"$set": {"holder": ""}}).matched_count == 0
    stale = {"_id": key, "holder": "a", "expires_ms": 1_790_000_000_000}
    assert coll.update_one(stale, {"$set": {"holder": "c", "expires_ms": 1_790_000_030_000}}).matched_count == 1
    assert coll.update_one(stale, {"$set": {"holder": "d"}}).matched_count == 0
    assert coll.find_one({"_id": key}) == {"_id": key, "holder": "c", "expires_ms": 1_790_000_030_000}
    assert coll.update_one({"_id": key, "holder": "c"}, {"$set": {"holder": "", "expires_ms": 0}}).matched_count == 1
    assert coll.update_one({"_id": key, "holder": ""}, {"$set": {"holder": "e", "expires_ms": 5}}).matched_count == 1


def test_range_of_text_dates_through_a_compound_index(mongo_db: Database) -> None:
    # inventory/appointments.py: a technician's visits by equality on the technician and a range of "YYYY-MM-DD".
    coll = mongo_db.appointments
    coll.create_index([("technician", ASCENDING), ("day", ASCENDING)])
    for technician, day in (("t1", "2026-03-28"), ("t1", "2026-03-29"), ("t1", "2026-03-31"), ("t1", "2026-04-01"),
                            ("t2", "2026-03-30"), ("t1", "2026-12-31")):
        coll.insert_one({"technician": technician, "day": day, "start": utc(2026, 3, 1)})
    found = coll.find({"technician": "t1", "day": {"$gte": "2026-03-29", "$lte": "2026-03-31"}}, {"day": 1, "_id": 0})
    assert sorted(raw["day"] for raw in found) == ["2026-03-29", "2026-03-31"]


# --- lifecycle moves and their outbox (inventory/transitions.py) --------------------------------


def test_move_replaces_on_version_and_state(mongo_db: Database) -> None:
    coll = mongo_db.devices
    oid = coll.insert_one({"mac": "a", "state": "staged", "version": 3}).inserted_id
    moved = {"_id": oid, "mac": "a", "state": "shipped", "version": 4}
    assert coll.replace_one({"_id": oid, "version": 3, "state": "shipped"}, moved).matched_count == 0
    assert coll.replace_one({"_id": oid, "version": 3, "state": "staged"}, moved).matched_count == 1
    assert coll.replace_one({"_id": oid, "version": 3, "state": "staged"}, moved).matched_count == 0
    assert coll.find_one({"_id": oid}) == moved


def test_outbox_rides_in_the_record_and_its_flag_clears_without_touching_times(mongo_db: Database) -> None:
    coll = mongo_db.devices
    coll.create_index("outbox_pending")
    event = {"id": str(ObjectId()), "at": utc(2026, 5, 17, 9, 30, 15, 250000), "action": "transition:ship",
             "before": {"state": "staged", "staged_at": utc(2026, 5, 16, 8, 0)},
             "after": {"state": "shipped", "shipped_at": utc(2026, 5, 17, 9, 30, 15, 250000)},
             "charges": {"0": {"reason": "missing accessory: cable", "amount_cents": 1500}}}
    document = {"mac": "a", "state": "shipped", "version": 2, "shipped_at": utc(2026, 5, 17, 9, 30, 15, 250000),
                "transition_keys": ["ship:k1"], "last_event": event, "outbox_pending": True}
    oid = coll.insert_one(dict(document)).inserted_id
    coll.insert_one({"mac": "b", "version": 1, "outbox_pending": False})
    assert [raw["_id"] for raw in coll.find({"outbox_pending": True}, {"_id": 1})] == [oid]
    # Cleared only while the version is the one that wrote the event.
    assert coll.update_one({"_id": oid, "version": 1, "outbox_pending": True},
                           {"$set": {"outbox_pending": False}}).matched_count == 0
    assert coll.update_one({"_id": oid, "version": 2, "outbox_pending": True},
                           {"$set": {"outbox_pending": False}}).matched_count == 1
    assert coll.find_one({"_id": oid}) == {"_id": oid, **document, "outbox_pending": False}
    assert list(coll.find({"outbox_pending": True})) == []


def test_insert_under_a_chosen_id_happens_once(mongo_db: Database) -> None:
    # The outbox's event and its charge lines are inserted under ids chosen before the write.
    chosen = ObjectId()
    mongo_db.events.insert_one({"_id": chosen, "action": "transition:check_in"})
    with pytest.raises(DuplicateKeyError) as again:
        mongo_db.events.insert_one({"_id": chosen, "action": "transition:check_in"})
    assert again.value.code == 11000
    assert [raw["_id"] for raw in mongo_db.events.find({})] == [chosen]


# --- bulk writes of the fetch log (inventory/provisioning_log.py) -----------------------------


def test_fetch_log_flush_bulk_writes(mongo_db: Database) -> None:
    batches, latest = mongo_db.fetch_batches, mongo_db.latest_fetches
    # A batch of fetches keeps its _id across tries: one whose answer was lost is not written twice.
    batch = {"_id": ObjectId(), "at": utc(2026, 5, 1, 8, 0, 0), "macs": ["m0", "m1", "m0"],
             "times": [utc(2026, 5, 1, 8, 0, i) for i in range(3)], "revisions": ["r0", "r1", "r2"]}
    batches.insert_one(batch)
    with pytest.raises(DuplicateKeyError):
        batches.insert_one(batch)
    stored = batches.find_one({"macs": "m1"})  # membership in a list of strings, without an index
    assert stored["times"] == batch["times"] and stored["macs"] == ["m0", "m1", "m0"]
    assert batches.find_one({"macs": "m9"}) is None
    # Each device's latest fetch, keyed by MAC as _id: replaced unless the stored one is newer (seconds
    # apart: NX-27017's filters compare datetimes to the second), inserted when there is none; a newer
    # stored one makes the upsert clash on _id, and that clash is the only error.
    latest.insert_many([{"_id": "a", "at": utc(2026, 5, 1, 8, 0, 0), "revision": "a1"},
                        {"_id": "b", "at": utc(2026, 5, 1, 8, 0, 9), "revision": "b9"}])
    with pytest.raises(BulkWriteError) as newer:
        latest.bulk_write([
            ReplaceOne({"_id": mac, "at": {"$lte": utc(2026, 5, 1, 8, 0, 5)}},
                       {"_id": mac, "at": utc(2026, 5, 1, 8, 0, 5), "revision": f"{mac}5"}, upsert=True)
            for mac in ("a", "b", "c")], ordered=False)
    assert [(error["index"], error["code"]) for error in newer.value.details["writeErrors"]] == [(1, 11000)]
    assert {found["_id"]: (found["revision"], found["at"]) for found in latest.find({})} == {
        "a": ("a5", utc(2026, 5, 1, 8, 0, 5)), "b": ("b9", utc(2026, 5, 1, 8, 0, 9)),
        "c": ("c5", utc(2026, 5, 1, 8, 0, 5))}


# --- SIP registrations (provisioner/sip_store.py) ------------------------------------------


def test_sip_registrations_bulk_replace_and_delete(mongo_db: Database) -> None:
    registrations = mongo_db.sip_registrations
    registrations.create_index("expires_at", expireAfterSeconds=0)
    later = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=1)
    binding = {"contact": "sip:u1@192.0.2.7:5062", "expires_at": 1.5e9, "cseq": 2, "instance": None, "q": 0.5}
    registrations.bulk_write([ReplaceOne({"_id": "u1"}, {"_id": "u1", "bindings": [binding], "expires_at": later},
                                         upsert=True),
                              ReplaceOne({"_id": "u2"}, {"_id": "u2", "bindings": [binding, binding], "expires_at": later},
                                         upsert=True), DeleteOne({"_id": "u9"})], ordered=False)
    moved = {**binding, "cseq": 3}
    registrations.bulk_write([ReplaceOne({"_id": "u1"}, {"_id": "u1", "bindings": [moved], "expires_at": later},
                                         upsert=True), DeleteOne({"_id": "u2"})], ordered=False)
    (stored,) = registrations.find({})
    assert stored == {"_id": "u1", "bindings": [moved], "expires_at": later}


# --- the stock import (inventory/stock_import.py) --------------------------------------------


def test_unordered_insert_many_inserts_the_rest_and_names_each_duplicate(mongo_db: Database) -> None:
    items = mongo_db.items
    items.create_index("serial", unique=True)
    items.create_index("mac", unique=True)
    items.insert_one({"serial": "S1", "mac": "m1"})
    batch = [{"serial": "S2", "mac": "m2"}, {"serial": "S1", "mac": "m3"}, {"serial": "S4", "mac": "m1"},
             {"serial": "S5", "mac": "m5"}]
    with pytest.raises(BulkWriteError) as clashed:
        items.insert_many(batch, ordered=False)
    # The position of each refused document, code 11000 for a unique index, whichever index it was.
    assert [(error["index"], error["code"]) for error in clashed.value.details["writeErrors"]] == [(1, 11000), (2, 11000)]
    assert clashed.value.details["nInserted"] == 2
    assert sorted(raw["serial"] for raw in items.find({})) == ["S1", "S2", "S5"]
    chosen = ObjectId()
    mongo_db.events.insert_one({"_id": chosen})
    with pytest.raises(BulkWriteError) as again:
        mongo_db.events.insert_many([{"_id": ObjectId()}, {"_id": chosen}], ordered=False)
    assert [(error["index"], error["code"]) for error in again.value.details["writeErrors"]] == [(1, 11000)]
    assert mongo_db.events.estimated_document_count() == 2


def test_outbox_flags_of_a_batch_cleared_by_ids(mongo_db: Database) -> None:
    coll = mongo_db.devices
    coll.create_index("outbox_pending")
    ids = coll.insert_many([{"n": n, "version": 1, "outbox_pending": True} for n in range(4)]).inserted_ids
    coll.update_one({"_id": ids[3]}, {"$set": {"version": 2}})  # moved on since: its own move delivers it
    result = coll.update_many({"_id": {"$in": ids[1:]}, "version": 1, "outbox_pending": True},
                              {"$set": {"outbox_pending": False}})
    assert result.matched_count == 2
    assert [raw["_id"] for raw in coll.find({"outbox_pending": True}, {"_id": 1}).sort("_id", 1)] == [ids[0], ids[3]]
    # `==`, not `is`: NX-27017 reads a boolean written by $set back as 0 (test_set_keeps_a_boolean_a_boolean).
    assert [raw["outbox_pending"] == False for raw in coll.find({"_id": {"$in": ids[1:3]}})] == [True, True]  # noqa: E712


def test_find_in_over_an_indexed_text_field(mongo_db: Database) -> None:
    coll = mongo_db.items
    coll.create_index("serial", unique=True)
    coll.insert_many([{"serial": f"S{n}", "mac": f"m{n}"} for n in range(10)])
    found = coll.find({"serial": {"$in": ["S3", "S7", "nope"]}}, {"serial": 1, "mac": 1, "_id": 0})
    assert sorted(found, key=lambda raw: raw["serial"]) == [{"serial": "S3", "mac": "m3"}, {"serial": "S7", "mac": "m7"}]


# --- reads ----------------------------------------------------------------------------


def test_find_by_id(mongo_db: Database) -> None:
    lines = [ConformanceLine(site=ObjectId(), extension=f"10{i}").save() for i in range(4)]
    coll = ConformanceLine._get_collection()
    assert coll.find_one({"_id": lines[2].pk})["extension"] == "102"
    assert coll.find_one({"_id": ObjectId()}) is None
    assert ConformanceLine.objects(pk=lines[1].pk).first().extension == "101"
    assert ConformanceLine.objects.get(pk=lines[3].pk).extension == "103"
    assert ConformanceLine.objects(pk=ObjectId()).first() is None
    found = ConformanceLine.objects(pk__in=[lines[0].pk, lines[3].pk, ObjectId()])  # checking references exist
    assert sorted(line.extension for line in found) == ["100", "103"]


def test_count_documents_with_plain_filters(mongo_db: Database) -> None:
    coll = mongo_db.users
    site = str(ObjectId())
    coll.insert_many([{"username": f"u{i:02}", "role": "admin" if i % 3 == 0 else "support", "epoch": i % 2,
                       "active": i % 4 != 0, "site": site if i < 5 else str(ObjectId())} for i in range(12)])
    for query, expected in [
        ({}, 12),
        ({"role": "admin"}, 4),
        ({"epoch": 1}, 6),
        ({"active": False}, 3),
        ({"active": True, "role": "support", "epoch": 0}, 2),
        ({"site": site}, 5),
        ({"site": site, "active": True}, 3),
        ({"username": "nobody"}, 0),
    ]:
        assert coll.count_documents(query) == expected, query
        assert len(list(coll.find(query))) == expected, query


def test_count_with_limit_mongoengine(mongo_db: Database) -> None:
    # The first start asks whether any user exists.
    assert ConformanceSite.objects.limit(1).count(with_limit_and_skip=True) == 0
    for name in ("HQ", "Annex"):
        ConformanceSite(name=name).save()
    assert ConformanceSite.objects.limit(1).count(with_limit_and_skip=True) == 1


def test_case_insensitive_prefix_search(mongo_db: Database) -> None:
    coll = mongo_db.customers
    coll.create_index("reference", unique=True)
    coll.create_index("name")
    coll.insert_many([
        {"reference": "C-001", "name": "ACME Corp", "active": True},
        {"reference": "C-002", "name": "acme west", "active": False},
        {"reference": "ACM-3", "name": "Bolt", "active": True},
        {"reference": "C-004", "name": "a.b (x) +33", "active": True},
        {"reference": "C-005", "name": "axb", "active": True},
    ])

    def search(q: str, **filters: Any) -> list[str]:
        query = {**filters, "$or": [{"reference": prefix(q)}, {"name": prefix(q)}]}
        found = sorted(d["reference"] for d in coll.find(query))
        assert coll.count_documents(query) == len(found)
        return found

    assert search("acm") == ["ACM-3", "C-001", "C-002"]
    assert search("ACME C") == ["C-001"]
    assert search("acm", active=True) == ["ACM-3", "C-001"]
    assert search("c-00") == ["C-001", "C-002", "C-004", "C-005"]
    assert search("A.B (X) +3") == ["C-004"]  # regex characters are matched literally
    assert search("cme") == []  # a prefix, not a substring


def paged(coll: Collection, sort: list[tuple[str, int]], size: int) -> list[Any]:
    """Every document id, fetched page by page as the API lists records."""
    seen, page = [], 0
    while True:
        batch = [d["_id"] for d in coll.find({}).sort(sort).skip(page * size).limit(size)]
        seen += batch
        if len(batch) < size:
            return seen
        page += 1


def test_sort_with_id_tie_breaker_skip_limit(mongo_db: Database) -> None:
    coll = mongo_db.equipment
    docs = [{"state": ("in_stock", "installed", "failed")[i % 3], "serial": f"s{i % 5}",
             "created_at": utc(2026, 1, 1 + i % 4)} for i in range(25)]
    for i, doc in enumerate(docs):
        if i % 4:
            doc["go_live"] = utc(2026, 3, 1 + i % 2)  # optional: absent sorts first ascending
    coll.insert_many(docs)

    def order(keys: list[tuple[str, int]]) -> list[ObjectId]:
        rows = sorted(docs, key=lambda d: d["_id"], reverse=keys[-1][1] < 0)
        for name, direction in reversed(keys):  # stable sorts, least significant key first
            rows.sort(key=lambda d: (name in d, d.get(name, 0)), reverse=direction < 0)
        return [d["_id"] for d in rows]

    for keys in ([("state", ASCENDING)], [("created_at", DESCENDING)], [("go_live", ASCENDING)],
                 [("go_live", DESCENDING)], [("state", ASCENDING), ("serial", DESCENDING)],
                 [("created_at", DESCENDING), ("state", ASCENDING)]):
        sort = keys + [("_id", keys[-1][1])]
        assert paged(coll, sort, 7) == order(keys), sort
    assert [d["serial"] for d in coll.find({"state": "failed"}).sort([("serial", DESCENDING), ("_id", DESCENDING)])
            .limit(3)] == ["s4", "s3", "s3"]


def test_event_listing_mongoengine(mongo_db: Database) -> None:
    record, other = str(ObjectId()), str(ObjectId())
    for i in range(9):
        ConformanceEvent(at=utc(2026, 5, 17, 9, i // 3), actor="alice" if i % 2 else "bob", action="update",
                         collection="equipment", object_id=record if i != 4 else other, request_id=f"r{i}").save()
    ConformanceEvent(at=utc(2026, 5, 18), actor="alice", action="create", collection="lines", object_id=record).save()
    events = ConformanceEvent.objects(collection="equipment", object_id=record).order_by("-at", "-id")
    expected = sorted(ConformanceEvent.objects(collection="equipment", object_id=record), key=lambda e: (e.at, e.pk),
                      reverse=True)
    assert events.count() == 8
    assert [e.pk for e in events.skip(0).limit(3)] + [e.pk for e in events.skip(3).limit(5)] == [e.pk for e in expected]
    assert ConformanceEvent.objects(actor="alice", collection="equipment").count() == 4
    assert [e.request_id for e in ConformanceEvent.objects(request_id="r4")] == ["r4"]
    assert ConformanceEvent.objects.first().collection == "lines"  # default ordering: newest first


def test_aggregation_match_group_sort(mongo_db: Database) -> None:
    coll = mongo_db.equipment
    customer = str(ObjectId())
    states = ["in_stock"] * 4 + ["installed"] * 3 + ["failed"] * 2 + ["scrapped"]
    coll.insert_many([{"state": s, "customer": customer} for s in states] + [{"state": "failed", "customer": "x"}])
    result = list(coll.aggregate([
        {"$match": {"customer": customer, "state": {"$ne": "scrapped"}}},
        {"$group": {"_id": "$state", "count": {"$sum": 1}}},
        {"$sort": {"count": -1, "_id": 1}},
    ]))
    assert result == [
        {"_id": "in_stock", "count": 4},
        {"_id": "installed", "count": 3},
        {"_id": "failed", "count": 2},
    ]


# --- TTL, events, datetimes -------------------------------------------------------------


def test_ttl_index_expires_documents(mongo_db: Database) -> None:
    coll = mongo_db.sessions
    coll.create_index("expires_at", expireAfterSeconds=0)
    assert any(index.get("expireAfterSeconds") == 0 for index in coll.index_information().values())
    now = datetime.now(timezone.utc)
    coll.insert_one({"token": "old", "expires_at": now - timedelta(hours=1)})
    coll.insert_one({"token": "new", "expires_at": now + timedelta(hours=1)})
    # MongoDB deletes expired documents in a background pass up to a minute
    # late, so code that must not see them filters on the expiry itself.
    assert [d["token"] for d in coll.find({"expires_at": {"$gt": now}})] == ["new"]
    if ON_EMBEDDED_DB:  # NX-27017 hides them at once
        assert [d["token"] for d in coll.find({})] == ["new"]
        assert coll.find_one({"token": "old"}) is None


SNAPSHOT_BEFORE = {
    "serial": "T54W-0001", "state": "delivered", "version": 3, "site": None, "lines": [],
    "created_at": utc(2026, 5, 1, 8, 0, 0, 250000), "updated_at": utc(2026, 5, 2, 8, 0),
}
SNAPSHOT_AFTER = {
    **SNAPSHOT_BEFORE, "state": "installed", "version": 4, "site": "6650a1b2c3d4e5f601234567",
    "lines": ["6650a1b2c3d4e5f601234568", "6650a1b2c3d4e5f601234569"],
    "updated_at": utc(2026, 5, 17, 9, 30, 15), "go_live_date": utc(2026, 5, 17),
    "notes": "Réception, 2ᵉ étage", "ranges": {"allowed": ["192.0.2.0/24"], "count": 1},
}


def test_nested_event_round_trip(mongo_db: Database) -> None:
    event = {"at": utc(2026, 5, 17, 9, 30, 15), "actor": "warehouse:alice", "action": "update",
             "collection": "equipment", "object_id": str(ObjectId()), "before": SNAPSHOT_BEFORE,
             "after": SNAPSHOT_AFTER, "request_id": "req-8f14e45f"}
    oid = mongo_db.events.insert_one(dict(event)).inserted_id
    assert mongo_db.events.find_one({"_id": oid}) == {"_id": oid, **event}


def test_nested_event_round_trip_mongoengine(mongo_db: Database) -> None:
    event = ConformanceEvent(at=utc(2026, 5, 17, 9, 30), actor="support:bob", action="update",
                             collection="equipment", object_id=str(ObjectId()), before=SNAPSHOT_BEFORE,
                             after=SNAPSHOT_AFTER, request_id="r1").save(force_insert=True)
    loaded = ConformanceEvent.objects.get(pk=event.pk)
    assert (loaded.before, loaded.after, loaded.request_id) == (SNAPSHOT_BEFORE, SNAPSHOT_AFTER, "r1")
    assert isinstance(loaded.after["updated_at"], datetime)


def test_datetime_round_trip_is_tz_aware(mongo_db: Database) -> None:
    paris_summer = timezone(timedelta(hours=2))
    stamp = datetime(2024, 7, 1, 10, 0, 0, 123000, tzinfo=paris_summer)
    oid = mongo_db.stamps.insert_one({"at": stamp}).inserted_id
    loaded = mongo_db.stamps.find_one({"_id": oid})["at"]
    assert loaded == stamp and loaded.utcoffset() == timedelta(0)
    device = ConformanceDevice(mac="a", updated_at=stamp).save()
    assert ConformanceDevice.objects.get(pk=device.pk).updated_at == stamp


# --- transactions -----------------------------------------------------------------------


def test_transaction_commits_two_collections(mongo_db: Database) -> None:
    # Created beforehand: older MongoDB releases cannot create collections
    # inside a transaction.
    mongo_db.create_collection("devices")
    mongo_db.create_collection("events")
    client = mongo_db.client
    with client.start_session() as session, session.start_transaction():
        oid = mongo_db.devices.insert_one({"mac": "a", "state": "in_stock"}, session=session).inserted_id
        mongo_db.events.insert_one({"object_id": str(oid), "action": "create"}, session=session)
    assert mongo_db.devices.find_one({"_id": oid})["state"] == "in_stock"
    assert [e["action"] for e in mongo_db.events.find({})] == ["create"]


def test_aborted_transaction_writes_nothing(mongo_db: Database) -> None:
    mongo_db.create_collection("devices")
    mongo_db.create_collection("events")
    with mongo_db.client.start_session() as session:
        with pytest.raises(RuntimeError), session.start_transaction():
            oid = mongo_db.devices.insert_one({"mac": "a"}, session=session).inserted_id
            mongo_db.events.insert_one({"object_id": str(oid)}, session=session)
            raise RuntimeError("request failed half-way")
    assert mongo_db.devices.count_documents({}) == 0
    assert mongo_db.events.count_documents({}) == 0


def test_range_filter_with_whole_second_bounds_is_exact(mongo_db: Database) -> None:
    # inventory/call_records.py: the days and months of call records, bounded at midnights (whole seconds),
    # where NX-27017's truncation of both sides to the second changes nothing. Newest first, paged on _id.
    coll = mongo_db.call_records
    coll.create_index([("caller_line", ASCENDING), ("start", DESCENDING)])
    first, after = utc(2026, 10, 31, 23), utc(2026, 11, 30, 23)
    starts = [first - timedelta(milliseconds=1), first, first + timedelta(milliseconds=500),
              after - timedelta(milliseconds=1), after, after + timedelta(milliseconds=999)]
    coll.insert_many([{"caller_line": "L1", "start": start, "n": n} for n, start in enumerate(starts)])
    found = coll.find({"caller_line": "L1", "start": {"$gte": first, "$lt": after}})
    assert [d["n"] for d in found.sort([("start", -1), ("_id", -1)])] == [3, 2, 1]
    assert [d["n"] for d in coll.find({"start": {"$gte": after}}).sort([("start", 1), ("_id", 1)])] == [4, 5]
    assert [d["n"] for d in coll.find({"start": {"$lt": first}})] == [0]
    page = coll.find({"caller_line": "L1"}).sort([("start", -1), ("_id", -1)]).skip(2).limit(2)
    assert [d["n"] for d in page] == [3, 2]


def test_range_on_a_nested_datetime_through_its_index(mongo_db: Database) -> None:
    # inventory/appointment_reports.py: the late cancellations of a period of Paris days, bounded at midnights
    # (whole seconds) on the sub-document's time, the only field of the filter, so that its index is the one used.
    coll = mongo_db.appointments
    coll.create_index([("cancellation.at", ASCENDING)])
    coll.create_index([("state", ASCENDING)])
    first, after = utc(2026, 2, 28, 23), utc(2026, 3, 31, 22)  # midnights in Paris, before and after the clock change
    times = [first - timedelta(milliseconds=1), first, after - timedelta(milliseconds=1), after]
    coll.insert_many([{"n": n, "state": "cancelled", "cancellation": {"at": at, "charge": "c"}}
                      for n, at in enumerate(times)])
    coll.insert_one({"n": 9, "state": "booked"})
    query = {"cancellation.at": {"$gte": first, "$lt": after}}
    assert sorted(raw["n"] for raw in coll.find(query)) == [1, 2]
    plan = str(coll.find(query).explain()["queryPlanner"]["winningPlan"])
    assert "cancellation" in plan and ("IXSCAN" in plan or "USING INDEX" in plan), plan


def test_counter_by_find_one_and_update_inc_upsert_returns_each_value_once(mongo_db: Database) -> None:
    # inventory/tickets.py allocate_number: a yearly counter created by the first $inc, read back in the same
    # write; processes allocating at once never get the same value.
    from concurrent.futures import ThreadPoolExecutor

    coll = mongo_db.ticket_numbers

    def allocate(_: int) -> int:
        return coll.find_one_and_update({"_id": "INC-2026"}, {"$inc": {"value": 1}}, upsert=True,
                                        return_document=ReturnDocument.AFTER)["value"]

    assert allocate(0) == 1
    with ThreadPoolExecutor(max_workers=8) as pool:
        values = list(pool.map(allocate, range(40)))
    assert sorted(values) == list(range(2, 42))
    assert coll.find_one({"_id": "INC-2026"}) == {"_id": "INC-2026", "value": 41}
    assert allocate(0) == 42 and coll.count_documents({}) == 1
