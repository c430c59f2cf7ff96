"""What devices fetched and when, and the devices that asked without being in the inventory (quarantine).

Fetches are an append-only log kept for FETCH_DAYS; each device's latest fetch is also kept in one
record per MAC, which tells which devices run an older configuration revision than they would get now.
Fetches are noted in memory as they are served (FetchLog) and written about once a second, all those of
one process in one record (FetchBatch, parallel lists): a boot storm costs the database one write a
second per process rather than one per request (NX-27017 spends about 70 µs a record, whatever its size,
and 14 µs a fetch in a batch). fetches() reads them back as one dict per fetch.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from typing import Callable

import mongoengine as me
from bson import ObjectId
from pymongo import ReplaceOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from inventory.equipment import Equipment
from inventory.references import Reference
from inventory.stored_times import to_millisecond

FETCH_DAYS = 90
TRANSPORTS = ("http", "https", "tftp")
#: Fetches kept in memory at most while the database is out of reach; the oldest are dropped beyond.
MAX_BUFFERED = 200_000
#: Latest fetches written per flush at most, the others waiting for the next ones: a fleet's first boot storm
#: would otherwise write every device's at once (about 0.13 ms of NX-27017 each, per process), taking a core
#: from the storm for seconds (docs/benchmarks.rst, "Boot storm"). The fetch log itself is written whole.
LATEST_PER_FLUSH = 200
DUPLICATE_KEY = 11000


def _now() -> dt.datetime:
    return to_millisecond(dt.datetime.now(dt.timezone.utc))


class FetchBatch(me.Document):
    """The fetches one process noted between two writes: entry i of each list is fetch i."""

    at = me.DateTimeField(required=True)  # the first fetch's time: the batch expires FETCH_DAYS after it
    times = me.ListField(me.DateTimeField())
    macs = me.ListField(me.StringField())
    equipment = me.ListField(me.StringField())  # the equipment id as text, "" for none
    files = me.ListField(me.StringField())
    revisions = me.ListField(me.StringField())
    sources = me.ListField(me.StringField())
    transports = me.ListField(me.StringField())
    user_agents = me.ListField(me.StringField())

    # No index on the lists: NX-27017 then finds nothing by them (docs/storage.rst).
    meta = {"collection": "fetch_batches", "indexes": [{"fields": ["at"], "expireAfterSeconds": FETCH_DAYS * 86400}]}


#: A fetch's fields, and the list of a batch holding each.
BATCH_LISTS = {"at": "times", "mac": "macs", "equipment": "equipment", "file": "files", "revision": "revisions",
               "source": "sources", "transport": "transports", "user_agent": "user_agents"}


def batch_of(fetches: list[dict]) -> dict:
    """One stored batch for these fetches (in the order noted), with a new `_id`."""
    batch: dict = {"_id": ObjectId(), "at": fetches[0]["at"]}
    for name, key in BATCH_LISTS.items():
        batch[key] = [fetch[name] or "" if name == "equipment" else fetch[name] for fetch in fetches]
    return batch


def fetches(mac: str | None = None) -> list[dict]:
    """Every fetch recorded (of one device when `mac` is given), oldest batch first, one dict each."""
    found = []
    for batch in FetchBatch._get_collection().find({"macs": mac} if mac else {}).sort("at", 1):
        for index in range(len(batch.get("macs") or [])):
            fetch = {name: batch[key][index] for name, key in BATCH_LISTS.items()}
            if mac is None or fetch["mac"] == mac:
                found.append(fetch)
    return found


class LastFetch(me.Document):
    """The latest per-device file each device fetched: which revision, when, from where."""

    mac = me.StringField(primary_key=True)  # written by _id: NX-27017 scans for writes and $in on other fields
    equipment = Reference(Equipment)
    file = me.StringField(required=True, max_length=128)
    revision = me.StringField(required=True, max_length=64)
    at = me.DateTimeField(required=True)
    source = me.StringField(required=True, max_length=64)
    transport = me.StringField(required=True, choices=TRANSPORTS)

    meta = {"collection": "latest_fetches", "indexes": ["equipment"]}


class FetchLog:
    """Fetches noted in memory as they are served, and written in bulk by `flush` (off the request path).

    Thread-safe: the HTTP front end and the TFTP thread note, a timer flushes. Each noted fetch is
    written exactly once: a batch gets its `_id` before its first try and keeps it for the next ones, so a
    write whose answer was lost is not written twice. A device's latest fetch replaces the stored one only
    if it is not older, so processes flushing in any order leave the newest in place (to the second on
    NX-27017, whose filters compare datetimes to the second).
    """

    def __init__(self, max_buffered: int = MAX_BUFFERED, clock: Callable[[], dt.datetime] = _now,
                 latest_per_flush: int = LATEST_PER_FLUSH):
        self.max_buffered, self.clock, self.latest_per_flush = max_buffered, clock, latest_per_flush
        self.dropped = 0  # fetches forgotten because the database stayed out of reach too long
        self._lock = threading.Lock()
        self._fetches: list[dict] = []
        self._latest: dict[str, dict] = {}
        self._unwritten: list[dict] = []  # batches whose write failed, tried again first

    def note(self, mac: str, equipment_id: str | None, file: str, revision: str, source: str, transport: str,
             user_agent: str, latest: bool) -> None:
        """Remember one fetch; `latest` also makes it the device's latest fetch (for a device's own file)."""
        now = self.clock()
        fetch = {"at": now, "mac": mac, "equipment": equipment_id, "file": file, "revision": revision,
                 "source": source, "transport": transport, "user_agent": user_agent[:512]}
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
            return self._pending()

    def flush(self, everything: bool = False) -> int:
        """Write what was noted (raises PyMongoError after keeping it for the next flush); returns the count.

        The latest fetches are written LATEST_PER_FLUSH at a time (the ones noted first), unless `everything`.
        """
        with self._lock:
            batches, fetches = self._unwritten, self._fetches
            self._unwritten, self._fetches = [], []
            latest = self._take_latest(None if everything else self.latest_per_flush)
        if fetches:
            batches.append(batch_of(fetches))
        written = 0
        try:
            while batches:
                _insert_once(FetchBatch._get_collection(), batches[0])
                written += len(batches.pop(0)["macs"])
            _replace_unless_newer(LastFetch._get_collection(), latest)
        except PyMongoError:
            with self._lock:  # kept for the next flush (each batch with its _id), newer latest fetches kept
                self._unwritten[:0] = batches
                for mac, entry in latest.items():
                    self._latest.setdefault(mac, entry)
                self._trim()
            raise
        return written

    def latest_pending(self) -> int:
        """How many devices' latest fetches wait to be written."""
        with self._lock:
            return len(self._latest)

    def _take_latest(self, limit: int | None) -> dict[str, dict]:
        """The latest fetches to write now, at most `limit` (the lock is held)."""
        if limit is None or len(self._latest) <= limit:
            taken, self._latest = self._latest, {}
            return taken
        return {mac: self._latest.pop(mac) for mac in list(itertools.islice(self._latest, limit))}

    def _trim(self) -> None:
        """Forget the oldest fetches beyond max_buffered (the lock is held)."""
        while self._unwritten and self._pending() > self.max_buffered:
            self.dropped += len(self._unwritten.pop(0)["macs"])
        excess = self._pending() - self.max_buffered
        if excess > 0:
            del self._fetches[:excess]
            self.dropped += excess

    def _pending(self) -> int:
        return len(self._fetches) + sum(len(batch["macs"]) for batch in self._unwritten)


