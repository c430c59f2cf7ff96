"""Re-sync requests: staff ask for devices to be told to fetch their configuration; the SIP core's process does it.

A request crosses processes through the database: any HTTP worker or the CLI queues it, the one process running
the SIP core claims it (queued -> taken), sends the NOTIFYs and writes what each device answered (-> done). A
claim is a conditional write on the request's state (and, to take over, on the claim token read), so two
processes never both get it; the claimer stamps `heartbeat_at` while it works, and a request whose heartbeat is
older than STALE_SECONDS (its worker died) is taken again, at most MAX_ATTEMPTS times in all.

Results are parallel lists (entry i of each is result i): NX-27017 breaks arrays of sub-documents
(docs/storage.rst). Times change only by `$currentDate`, never by `$set`, for the same reason.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, Iterable

import mongoengine as me
from pymongo import ReturnDocument

from inventory.references import record_by_id
from inventory.stored_times import to_millisecond

STATES = ("queued", "taken", "done")
TARGET_KINDS = ("device", "site", "out_of_date")
#: What one NOTIFY (or the lack of one) came to.
OUTCOMES = ("answered", "not_registered", "timeout", "failed")
#: Requests are forgotten this long after they were made (TTL index).
RETAIN_DAYS = 30
#: A taken request whose worker has not stamped it for this long is taken again.
STALE_SECONDS = 60.0
#: Takes of one request at most; a request whose workers keep dying is then given up, saying so.
MAX_ATTEMPTS = 3
#: The parallel lists holding the results, by the name of the field of ResyncResult each holds.
RESULT_LISTS = {"mac": "result_macs", "line": "result_lines", "contact": "result_contacts",
                "outcome": "result_outcomes", "status": "result_statuses", "reason": "result_reasons"}


@dataclass(frozen=True)
class ResyncResult:
    """What one device's line answered: at one of its bindings (`contact`), or why nothing was sent."""

    mac: str
    line: str  # the line's SIP user name, "" when the device carries none
    contact: str  # the binding told, "" when none was
    outcome: str  # one of OUTCOMES
    status: int = 0  # the SIP status answered (408 for a timeout), 0 when nothing was sent
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"mac": self.mac, "line": self.line, "contact": self.contact, "outcome": self.outcome,
                "status": self.status, "reason": self.reason}


class ResyncRequest(me.Document):
    """One request to re-sync a device, a site's devices, or every device behind on its configuration."""

    target_kind = me.StringField(required=True, choices=TARGET_KINDS)
    target = me.StringField(default="", max_length=64)  # the MAC, the site's id, "" for out_of_date
    requested_by = me.StringField(required=True, max_length=80)
    request_id = me.StringField(default="", max_length=64)  # the API request or CLI run that queued it
    requested_at = me.DateTimeField(required=True)
    state = me.StringField(required=True, choices=STATES, default="queued")
    claim = me.StringField(default="")  # the token of the current take; a write of results must match it
    taken_by = me.StringField(default="", max_length=120)
    attempts = me.IntField(default=0)
    taken_at = me.DateTimeField()
    heartbeat_at = me.DateTimeField()
    done_at = me.DateTimeField()
    error = me.StringField(default="")  # why the request as a whole failed, "" when it did not
    devices = me.IntField(default=0)  # how many devices the target reached
    result_macs = me.ListField(me.StringField())
    result_lines = me.ListField(me.StringField())
    result_contacts = me.ListField(me.StringField())
    result_outcomes = me.ListField(me.StringField())
    result_statuses = me.ListField(me.IntField())
    result_reasons = me.ListField(me.StringField())

    # No index on the lists (docs/storage.rst); `state` finds the queued and taken ones.
    meta = {"collection": "resync_requests",
            "indexes": ["state", {"fields": ["requested_at"], "expireAfterSeconds": RETAIN_DAYS * 86400}]}

    @property
    def results(self) -> list[ResyncResult]:
        """The results written so far, in the order written."""
        columns = [getattr(self, key) or [] for key in RESULT_LISTS.values()]
        return [ResyncResult(*row) for row in zip(*columns, strict=True)]


def _now() -> dt.datetime:
    return to_millisecond(dt.datetime.now(dt.timezone.utc))


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(tzinfo=dt.timezone.utc) if moment is not None and moment.tzinfo is None else moment


