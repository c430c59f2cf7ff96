"""What a change reaches (a table of events), and the ChangeFeed's reading of the event log over the real
database: the window's query, an event landing after its bump, an event without a bump."""

from __future__ import annotations

import datetime as dt

import pytest
from bson import ObjectId

from inventory import generation
from inventory.events import Event
from provisioner.provisioning.record_changes import FIELDS, FIRST_READ, ChangeFeed, _events_since, affected

EQUIPMENT_ID, LINE_ID, SITE_ID, CUSTOMER_ID = (str(ObjectId()) for _ in range(4))


@pytest.mark.parametrize("event, keys", [
    ({"collection": "equipment", "object_id": EQUIPMENT_ID, "before": {}, "after": {"mac": "805ec0000002"}},
     {f"equipment:{EQUIPMENT_ID}", "mac:805ec0000002"}),
    ({"collection": "equipment", "object_id": EQUIPMENT_ID, "before": {"mac": "805ec0000001"},
      "after": {"mac": "805ec0000002"}},
     {f"equipment:{EQUIPMENT_ID}", "mac:805ec0000001", "mac:805ec0000002"}),
    ({"collection": "equipment", "object_id": EQUIPMENT_ID, "before": {"mac": "805ec0000001"}, "after": {}},
     {f"equipment:{EQUIPMENT_ID}", "mac:805ec0000001"}),
    ({"collection": "lines", "object_id": LINE_ID, "before": {}, "after": {}}, {f"lines:{LINE_ID}"}),
    ({"collection": "sites", "object_id": SITE_ID}, {f"sites:{SITE_ID}"}),
    ({"collection": "customers", "object_id": CUSTOMER_ID}, {f"customers:{CUSTOMER_ID}"}),
    ({"collection": "users", "object_id": str(ObjectId())}, set()),
    ({"collection": "api_tokens", "object_id": str(ObjectId())}, set()),
    ({"collection": "contracts", "object_id": str(ObjectId())}, set()),
    ({"collection": "charge_lines", "object_id": str(ObjectId())}, set()),
    ({"collection": "seizures", "object_id": str(ObjectId())}, set()),
    ({"collection": "insurance_certificates", "object_id": str(ObjectId())}, set()),
    ({"collection": "failure_tickets", "object_id": str(ObjectId())}, set()),
    ({"collection": "appointments", "object_id": str(ObjectId())}, set()),
    ({"collection": "technicians", "object_id": str(ObjectId())}, set()),
    ({"collection": "template_overrides", "object_id": str(ObjectId())}, None),
    ({"collection": "firmware_images", "object_id": str(ObjectId())}, None),
    ({"collection": "a_collection_added_later", "object_id": str(ObjectId())}, None),
])
def test_what_an_event_reaches(event, keys):
    assert affected(event) == (None if keys is None else frozenset(keys))


def event_at(moment: dt.datetime, collection: str = "lines", object_id: str = LINE_ID) -> ObjectId:
    """Log an event under an id made at `moment` (as a process whose clock says so would), returning the id."""
    made = ObjectId.from_datetime(moment)
    event_id = ObjectId(str(made)[:8] + str(ObjectId())[8:])
    Event(id=event_id, at=moment, actor="@tests", action="update", collection=collection, object_id=object_id,
          before={"mac": "805ec0000001", "lines": [LINE_ID]}, after={"mac": "805ec0000001"}).save(force_insert=True)
    return event_id


def test_the_newest_events_by_id_come_sorted_and_limited(mongo_db):
    # Conformance of the feed's one query: no filter (a range on `_id` scans the log on NX-27017), newest first
    # on `_id`, limited, the snapshots projected whole (NX-27017 answers a nested projection with flat keys).
    second = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ids = [event_at(second + dt.timedelta(milliseconds=ms)) for ms in (2000, -1, 999, 0)]
    found = list(Event._get_collection().find({}, FIELDS).sort("_id", -1).limit(3))
    assert [event["_id"] for event in found] == sorted(ids, reverse=True)[:3]
    assert found[0]["before"] == {"mac": "805ec0000001", "lines": [LINE_ID]} and found[0]["collection"] == "lines"


def test_the_window_holds_the_events_made_from_its_start_to_the_second(mongo_db):
    second = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    earlier = [event_at(second - dt.timedelta(milliseconds=1)) for _ in range(3)]
    inside = [event_at(second + dt.timedelta(milliseconds=ms)) for ms in range(0, 3 * FIRST_READ)]  # more reads
    found = [event["_id"] for event in _events_since(second.timestamp() + 0.5, 10 * FIRST_READ)]
    assert found == sorted(inside) and not set(earlier) & set(found)
    assert [event["_id"] for event in _events_since(second.timestamp(), 5)] == sorted(inside)[-5:]  # the newest


def test_an_event_landing_after_its_bump_is_read_at_the_next_poll(mongo_db):
    feed = ChangeFeed()
    assert feed.poll().everything  # the first poll: nothing known yet
    assert not feed.poll()
    generation.bump()  # a writer between its bump and its event
    assert not feed.poll()
    event_at(dt.datetime.now(dt.timezone.utc))
    assert feed.poll().keys == {f"lines:{LINE_ID}"}
    assert not feed.poll()  # handled once


def test_an_event_without_a_bump_is_read_and_owes_nothing(mongo_db):
    feed = ChangeFeed()
    feed.poll()
    generation.bump()
    event_at(dt.datetime.now(dt.timezone.utc), "sites", SITE_ID)
    assert feed.poll().keys == {f"sites:{SITE_ID}"}
    event_at(dt.datetime.now(dt.timezone.utc), "customers", CUSTOMER_ID)  # an outbox delivered late: no bump
    assert feed.poll().keys == {f"customers:{CUSTOMER_ID}"}  # read while the generation settles
    generation.bump()
    assert not feed.poll()  # its event still owed: not masked by the one above
    event_at(dt.datetime.now(dt.timezone.utc), "lines", LINE_ID)
    assert feed.poll().keys == {f"lines:{LINE_ID}"}


def test_a_change_no_file_shows_reaches_no_file_but_its_collection_is_told(mongo_db):
    feed = ChangeFeed()
    feed.poll()
    generation.bump()
    event_at(dt.datetime.now(dt.timezone.utc), "failure_tickets", str(ObjectId()))
    changes = feed.poll()
    assert not changes.everything and changes.keys == set() and changes.collections == {"failure_tickets"}
