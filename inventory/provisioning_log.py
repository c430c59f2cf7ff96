"""What devices fetched and when, and the devices that asked without being in the inventory (quarantine).

Fetches are an append-only log kept for FETCH_DAYS; each device's latest fetch is also kept in one
record per MAC, which tells which devices run an older configuration revision than they would get now.
"""

from __future__ import annotations

import datetime as dt

import mongoengine as me
from pymongo.errors import DuplicateKeyError

from inventory.equipment import Equipment
from inventory.references import Reference

FETCH_DAYS = 90
TRANSPORTS = ("http", "https", "tftp")


def _now() -> dt.datetime:
    moment = dt.datetime.now(dt.timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class Fetch(me.Document):
    """One configuration file served to one device."""

    at = me.DateTimeField(required=True)
    mac = me.StringField(required=True)
    equipment = Reference(Equipment)
    file = me.StringField(required=True, max_length=128)
    revision = me.StringField(required=True, max_length=64)
    source = me.StringField(required=True, max_length=64)
    transport = me.StringField(required=True, choices=TRANSPORTS)
    user_agent = me.StringField(max_length=512)

    meta = {"collection": "fetches", "indexes": [("mac", "-at"), {"fields": ["at"], "expireAfterSeconds": FETCH_DAYS * 86400}]}


class LastFetch(me.Document):
    """The latest per-device file each device fetched: which revision, when, from where."""

    mac = me.StringField(required=True)
    equipment = Reference(Equipment)
    file = me.StringField(required=True, max_length=128)
    revision = me.StringField(required=True, max_length=64)
    at = me.DateTimeField(required=True)
    source = me.StringField(required=True, max_length=64)
    transport = me.StringField(required=True, choices=TRANSPORTS)

    meta = {"collection": "last_fetches", "indexes": [{"fields": ["mac"], "unique": True}, "equipment"]}


def record_fetch(mac: str, equipment: Equipment | None, file: str, revision: str, source: str,
                 transport: str, user_agent: str, per_device: bool) -> None:
    """Log a fetch; for a device's own file, also make it that device's latest fetch."""
    now = _now()
    Fetch(at=now, mac=mac, equipment=equipment, file=file, revision=revision, source=source,
          transport=transport, user_agent=user_agent[:512]).save(force_insert=True)
    if per_device:
        latest = LastFetch(mac=mac, equipment=equipment, file=file, revision=revision, at=now, source=source,
                           transport=transport).to_mongo().to_dict()
        latest.pop("_id", None)
        # A whole-document upsert, not $set: NX-27017 turns a $set datetime into a string (docs/storage.rst).
        LastFetch._get_collection().replace_one({"mac": mac}, latest, upsert=True)


class QuarantinedDevice(me.Document):
    """A device that asked for its configuration but is not in the inventory: it gets nothing until claimed."""

    mac = me.StringField(required=True)
    vendor = me.StringField(max_length=40)
    model = me.StringField(max_length=40)
    firmware = me.StringField(max_length=80)
    source = me.StringField(max_length=64)
    user_agent = me.StringField(max_length=512)
    first_seen = me.DateTimeField(required=True)
    last_seen = me.DateTimeField(required=True)
    requests = me.IntField(default=1)

    meta = {"collection": "quarantine", "indexes": [{"fields": ["mac"], "unique": True}, "-last_seen"]}


def quarantine(mac: str, vendor: str, model: str | None, firmware: str | None, source: str, user_agent: str) -> None:
    """Note an unknown device's request: first and last seen, how often, from where."""
    collection = QuarantinedDevice._get_collection()
    seen = {"vendor": vendor, "model": model or "", "firmware": firmware or "", "source": source,
            "user_agent": user_agent[:512]}
    if collection.update_one({"mac": mac}, {"$set": seen, "$inc": {"requests": 1},
                                            "$currentDate": {"last_seen": True}}).matched_count:
        return
    now = _now()
    try:
        QuarantinedDevice(mac=mac, first_seen=now, last_seen=now, **seen).save(force_insert=True)
    except (me.NotUniqueError, DuplicateKeyError):  # another process noted it first
        collection.update_one({"mac": mac}, {"$inc": {"requests": 1}, "$currentDate": {"last_seen": True}})