def queue(target_kind: str, target: str, requested_by: str, request_id: str = "") -> ResyncRequest:
    """Store a new queued request; raises ValueError for a target kind that does not exist."""
    if target_kind not in TARGET_KINDS:
        raise ValueError(f"target kind {target_kind!r} is not one of {', '.join(TARGET_KINDS)}")
    request = ResyncRequest(target_kind=target_kind, target=target, requested_by=requested_by,
                            request_id=request_id, requested_at=_now())
    return request.save(force_insert=True)


def find(request_id: str) -> ResyncRequest | None:
    """The request with this id (text), or None when there is none or the id is not one."""
    return record_by_id(ResyncRequest, request_id)


@dataclass(frozen=True)
class Claimed:
    """A request this process took, and the token its writes must carry."""

    request: ResyncRequest
    claim: str


def claim_next(worker: str, now: dt.datetime | None = None, stale_seconds: float = STALE_SECONDS) -> Claimed | None:
    """Take the oldest queued request, else one whose worker stopped stamping it; None when there is neither.

    Each take is one conditional write by `_id` (found first through the `state` index): on the state queued,
    or on the state taken and the claim token read, so of several processes taking at once exactly one wins.
    """
    collection = ResyncRequest._get_collection()
    for found in collection.find({"state": "queued"}, {"_id": 1}).sort("_id", 1).limit(20):
        taken = _take(collection, {"_id": found["_id"], "state": "queued"}, worker)
        if taken is not None:
            return taken
    now = now or _now()
    for found in collection.find({"state": "taken"}, {"claim": 1, "heartbeat_at": 1, "attempts": 1}).sort("_id", 1):
        # Compared here, not in the filter: NX-27017 compares datetimes in filters to the second only.
        heartbeat = _aware(found.get("heartbeat_at"))
        if heartbeat is not None and (now - heartbeat).total_seconds() < stale_seconds:
            continue
        condition = {"_id": found["_id"], "state": "taken", "claim": found.get("claim", "")}
        if found.get("attempts", 0) >= MAX_ATTEMPTS:
            collection.update_one(condition, {
                "$set": {"state": "done", "claim": "", "error": f"given up: taken {found.get('attempts', 0)} times "
                                                                 "by workers that stopped before finishing"},
                "$currentDate": {"done_at": True}})
            continue
        taken = _take(collection, condition, worker)
        if taken is not None:
            return taken
    return None


def _take(collection, condition: dict, worker: str) -> Claimed | None:  # type: ignore[no-untyped-def]
    claim = secrets.token_hex(12)
    raw = collection.find_one_and_update(
        condition, {"$set": {"state": "taken", "claim": claim, "taken_by": worker[:120]}, "$inc": {"attempts": 1},
                    "$currentDate": {"taken_at": True, "heartbeat_at": True}},
        return_document=ReturnDocument.AFTER)
    if raw is None:
        return None  # another process took it first
    return Claimed(ResyncRequest._from_son(raw), claim)


def record(claimed: Claimed, devices: int, results: Iterable[ResyncResult], done: bool, error: str = "") -> bool:
    """Write the results so far (all of them, replacing those written before) and stamp the heartbeat; `done`
    ends the request. False when the request is no longer this claim's (taken over, or given up): stop then."""
    rows = list(results)
    values: dict[str, Any] = {key: [getattr(row, name) for row in rows] for name, key in RESULT_LISTS.items()}
    values.update(devices=devices, error=error)
    stamps = {"heartbeat_at": True}
    if done:
        values.update(state="done", claim="")
        stamps["done_at"] = True
    written = ResyncRequest._get_collection().update_one(
        {"_id": claimed.request.pk, "state": "taken", "claim": claimed.claim},
        {"$set": values, "$currentDate": stamps})
    return written.matched_count == 1


def heartbeat(claimed: Claimed) -> bool:
    """Stamp the request as still being worked on; False when it is no longer this claim's."""
    stamped = ResyncRequest._get_collection().update_one(
        {"_id": claimed.request.pk, "state": "taken", "claim": claimed.claim}, {"$currentDate": {"heartbeat_at": True}})
    return stamped.matched_count == 1


def summary(results: Iterable[ResyncResult]) -> dict[str, int]:
    """How many results came to each outcome (every outcome named, 0 when none)."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for result in results:
        counts[result.outcome] += 1
    return counts
