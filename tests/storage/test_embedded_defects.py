"""Defects of the embedded server (NX-27017 0.8.1) that our code must steer around, and guards that it does.

Each defect is pinned by a strict xfail on the embedded server: if a new release fixes it, the test
passes and fails the run, telling us to drop the workaround. Against a real MongoDB they must pass.
Each guard fails if our own records start relying on the broken pattern. docs/storage.rst lists the
defects with the workaround each one gets.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid

import mongoengine as me
import pytest
from bson import ObjectId

from inventory.events import Actor
from inventory.references import Reference
from inventory.staff import ApiToken, User
from provisioner.storage import DOCUMENTS

EMBEDDED = not os.environ.get("PROVISIONER_TEST_MONGODB_URI")
embedded_defect = pytest.mark.xfail(EMBEDDED, strict=True, reason="known NX-27017 0.8.1 defect; see docs/storage.rst")


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
        if isinstance(field, me.ListField):
            subdocuments = isinstance(field.field, (me.EmbeddedDocumentField, me.DictField))
            assert not subdocuments, f"{document.__name__}.{name}: $push defect"
