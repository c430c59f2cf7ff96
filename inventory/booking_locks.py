"""Short locks that serialise changes to one technician's schedule across threads, processes and servers.

Booking is "read the technician's visits, check for an overlap, insert": two bookings doing that at once
would both find the slot free. Each takes the technician's lock first: a document per technician, taken by
one conditional write (on its empty holder, or by inserting it), released by clearing the holder on
condition of the token that took it. A holder that died keeps it at most `LEASE_MS`; the next taker then
takes it over on the exact holder and expiry it read. Expiries are integers (milliseconds since the epoch),
never datetimes: NX-27017 stores a datetime given to `$set` as a string (docs/storage.rst).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import mongoengine as me
from pymongo.errors import DuplicateKeyError

#: How long a lock is good for without being released: far more than a booking takes (a few ms).
LEASE_MS = 30_000
#: How long a taker waits for a lock held by someone else before giving up.
WAIT_SECONDS = 5.0


class ScheduleBusy(RuntimeError):
    """The lock stayed held by someone else for longer than the wait: nothing was changed."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(f"the schedule {key} is being changed by another request; try again in a moment")


class BookingLock(me.Document):
    """One lock: `_id` names what it guards ("technician:<id>"), `holder` the token that holds it ("": free)."""

    id = me.StringField(primary_key=True)
    holder = me.StringField(default="")
    expires_ms = me.IntField(default=0)

    meta = {"collection": "booking_locks"}


def technician_key(technician_id: object) -> str:
    """The lock guarding one technician's schedule."""
    return f"technician:{technician_id}"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _take(key: str, token: str, deadline: float) -> None:
    collection = BookingLock._get_collection()
    while True:
        now = _now_ms()
        taken = {"$set": {"holder": token, "expires_ms": now + LEASE_MS}}
        if collection.update_one({"_id": key, "holder": ""}, taken).matched_count == 1:
            return
        try:
            collection.insert_one({"_id": key, "holder": token, "expires_ms": now + LEASE_MS})
            return
        except DuplicateKeyError:
            pass  # it exists: held, or released between our two writes
        held = collection.find_one({"_id": key})
        if held is not None and held.get("holder") and int(held.get("expires_ms") or 0) < now:
            stale = {"_id": key, "holder": held["holder"], "expires_ms": held.get("expires_ms")}
            if collection.update_one(stale, taken).matched_count == 1:
                return
        if time.monotonic() > deadline:
            raise ScheduleBusy(key)
        time.sleep(0.005 + random.random() * 0.02)


def _release(key: str, token: str) -> None:
    BookingLock._get_collection().update_one({"_id": key, "holder": token},
                                             {"$set": {"holder": "", "expires_ms": 0}})


def still_held(key: str, token: str) -> bool:
    """Whether `token` still holds `key` (its lease was not taken over)."""
    return BookingLock._get_collection().find_one({"_id": key, "holder": token}, {"_id": 1}) is not None


@contextmanager
def holding(keys: Iterable[str], wait: float | None = None) -> Iterator[str]:
    """Hold every lock of `keys` (taken in sorted order, so two holders never wait on each other) for the block.

    Yields the holder's token; ScheduleBusy when one stays taken for `wait` seconds (WAIT_SECONDS by default).
    """
    token = uuid.uuid4().hex
    deadline = time.monotonic() + (WAIT_SECONDS if wait is None else wait)
    taken: list[str] = []
    try:
        for key in sorted(set(keys)):
            _take(key, token, deadline)
            taken.append(key)
        yield token
    finally:
        for key in reversed(taken):
            _release(key, token)
