"""The append-only event log: every change to a record, with who, when, before, after and request id."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import mongoengine as me


@dataclass(frozen=True)
class Actor:
    """Who is making a change, and under which request, for the event log."""

    username: str
    request_id: str = ""
    #: The door the change came through: "api <address>", "scan batch <key> from <address>", "cli", "import
    #: <file> <digest>", or the server's own job ("first-start", "demo"...).
    source: str = ""

    @classmethod
    def system(cls, what: str = "system") -> "Actor":
        """An actor for changes made by the server itself or a command (start-up, demo data, the CLI)."""
        return cls(username=f"@{what}", source=what)


class Event(me.Document):
    """One change to one record; never updated or deleted once written."""

    at = me.DateTimeField(required=True)
    actor = me.StringField(required=True, max_length=80)
    action = me.StringField(required=True, max_length=40)
    collection = me.StringField(required=True, max_length=40)
    object_id = me.StringField(required=True, max_length=40)
    before = me.DictField()
    after = me.DictField()
    request_id = me.StringField(max_length=80, default="")
    #: The door the change came through (Actor.source): the API and its caller's address, a scan batch, the
    #: CLI, a stock import with its file, or the server's own job.
    source = me.StringField(max_length=200, default="")

    meta = {
        "collection": "events",
        "indexes": [("collection", "object_id", "at"), "object_id", "-at", "request_id", ("actor", "at")],
        "ordering": ["-at"],
    }


def record_event(
    actor: Actor, action: str, collection: str, object_id: object, before: dict, after: dict
) -> Event:
    """Append one event; `before` and `after` must already have their secrets removed."""
    event = Event(
        at=dt.datetime.now(dt.timezone.utc),
        actor=actor.username,
        action=action,
        collection=collection,
        object_id=str(object_id),
        before=before,
        after=after,
        request_id=actor.request_id,
        source=actor.source,
    )
    event.save(force_insert=True)
    return event