def _insert_once(collection: Collection, batch: dict) -> None:
    """Insert a batch; one already written by an earlier try (same `_id`) is no error."""
    try:
        collection.insert_one(batch)
    except DuplicateKeyError:
        pass


def _replace_unless_newer(collection: Collection, latest: dict[str, dict]) -> None:
    """Make each entry its device's latest fetch, unless the stored one is newer.

    Whole documents (never $set: NX-27017 turns a $set datetime into a string, docs/storage.rst), keyed by
    MAC as `_id` so every write goes through the primary index: a replacement on condition of the stored
    time, inserting when there is none. When the stored entry is newer the condition fails, the insert
    clashes on `_id`, and the clash is the answer: the newer one stays.
    """
    operations = [ReplaceOne({"_id": mac, "at": {"$lte": entry["at"]}}, _stored(mac, entry), upsert=True)
                  for mac, entry in latest.items()]
    if not operations:
        return
    try:
        collection.bulk_write(operations, ordered=False)
    except BulkWriteError as exc:
        if any(error.get("code") != DUPLICATE_KEY for error in exc.details.get("writeErrors", [])):
            raise


def _stored(mac: str, entry: dict) -> dict:
    """A latest-fetch entry as stored: its MAC is its `_id`."""
    return {"_id": mac, **{name: value for name, value in entry.items() if name != "mac"}}


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
