"""What devices fetched and when, and the devices that asked without being in the inventory (quarantine).

Fetches are an append-only log kept for FETCH_DAYS; each device's latest fetch is also kept in one
record per MAC, which tells which devices run an older configuration revision than they would get now.
Fetches are noted in memory as they are served (FetchLog) and written in bulk about once a second, so a
boot storm costs the database a few bulk writes a second rather than two writes per request.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Callable

import mongoengine as me
from bson import ObjectId
from pymongo import InsertOne, ReplaceOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from inventory.equipment import Equipment
from inventory.references import Reference

FETCH_DAYS = 90
TRANSPORTS = ("http", "https", "tftp")
#: Fetches kept in memory at most while the database is out of reach; the oldest are dropped beyond.
MAX_BUFFERED = 200_000
DUPLICATE_KEY = 11000
#: MACs asked for in one `$in` at most.
IN_BATCH = 500


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


class FetchLog:
    """Fetches noted in memory as they are served, and written in bulk by `flush` (off the request path).

    Thread-safe: the HTTP front end and the TFTP thread note, a timer flushes. Each noted fetch is
    written exactly once: its `_id` is chosen when noted, so a flush that failed half-way can be retried
    without doubling what got through. A device's latest fetch replaces the stored one only if it is not
    older, so processes flushing in any order leave the newest in place (to the second on NX-27017, whose
    filters compare datetimes to the second).
    """

    def __init__(self, max_buffered: int = MAX_BUFFERED, clock: Callable[[], dt.datetime] = _now):
        self.max_buffered, self.clock = max_buffered, clock
        self.dropped = 0  # fetches forgotten because the database stayed out of reach too long
        self._lock = threading.Lock()
        self._fetches: list[dict] = []
        self._latest: dict[str, dict] = {}

    def note(self, mac: str, equipment_id: str | None, file: str, revision: str, source: str, transport: str,
             user_agent: str, latest: bool) -> None:
        """Remember one fetch; `latest` also makes it the device's latest fetch (for a device's own file)."""
        now = self.clock()
        fetch = {"_id": ObjectId(), "at": now, "mac": mac, "equipment": equipment_id, "file": file,
                 "revision": revision, "source": source, "transport": transport, "user_agent": user_agent[:512]}
        with self._lock:
            self._fetches.append(fetch)
            if latest:
                self._latest[mac] = {"mac": mac, "equipment": equipment_id, "file": file, "revision": revision,
                                     "at": now, "source": source, "transport": transport}
            if len(self._fetches) > self.max_buffered:
                self._trim()

    def pending(self) -> int:
        """How many fetches wait to be written."""
        with self._lock:
            return len(self._fetches)

    def flush(self) -> int:
        """Write what was noted (raises PyMongoError after putting it back for the next flush); returns the count."""
        with self._lock:
            fetches, latest = self._fetches, self._latest
            self._fetches, self._latest = [], {}
        if not fetches and not latest:
            return 0
        try:
            _insert_once(Fetch._get_collection(), fetches)
            _replace_unless_newer(LastFetch._get_collection(), latest)
        except PyMongoError:
            with self._lock:  # back in front of what was noted meanwhile, newer latest fetches kept
                self._fetches[:0] = fetches
                for mac, entry in latest.items():
                    self._latest.setdefault(mac, entry)
                if len(self._fetches) > self.max_buffered:
                    self._trim()
            raise
        return len(fetches)

    def _trim(self) -> None:
        excess = len(self._fetches) - self.max_buffered
        del self._fetches[:excess]
        self.dropped += excess


def _insert_once(collection: Collection, fetches: list[dict]) -> None:
    """insert_many, where a document already written by an earlier attempt (same `_id`) is no error."""
    if not fetches:
        return
    try:
        collection.insert_many(fetches, ordered=False)
    except BulkWriteError as exc:
        if any(error.get("code") != DUPLICATE_KEY for error in exc.details.get("writeErrors", [])):
            raise


def _replace_unless_newer(collection: Collection, latest: dict[str, dict]) -> None:
    """Make each entry its device's latest fetch, unless the stored one is newer.

    Whole documents (never $set: NX-27017 turns a $set datetime into a string, docs/storage.rst) replaced
    by `_id` on condition of their time: NX-27017 scans the whole collection to write by any other field,
    but finds by MAC through its index. A device's first entry is inserted; when another process inserted
    one meanwhile, the clash on the unique MAC sends it to a second pass that replaces it.
    """
    pending = latest
    for _ in range(2):
        macs = list(pending)
        stored: dict[str, ObjectId] = {}
        for start in range(0, len(macs), IN_BATCH):
            for found in collection.find({"mac": {"$in": macs[start:start + IN_BATCH]}}, {"mac": 1}):
                stored[found["mac"]] = found["_id"]
        operations = [ReplaceOne({"_id": stored[mac], "at": {"$lte": pending[mac]["at"]}}, pending[mac])
                      if mac in stored else InsertOne(dict(pending[mac])) for mac in macs]
        if not operations:
            return
        try:
            collection.bulk_write(operations, ordered=False)
            return
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(error.get("code") != DUPLICATE_KEY for error in errors):
                raise
            pending = {macs[error["index"]]: pending[macs[error["index"]]] for error in errors}


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
    # Found by MAC through its index, then written by _id: NX-27017 scans for a write filtered on another field.
    found = collection.find_one({"mac": mac}, {"_id": 1})
    if found is not None and collection.update_one({"_id": found["_id"]}, {
            "$set": seen, "$inc": {"requests": 1}, "$currentDate": {"last_seen": True}}).matched_count:
        return
    now = _now()
    try:
        QuarantinedDevice(mac=mac, first_seen=now, last_seen=now, **seen).save(force_insert=True)
    except (me.NotUniqueError, DuplicateKeyError):  # another process noted it first
        found = collection.find_one({"mac": mac}, {"_id": 1})
        if found is not None:
            collection.update_one({"_id": found["_id"]}, {"$inc": {"requests": 1}, "$currentDate": {"last_seen": True}})
