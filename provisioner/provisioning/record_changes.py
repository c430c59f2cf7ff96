"""Which records changed since the last look, read from the event log, so that a cache lets go of those only.

Every record write moves the records' generation (inventory/generation.py) and then appends one event
(inventory/events.py). A ChangeFeed reads the generation; when it moved (and for SETTLE_SECONDS after,
since an event lands a moment after its bump) it reads the events of a window that reaches OVERLAP_SECONDS
before the previous read: event ids are made by the writing processes' clocks, so they are neither in
order nor on time across processes. Ids already handled are remembered for as long as the window still
covers them. Each bump owes one event: when the events owed do not show within GRACE_SECONDS, when the
window holds more than MAX_EVENTS, or when the previous read is older than MAX_WINDOW_SECONDS, the feed
answers "everything" (fail safe).

`affected()` says what one event reaches, as keys "<collection>:<id>" and "mac:<mac>"; None means every
rendered file.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from bson import ObjectId

from inventory import generation
from inventory.events import Event

#: How far before the previous read a window starts: more than the clock skew between writing processes.
OVERLAP_SECONDS = 5.0
#: Events are read at every check for this long after the generation last moved (an event follows its bump).
SETTLE_SECONDS = 5.0
#: How long a bump may wait for its event before the feed gives up and answers "everything": an event lands
#: milliseconds after its bump, unless its writer died in between or its clock lags more than OVERLAP_SECONDS.
GRACE_SECONDS = 3.0
#: Events read in one window at most; more answer "everything".
MAX_EVENTS = 2000
#: Events read first, newest first; four times more each time until the window is covered.
FIRST_READ = 64
#: The oldest previous read a window may start from; an older one answers "everything".
MAX_WINDOW_SECONDS = 3600.0

#: Collections whose records reach a device's files through the device itself, its lines, site or customer.
DEVICE_RECORDS = frozenset({"equipment", "lines", "sites", "customers"})
#: Collections no rendered file shows. Any other collection (template overrides, firmware images, one added
#: later) reaches every file.
UNRENDERED = frozenset({"users", "api_tokens", "contracts", "charge_lines", "seizures", "insurance_certificates",
                        "admin_access_exceptions", "quarantine", "fetch_batches", "latest_fetches", "events",
                        "failure_tickets", "appointments", "technicians"})
#: What the feed reads of an event (no nested projection: NX-27017 returns "before.mac" as a flat key).
FIELDS = {"collection": 1, "object_id": 1, "before": 1, "after": 1}


def affected(event: Mapping[str, Any]) -> frozenset[str] | None:
    """The keys one event reaches ("equipment:<id>", "mac:<mac>", "lines:<id>", ...), or None for everything."""
    collection = event.get("collection") or ""
    if collection in UNRENDERED:
        return frozenset()
    if collection not in DEVICE_RECORDS:
        return None
    keys = {f"{collection}:{event.get('object_id') or ''}"}
    if collection == "equipment":
        # A changed MAC leaves the old one and may be one remembered as absent: both go.
        for snapshot in (event.get("before"), event.get("after")):
            mac = snapshot.get("mac") if isinstance(snapshot, Mapping) else None
            if mac:
                keys.add(f"mac:{mac}")
    return frozenset(keys)


@dataclass
class Changes:
    """What changed since the last poll: everything (with why), or the keys of what did; and the collections of
    every change seen, rendered or not (what other caches than the device cache follow)."""

    everything: bool = False
    reason: str = ""
    keys: set[str] = field(default_factory=set)
    collections: set[str] = field(default_factory=set)

    @classmethod
    def all(cls, reason: str) -> "Changes":
        return cls(everything=True, reason=reason)

    def __bool__(self) -> bool:
        return self.everything or bool(self.keys)


class ChangeFeed:
    """Follows the records' generation and the event log for one process; not thread-safe (its owner locks)."""

    def __init__(self, wall_clock: Callable[[], float] = time.time):
        self.wall_clock = wall_clock
        self._generation: int | None = None
        self._since = float("-inf")  # wall time of the previous read: the next window starts OVERLAP_SECONDS before
        self._moved_at = float("-inf")  # wall time the generation was last seen moving
        self._owed = 0  # bumps whose event has not been seen yet
        self._owed_since: float | None = None
        self._handled: set[ObjectId] = set()  # ids of the events read that a window may return again

    def poll(self) -> Changes:
        """What changed since the previous poll; raises (and starts afresh next time) if the database fails."""
        now = self.wall_clock()
        try:
            return self._poll(now)
        except Exception:
            self._generation = None
            raise

    def _poll(self, now: float) -> Changes:
        if self._generation is None:
            return self._restart(now, "first check")
        value = generation.current()
        if value < self._generation:
            return self._restart(now, "generation went back")
        if value == self._generation and not self._owed and now - self._moved_at > SETTLE_SECONDS:
            self._since = now
            return Changes()
        if now - self._since > MAX_WINDOW_SECONDS:
            return self._restart(now, "previous read too old")
        events = _events_since(self._since - OVERLAP_SECONDS, MAX_EVENTS + 1)
        if len(events) > MAX_EVENTS:
            return self._restart(now, f"more than {MAX_EVENTS} events")
        # Read after the events: the bump of every event read is counted (a bump comes before its event).
        value = generation.current()
        if value < self._generation:
            return self._restart(now, "generation went back")
        if value > self._generation:
            self._moved_at, self._owed, self._generation = now, self._owed + value - self._generation, value
        changes, fresh, seen = Changes(), 0, set()
        for event in events:
            if event["_id"] in self._handled:
                continue
            self._handled.add(event["_id"])
            fresh += 1
            seen.add(event.get("collection") or "")
            keys = affected(event)
            if keys is None:
                changes = Changes.all(f"{event.get('collection')} changed")
            elif not changes.everything:
                changes.keys |= keys
        # An event without a bump (an outbox delivered late) must not leave a debt below zero.
        self._owed = max(0, self._owed - fresh)
        if not self._owed:
            self._owed_since = None
        elif self._owed_since is None:
            self._owed_since = now
        elif now - self._owed_since > GRACE_SECONDS:
            return self._restart(now, f"{self._owed} events missing after {GRACE_SECONDS:.0f} s")
        self._since = now
        self._forget_before(now - OVERLAP_SECONDS)
        changes.collections = seen
        return changes

    def _restart(self, now: float, reason: str) -> Changes:
        """Answer everything and count from here: the events written so far are handled by letting go of all."""
        handled = {event["_id"] for event in _events_since(now - OVERLAP_SECONDS, 4 * MAX_EVENTS, {"_id": 1})}
        value = generation.current()  # after the events, as in _poll
        self._generation, self._since, self._owed, self._owed_since = value, now, 0, None
        self._handled = handled
        return Changes.all(reason)

    def _forget_before(self, start: float) -> None:
        """Forget the ids no window starting at `start` or later returns (an ObjectId holds whole seconds)."""
        first = math.floor(start)
        self._handled = {oid for oid in self._handled if oid.generation_time.timestamp() >= first}


def _events_since(start: float, limit: int, fields: Mapping[str, int] = FIELDS) -> list[dict]:
    """The newest `limit` events whose id was made at `start` or later (to the second), oldest first.

    NX-27017 answers a range filter on `_id` (or `at`) by scanning the whole log (100 ms among 10,000 events),
    and the newest events sorted on `_id` through the index (1 ms whatever the size): so the newest are read,
    more of them until the oldest read lies before `start`.
    """
    lowest = ObjectId.from_datetime(dt.datetime.fromtimestamp(max(start, 0), dt.timezone.utc))
    size = min(FIRST_READ, limit)
    while True:
        events = list(Event._get_collection().find({}, dict(fields)).sort("_id", -1).limit(size))
        inside = [event for event in events if event["_id"] >= lowest]
        if len(inside) < size or size >= limit:
            return inside[::-1]
        size = min(size * 4, limit)
