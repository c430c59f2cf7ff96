"""Defects of the embedded server (NX-27017 0.8.1) that our code must steer around, and guards that it does.

Each defect is pinned by a strict xfail on the embedded server: if a new release fixes it, the test
passes and fails the run, telling us to drop the workaround. Against a real MongoDB they must pass.
Each guard fails if our own records start relying on the broken pattern. docs/storage.rst lists the
defects with the workaround each one gets.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator

import mongoengine as me
import pymongo
import pytest
from bson import ObjectId
from pymongo.collection import Collection

from inventory.events import Actor
from inventory.references import Reference
from inventory.staff import ApiToken, User
from provisioner.storage import DOCUMENTS

EMBEDDED = not os.environ.get("PROVISIONER_TEST_MONGODB_URI")
embedded_defect = pytest.mark.xfail(EMBEDDED, strict=True, reason="known NX-27017 0.8.1 defect; see docs/storage.rst")


def embedded_defect_named(defect: str) -> pytest.MarkDecorator:
    """`embedded_defect`, its reason naming the defect."""
    return pytest.mark.xfail(EMBEDDED, strict=True, reason=f"NX-27017 0.8.1 defect: {defect}; see docs/storage.rst")


class Probe(me.Document):
    """A plain document for the defects that only show through mongoengine."""

    name = me.StringField()
    meta = {"collection": "probe"}


# --- datetimes ------------------------------------------------------------------------------


@embedded_defect
def test_set_keeps_a_datetime_a_datetime(mongo_db):
    inserted = mongo_db.probe.insert_one({"n": 1}).inserted_id
    mongo_db.probe.update_one({"_id": inserted}, {"$set": {"at": dt.datetime(2026, 1, 2, 3, 4, 5)}})
    assert isinstance(mongo_db.probe.find_one({"_id": inserted})["at"], dt.datetime)


@embedded_defect
def test_set_keeps_a_boolean_a_boolean(mongo_db):
    # Found with the stock import's outbox flags: the value reads back as 0 or 1. Harmless to our code: the
    # flag is only compared by equality (which matches False to 0 on NX-27017) and mongoengine reads a bool.
    inserted = mongo_db.probe.insert_one({"flag": True}).inserted_id
    mongo_db.probe.update_one({"_id": inserted}, {"$set": {"flag": False}})
    assert mongo_db.probe.find_one({"_id": inserted})["flag"] is False


SECOND = dt.datetime(2026, 5, 1, 8, 0, 0, tzinfo=dt.timezone.utc)


def at_ms(milliseconds: int) -> dt.datetime:
    """SECOND plus some milliseconds (BSON datetimes hold milliseconds)."""
    return SECOND + dt.timedelta(milliseconds=milliseconds)


@embedded_defect_named("a projection of a nested field comes back as a flat dotted key")
def test_projection_of_a_nested_field_keeps_its_nesting(mongo_db):
    mongo_db.probe.insert_one({"_id": 1, "before": {"mac": "805ec0000001", "state": "in_stock"}})
    assert mongo_db.probe.find_one({"_id": 1}, {"before.mac": 1}) == {"_id": 1, "before": {"mac": "805ec0000001"}}


@embedded_defect_named("datetime range filters compare to the whole second")
def test_datetime_range_filters_compare_to_the_millisecond(mongo_db):
    mongo_db.probe.insert_many([{"n": ms, "at": at_ms(ms)} for ms in (100, 400, 700, 1100)])
    assert [d["n"] for d in mongo_db.probe.find({}).sort("at", -1)] == [1100, 700, 400, 100]  # sort is right
    assert mongo_db.probe.count_documents({"at": {"$gt": at_ms(400)}}) == 2  # count is right

    def found(operator: str) -> list[int]:
        return sorted(d["n"] for d in mongo_db.probe.find({"at": {operator: at_ms(400)}}))

    assert (found("$gt"), found("$gte")) == ([700, 1100], [400, 700, 1100])
    assert (found("$lt"), found("$lte")) == ([100], [100, 400])


@embedded_defect_named("datetime equality filters compare to the whole second")
def test_datetime_equality_compares_to_the_millisecond(mongo_db):
    mongo_db.probe.insert_many([{"n": ms, "at": at_ms(ms)} for ms in (100, 400, 700)])
    assert [d["n"] for d in mongo_db.probe.find({"at": {"$in": [at_ms(400)]}})] == [400]  # $in is right
    assert [d["n"] for d in mongo_db.probe.find({"at": at_ms(400)})] == [400]
    assert sorted(d["n"] for d in mongo_db.probe.find({"at": {"$ne": at_ms(400)}})) == [100, 700]


@embedded_defect_named("a write's datetime condition compares to the whole second")
def test_datetime_condition_of_a_write_compares_to_the_millisecond(mongo_db):
    # The fetch log's "replace unless the stored one is newer" (inventory/provisioning_log.py).
    inserted = mongo_db.probe.insert_one({"at": at_ms(700), "revision": "newer"}).inserted_id
    result = mongo_db.probe.replace_one({"_id": inserted, "at": {"$lte": at_ms(400)}},
                                        {"at": at_ms(400), "revision": "older"})
    assert (result.matched_count, mongo_db.probe.find_one({"_id": inserted})["revision"]) == (0, "newer")


@embedded_defect_named("aggregation $match on datetimes: $gt matches all, $lt and equality nothing")
def test_aggregation_match_on_datetimes(mongo_db):
    mongo_db.probe.insert_many([{"n": day, "at": SECOND.replace(day=day)} for day in (1, 2, 3)])
    assert mongo_db.probe.count_documents({"at": {"$gt": SECOND.replace(day=2)}}) == 1  # count is right
    assert [d["n"] for d in mongo_db.probe.aggregate([{"$match": {"at": {"$gt": SECOND.replace(day=2)}}}])] == [3]


@embedded_defect_named("$group $max of datetimes returns JSON text")
def test_group_max_of_datetimes_is_a_datetime(mongo_db):
    mongo_db.probe.insert_many([{"at": SECOND.replace(day=day)} for day in (1, 2, 3)])
    latest = list(mongo_db.probe.aggregate([{"$group": {"_id": None, "latest": {"$max": "$at"}}}]))
    assert latest == [{"_id": None, "latest": SECOND.replace(day=3)}]


# --- ObjectIds --------------------------------------------------------------------------------


@embedded_defect
def test_objectid_outside_id_can_be_matched(mongo_db):
    target = ObjectId()
    mongo_db.probe.insert_one({"ref": target, "n": 1})
    assert mongo_db.probe.count_documents({"ref": target, "n": 1}) == 1


@embedded_defect
def test_objectid_array_membership(mongo_db):
    a, b = ObjectId(), ObjectId()
    mongo_db.probe.insert_many([{"name": "HQ", "devices": [a, b]}, {"name": "Annex", "devices": [b]}])
    assert [d["name"] for d in mongo_db.probe.find({"devices": a})] == ["HQ"]


@embedded_defect
def test_count_by_id(mongo_db):
    inserted = mongo_db.probe.insert_one({"n": 1}).inserted_id
    assert mongo_db.probe.count_documents({"_id": inserted}) == 1


@embedded_defect
def test_count_by_id_mongoengine(mongo_db):
    probe = Probe(name="a").save()
    assert Probe.objects(pk=probe.pk).count() == 1


@embedded_defect
def test_count_by_ids_in(mongo_db):
    ids = mongo_db.probe.insert_many([{"n": i} for i in range(3)]).inserted_ids
    assert len(list(mongo_db.probe.find({"_id": {"$in": ids[:2]}}))) == 2  # find is right
    assert mongo_db.probe.count_documents({"_id": {"$in": ids[:2]}}) == 2


@embedded_defect
def test_aggregation_match_on_objectids(mongo_db):
    a, b = ObjectId(), ObjectId()
    mongo_db.probe.insert_many([{"ref": a}, {"ref": b}])
    assert len(list(mongo_db.probe.aggregate([{"$match": {"ref": {"$in": [a]}}}]))) == 1


@embedded_defect
def test_group_on_objectid_keeps_objectid_keys(mongo_db):
    a = ObjectId()
    mongo_db.probe.insert_many([{"ref": a}, {"ref": a}])
    assert list(mongo_db.probe.aggregate([{"$group": {"_id": "$ref", "n": {"$sum": 1}}}])) == [{"_id": a, "n": 2}]


# --- indexes, arrays and sub-documents --------------------------------------------------------


@embedded_defect
def test_indexed_array_field_can_be_matched(mongo_db):
    mongo_db.probe.create_index("tags")
    mongo_db.probe.insert_one({"tags": ["a", "b"]})
    assert len(list(mongo_db.probe.find({"tags": "a"}))) == 1


@embedded_defect
def test_push_subdocument(mongo_db):
    inserted = mongo_db.probe.insert_one({"history": []}).inserted_id
    mongo_db.probe.update_one({"_id": inserted}, {"$push": {"history": {"state": "in_stock", "n": 1}}})
    mongo_db.probe.update_one({"_id": inserted}, {"$push": {"history": {"state": "delivered", "n": 2}}})
    history = mongo_db.probe.find_one({"_id": inserted})["history"]
    assert history == [{"state": "in_stock", "n": 1}, {"state": "delivered", "n": 2}]


@embedded_defect
def test_dotted_query_into_subdocument_array(mongo_db):
    mongo_db.probe.insert_many([
        {"ref": "big", "items": [{"sku": "T54W", "qty": 5}, {"sku": "PSU", "qty": 1}]},
        {"ref": "small", "items": [{"sku": "T54W", "qty": 2}]},
    ])
    assert [d["ref"] for d in mongo_db.probe.find({"items.qty": {"$gt": 3}})] == ["big"]


# --- indexes that only some operations use (timed) ------------------------------------------
# Each test times an operation on the last-inserted documents of a small and a big collection with a
# unique index on `mac` (a scan that stops at the first match is slowest there). Through an index the
# time barely grows with the collection; a scan grows with it. Medians keep a stray slow call out.

SMALL_FLEET, BIG_FLEET = 500, 10_000
TIMED = 15  # calls timed per collection
MAX_GROWTH = 3.0  # an index keeps it near 1; NX-27017's scans make it 5 to 12

Fleet = tuple[Collection, int]  # a collection of devices and how many were inserted


def fleet_mac(i: int) -> str:
    return f"00155d{i:06x}"


def make_fleet(collection: Collection, size: int) -> Fleet:
    collection.create_index("mac", unique=True)
    collection.insert_many([{"mac": fleet_mac(i), "n": i} for i in range(size)])
    return collection, size


@pytest.fixture(scope="module")
def fleets(mongo_uri: str) -> Iterator[tuple[Fleet, Fleet]]:
    """A small and a big fleet, shared by the timing tests (filling the big one takes a second)."""
    client = pymongo.MongoClient(mongo_uri)
    database = client[f"t_{uuid.uuid4().hex[:8]}"]
    try:
        yield make_fleet(database.small, SMALL_FLEET), make_fleet(database.big, BIG_FLEET)
    finally:
        client.drop_database(database.name)
        client.close()


def growth(fleets: tuple[Fleet, Fleet], operation: Callable[[Collection, int], object], block: int = 0) -> float:
    """How many times longer `operation(collection, i)` takes on the big fleet than on the small one.

    `i` runs over one block of TIMED devices among the last inserted; a test that deletes takes its own block.
    """
    for collection, size in fleets:  # untimed: a first call may pay for a plan or a cache
        operation(collection, size - (block + 1) * TIMED - 1)
    times: tuple[list[float], list[float]] = ([], [])
    for k in range(TIMED):  # interleaved, so that a busy moment of the machine slows both alike
        for (collection, size), spent in zip(fleets, times, strict=True):
            started = time.perf_counter()
            operation(collection, size - 1 - block * TIMED - k)
            spent.append(time.perf_counter() - started)
    return statistics.median(times[1]) / statistics.median(times[0])


@embedded_defect_named("find with $in over an indexed field scans the collection")
def test_find_in_over_an_indexed_field_uses_the_index(fleets):
    assert growth(fleets, lambda c, i: c.find_one({"mac": fleet_mac(i)})) < MAX_GROWTH  # equality is right

    def ten_devices(collection: Collection, i: int) -> list[dict]:
        return list(collection.find({"mac": {"$in": [fleet_mac(i - k) for k in range(10)]}}))

    assert growth(fleets, ten_devices) < MAX_GROWTH


WRITES_BY_MAC = {  # name: (block, operation)
    "update_one": (0, lambda c, i: c.update_one({"mac": fleet_mac(i)}, {"$inc": {"n": 1}})),
    "replace_one": (0, lambda c, i: c.replace_one({"mac": fleet_mac(i)}, {"mac": fleet_mac(i), "n": -i})),
    "delete_one": (2, lambda c, i: c.delete_one({"mac": fleet_mac(i)})),  # block 1 holds the others' warm-up
}


@embedded_defect_named("writes filtered on an indexed field other than _id scan the collection")
@pytest.mark.parametrize("write", WRITES_BY_MAC)
def test_write_by_an_indexed_field_uses_the_index(fleets, write):
    block, operation = WRITES_BY_MAC[write]
    assert growth(fleets, operation, block) < MAX_GROWTH


@embedded_defect_named("count_documents scans the whole collection, whatever the filter and indexes")
def test_count_by_an_indexed_field_uses_the_index(mongo_db):
    # Fleets of its own, smaller: NX-27017 counts at ~25 µs per stored document.
    fleets = make_fleet(mongo_db.small, 100), make_fleet(mongo_db.big, 2000)
    assert growth(fleets, lambda c, i: c.count_documents({"mac": fleet_mac(i)})) < MAX_GROWTH


# --- regular expressions, nulls, UUIDs --------------------------------------------------------


@embedded_defect
def test_mongoengine_case_insensitive_lookup(mongo_db):
    for name in ("AA01", "aa02", "BB03"):
        Probe(name=name).save()
    assert sorted(p.name for p in Probe.objects(name__istartswith="aa")) == ["AA01", "aa02"]


@embedded_defect
def test_count_with_null_counts_missing_fields(mongo_db):
    mongo_db.probe.insert_many([{"n": None}, {}, {"n": 1}])
    assert len(list(mongo_db.probe.find({"n": None}))) == 2  # find is right
    assert mongo_db.probe.count_documents({"n": None}) == 2


@embedded_defect
def test_not_equal_null_skips_missing_fields(mongo_db):
    mongo_db.probe.insert_many([{"n": None}, {}, {"n": 1}])
    assert [d.get("n", "missing") for d in mongo_db.probe.find({"n": {"$ne": None}})] == [1]


@embedded_defect
def test_uuid_round_trip(mongo_db):
    value = uuid.uuid4()
    inserted = mongo_db.probe.insert_one({"u": value}).inserted_id
    assert mongo_db.probe.find_one({"_id": inserted})["u"] == value


# --- our code steers around them --------------------------------------------------------------


def test_versioned_update_keeps_timestamps_as_datetimes(mongo_db):
    user = User(username="stamp", roles=["support"], password_hash="scrypt$x").insert(Actor.system("tests"))
    user.update(Actor.system("tests"), {"display_name": "Changed"})
    stored = User._get_collection().find_one({"_id": user.pk})
    assert isinstance(stored["updated_at"], dt.datetime) and isinstance(stored["created_at"], dt.datetime)
    assert User.objects(updated_at__gte=stored["created_at"]).count() == 1


def test_token_use_and_revocation_keep_datetimes(mongo_db):
    user = User(username="tokens", roles=["support"], password_hash="scrypt$x").insert(Actor.system("tests"))
    token, _ = ApiToken.issue(user, "monitoring")
    token.touch()
    token.revoke()
    stored = ApiToken._get_collection().find_one({"_id": token.pk})
    assert isinstance(stored["last_used_at"], dt.datetime) and isinstance(stored["revoked_at"], dt.datetime)
    assert stored["user"] == str(user.pk)
    assert ApiToken.objects(user=user).count() == 1


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.__name__)
def test_guard_references_are_stored_as_text(document):
    for name, field in document._fields.items():
        inner = field.field if isinstance(field, me.ListField) else field
        if isinstance(inner, me.ReferenceField):
            assert isinstance(inner, Reference), f"{document.__name__}.{name} must use inventory.references.Reference"
        holds_objectid = isinstance(inner, me.ObjectIdField) and name != "id"
        assert not holds_objectid, f"{document.__name__}.{name} holds an ObjectId"
        assert not isinstance(inner, me.UUIDField), f"{document.__name__}.{name}: UUIDs come back as bytes"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d.__name__)
def test_guard_no_index_on_arrays_and_no_arrays_of_subdocuments(document):
    for spec in document._meta.get("index_specs", []):
        for key, _ in spec["fields"]:
            field = document._fields.get(key.split(".")[0])
            assert not isinstance(field, me.ListField), f"{document.__name__} indexes the array {key}"
    for name, field in document._fields.items():
        if isinstance(field, me.ListField) and (document.__name__, name) not in WRITTEN_WHOLE:
            subdocuments = isinstance(field.field, (me.EmbeddedDocumentField, me.DictField))
            assert not subdocuments, f"{document.__name__}.{name}: $push defect"


#: Arrays of sub-documents only ever written by replacing the whole document, never $push'd nor queried into
#: (round trip pinned by test_conformance.py::test_sip_registrations_bulk_replace_and_delete).
WRITTEN_WHOLE = {("Registration", "bindings")}
