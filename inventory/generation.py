"""The records' generation: one counter that every change to a record moves, so caches know when to let go.

Each server process caches what it reads on its hot paths; none can see another's writes. Every insert,
update and delete of a record (inventory/versioned.py), and every lifecycle move, bumps this counter with
one atomic `$inc` on a fixed document, just before it logs the change's event: a process that finds the
counter moved reads those events to learn what changed (provisioner/provisioning/record_changes.py); each
step it moved owes at least one event (a batch of a stock import logs several under one bump).
"""

from __future__ import annotations

import mongoengine as me

#: The `_id` of the one counter document.
RECORDS = "records"


class Generation(me.Document):
    """The counter document (one, `_id` RECORDS)."""

    id = me.StringField(primary_key=True)
    value = me.IntField(default=0)

    meta = {"collection": "generation"}


def bump() -> None:
    """Move the counter: one atomic `$inc`, creating the document the first time (no `$set` of a datetime)."""
    Generation._get_collection().update_one({"_id": RECORDS}, {"$inc": {"value": 1}}, upsert=True)


def current() -> int:
    """The counter's value now (0 before the first change)."""
    found = Generation._get_collection().find_one({"_id": RECORDS}, {"value": 1})
    return int(found["value"]) if found else 0
