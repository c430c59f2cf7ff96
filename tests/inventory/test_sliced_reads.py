"""Whole-collection reads in slices, on the embedded database: complete, in order, and safe from deletions meanwhile."""

from __future__ import annotations

import logging

import pytest
from bson import ObjectId

from inventory import sliced_reads
from inventory.sliced_reads import read_all

FIELDS = {"n": 1}


class Meddling:
    """The collection, with `meddle(collection, call)` run before each find (the read's slices, numbered from 1)."""

    def __init__(self, collection, meddle):
        self.collection, self.meddle, self.calls = collection, meddle, 0
        self.name = collection.name

    def find(self, *args, **kwargs):
        self.calls += 1
        self.meddle(self.collection, self.calls)
        return self.collection.find(*args, **kwargs)


@pytest.fixture
def stored(mongo_db):
    collection = mongo_db["sliced"]
    ids = [ObjectId() for _ in range(47)]
    collection.insert_many([{"_id": record_id, "n": n, "other": "x"} for n, record_id in enumerate(ids)])
    return collection, ids


@pytest.mark.parametrize(("size", "overlap"), [(10, 3), (47, 1), (48, 5), (5, 4), (1000, 100)])
def test_every_record_is_read_once_in_id_order(stored, size, overlap):
    collection, ids = stored
    found = read_all(collection, FIELDS, size, overlap)
    assert [row["_id"] for row in found] == ids
    assert [row["n"] for row in found] == list(range(47)) and "other" not in found[0]


def test_records_deleted_behind_the_read_within_the_overlap_lose_none_of_the_others(stored):
    collection, ids = stored
    deleted = ids[5:7]

    def delete_two(target, call):
        if call == 2:  # after the first slice of 10: two of them go, the rest moves back by two
            target.delete_many({"_id": {"$in": deleted}})

    meddling = Meddling(collection, delete_two)
    found = [row["_id"] for row in read_all(meddling, FIELDS, 10, 3)]
    # One attempt of 6 slices (a start over would take 7 more); the deleted two were read before they went.
    assert found == ids and meddling.calls == 6


def test_more_deletions_than_the_overlap_start_the_read_over(stored):
    collection, ids = stored
    deleted = ids[:6]

    def delete_six(target, call):
        if call == 2:
            target.delete_many({"_id": {"$in": deleted}})

    meddling = Meddling(collection, delete_six)
    found = [row["_id"] for row in read_all(meddling, FIELDS, 10, 3)]
    assert found == ids[6:] and meddling.calls > 5  # read again from the start, without the deleted six


def test_records_moving_all_the_time_are_read_in_one_query_at_last(stored, caplog):
    collection, ids = stored
    left = iter(ids)

    def delete_some_each_time(target, call):
        if call % 2 == 0:  # each second slice, four more of the first records go
            target.delete_many({"_id": {"$in": [next(left) for _ in range(4)]}})

    meddling = Meddling(collection, delete_some_each_time)
    with caplog.at_level(logging.WARNING, logger="inventory.sliced_reads"):
        found = [row["_id"] for row in read_all(meddling, FIELDS, 10, 3)]
    assert found == [record_id for record_id in ids if collection.find_one({"_id": record_id})]
    assert "read in one query" in caplog.text and meddling.calls == sliced_reads.ATTEMPTS * 2 + 1


def test_an_empty_collection_is_an_empty_list(mongo_db):
    assert read_all(mongo_db["nothing"], FIELDS, 10, 3) == []


@pytest.mark.parametrize(("size", "overlap"), [(10, 0), (10, 10), (10, 11)])
def test_an_overlap_outside_the_slice_is_refused(mongo_db, size, overlap):
    with pytest.raises(ValueError, match="overlap"):
        read_all(mongo_db["nothing"], FIELDS, size, overlap)
