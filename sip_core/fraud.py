"""Toll-fraud guards of the SIP core: which destinations a line may call, and who gets banned for what.

Clauses 8.7 and 9.3 make toll fraud the customer's cost only when their own equipment let it in, so the core
refuses what stolen credentials are used for (premium and far-away numbers, call bursts), bans password
guessers, scanners and sweeps, and counts the distinct numbers of clause 7.2c (150 per line per month).
No I/O and no clock: every time is passed in (seconds, any monotonic origin; an aware datetime for months).
The classes keep their own bounded state in memory; evicting the least recently seen entry is what bounds it.
"""

from __future__ import annotations

import functools
import re
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from sip_core.numbering import ALWAYS_ALLOWED, DestinationClass

#: Blocked on every line unless its configuration says otherwise: where stolen credentials cost most.
DEFAULT_BLOCKED: frozenset[DestinationClass] = frozenset(
    {DestinationClass.PREMIUM, DestinationClass.INTERNATIONAL_OTHER})
#: The contract's calendar months are French ones.
CONTRACT_TIMEZONE = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Decision:
    """Whether a request may go on; when not, the SIP status and reason phrase to answer with."""

    allowed: bool
    status: int | None = None
    reason: str = ""


ALLOW = Decision(True)


def call_allowed(destination_class: DestinationClass,
                 blocked_classes: frozenset[DestinationClass] = DEFAULT_BLOCKED) -> Decision:
    """May a line call a destination of this class? Emergency numbers always; invalid numbers never."""
    if destination_class in ALWAYS_ALLOWED:
        return ALLOW
    if destination_class is DestinationClass.INVALID:
        return Decision(False, 404, "Not a valid number")
    if destination_class in blocked_classes:
        return Decision(False, 403, f"Calls to {destination_class.value.replace('_', ' ')} numbers are blocked")
    return ALLOW


K = TypeVar("K")
V = TypeVar("V")


class _Bounded(Generic[K, V]):
    """A dict that keeps at most `capacity` keys, forgetting the least recently touched one first."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        return self._items.get(key)

    def touch(self, key: K, value: V) -> V:
        """The value of `key` (`value` when absent), now the most recently touched."""
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        self._items[key] = value
        if len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return value

    def pop(self, key: K) -> None:
        self._items.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class _Offender:
    events: deque[float]
    banned_until: float = float("-inf")


class FailureBans:
    """Bans a source address for `ban_for` seconds after `max_failures` failed authentications within `window`."""

    def __init__(self, max_failures: int = 10, window: float = 60.0, ban_for: float = 900.0,
                 max_tracked: int = 10_000) -> None:
        self.max_failures, self.window, self.ban_for = max_failures, window, ban_for
        self._addresses: _Bounded[str, _Offender] = _Bounded(max_tracked)

    def record_failure(self, addr: str, now: float) -> bool:
        """Count one failure from `addr`; True when the address is banned after it."""
        offender = self._addresses.touch(addr, value=_Offender(deque(maxlen=self.max_failures)))
        if now < offender.banned_until:
            return True
        offender.events.append(now)
        while offender.events and offender.events[0] <= now - self.window:
            offender.events.popleft()
        if len(offender.events) >= self.max_failures:
            offender.banned_until = now + self.ban_for
            offender.events.clear()
            return True
        return False

    def is_banned(self, addr: str, now: float) -> bool:
        """Is `addr` banned at `now`? A ban ends exactly `ban_for` seconds after it began."""
        offender = self._addresses.get(addr)
        return offender is not None and now < offender.banned_until

    def forget(self, addr: str) -> None:
        """Forget `addr`'s failures (after it authenticated), but not a ban in force."""
        offender = self._addresses.get(addr)
        if offender is not None and offender.banned_until == float("-inf"):
            self._addresses.pop(addr)
        elif offender is not None:
            offender.events.clear()

    def __len__(self) -> int:
        return len(self._addresses)


@dataclass
class _Line:
    starts: deque[float]
    active: dict[str, float]


class CallRateGuard:
    """Caps the calls a line starts per `window` seconds and the calls it has up at once."""

    def __init__(self, max_per_window: int = 10, max_concurrent: int = 4, window: float = 60.0,
                 max_call_duration: float = 4 * 3600.0, max_lines: int = 10_000) -> None:
        self.max_per_window, self.max_concurrent, self.window = max_per_window, max_concurrent, window
        self.max_call_duration = max_call_duration  # a call older than this lost its BYE: stop counting it
        self._lines: _Bounded[str, _Line] = _Bounded(max_lines)

    def try_start(self, line: str, call_id: str, now: float) -> Decision:
        """May `line` start call `call_id` at `now`? An allowed call counts until `end`; a repeated Call-ID is free."""
        state = self._lines.touch(line, value=_Line(deque(), {}))
        if call_id in state.active:  # the same INVITE again, e.g. answering a 407 challenge
            return ALLOW
        for stale in [cid for cid, started in state.active.items() if started <= now - self.max_call_duration]:
            del state.active[stale]
        while state.starts and state.starts[0] <= now - self.window:
            state.starts.popleft()
        if len(state.active) >= self.max_concurrent:
            return Decision(False, 403, f"Too many simultaneous calls (at most {self.max_concurrent})")
        if len(state.starts) >= self.max_per_window:
            return Decision(False, 403, f"Too many calls (at most {self.max_per_window} in {self.window:g} s)")
        state.starts.append(now)
        state.active[call_id] = now
        return ALLOW

    def end(self, line: str, call_id: str) -> None:
        """Call `call_id` of `line` is over (or never got through): it no longer counts as up."""
        state = self._lines.get(line)
        if state is not None:
            state.active.pop(call_id, None)

    def active(self, line: str) -> int:
        """How many calls `line` has up."""
        state = self._lines.get(line)
        return len(state.active) if state is not None else 0

    def __len__(self) -> int:
        return len(self._lines)


# Tools that announce themselves; matched case-insensitively as whole words. Not listed: sipsak (administrators'
# monitoring), PortSIP and other SDKs (legitimate softphones use them), PBX products (detected elsewhere).
SCANNER_USER_AGENTS = (
    "friendly-scanner", "sipvicious", "sipcli", "sip-scan", "sipscan", "vaxsipuseragent", "iwar", "sundayddr",
    "pplsip", "siparmyknife", "smap", "sipptk", "sipbomber",
)
_SCANNER = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, SCANNER_USER_AGENTS)) + r")(?![\w-])", re.I)


@functools.lru_cache(maxsize=4096)  # a fleet sends a few dozen distinct User-Agents, once per request each
def is_scanner(user_agent: str | None) -> bool:
    """Does this User-Agent (or Server) header name a known SIP scanning tool?"""
    return bool(user_agent) and _SCANNER.search(user_agent or "") is not None


@dataclass
class _Sweeper:
    users: dict[str, float]
    banned_until: float = float("-inf")


class OptionsSweepGuard:
    """Bans an address that sends requests to more than `max_distinct` different users within `window` seconds."""

    def __init__(self, max_distinct: int = 20, window: float = 10.0, ban_for: float = 3600.0,
                 max_tracked: int = 10_000) -> None:
        self.max_distinct, self.window, self.ban_for = max_distinct, window, ban_for
        self._addresses: _Bounded[str, _Sweeper] = _Bounded(max_tracked)

    def record(self, addr: str, user: str, now: float) -> bool:
        """Note a request from `addr` to `user` (OPTIONS, REGISTER or INVITE); True when `addr` is banned."""
        sweeper = self._addresses.touch(addr, value=_Sweeper({}))
        if now < sweeper.banned_until:
            return True
        sweeper.users.pop(user, None)
        sweeper.users[user] = now  # insertion order is then time order
        for old in [u for u, seen in sweeper.users.items() if seen <= now - self.window]:
            del sweeper.users[old]
        if len(sweeper.users) > self.max_distinct:
            sweeper.banned_until = now + self.ban_for
            sweeper.users.clear()
            return True
        return False

    def is_banned(self, addr: str, now: float) -> bool:
        """Is `addr` banned at `now`?"""
        sweeper = self._addresses.get(addr)
        return sweeper is not None and now < sweeper.banned_until

    def __len__(self) -> int:
        return len(self._addresses)


def month_key(when: datetime) -> str:
    """The contract month ("2026-11") of an aware datetime, in Paris time."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("month_key needs an aware datetime: a naive one could be in any time zone")
    return when.astimezone(CONTRACT_TIMEZONE).strftime("%Y-%m")


FAIR_USE_ALERT_AT, FAIR_USE_LIMIT = 120, 150


def fair_use_state(distinct_count: int, alert_at: int = FAIR_USE_ALERT_AT, limit: int = FAIR_USE_LIMIT) -> str:
    """The fair-use state of a count: "ok", "alert" from `alert_at`, "over" past `limit` (150 is allowed, 151 not)."""
    if distinct_count > limit:
        return "over"
    if distinct_count >= alert_at:
        return "alert"
    return "ok"


@dataclass
class _Month:
    month: str
    numbers: set[str]


class DistinctDestinations:
    """Distinct numbers called per line in the current contract month, reporting each threshold once."""

    def __init__(self, alert_at: int = FAIR_USE_ALERT_AT, limit: int = FAIR_USE_LIMIT, max_lines: int = 100_000,
                 max_numbers: int = 10_000) -> None:
        self.alert_at, self.limit = alert_at, limit
        self.max_numbers = max_numbers  # past this many, a line's count stops growing (it is long over anyway)
        self._lines: _Bounded[str, _Month] = _Bounded(max_lines)

    def _month_of(self, line: str, month: str) -> _Month:
        state = self._lines.touch(line, value=_Month(month, set()))
        if state.month != month:  # a new month starts from zero; the old one was saved elsewhere
            state.month, state.numbers = month, set()
        return state

    def record(self, line: str, number: str, when: datetime) -> str | None:
        """Count a call from `line` to `number`; "alert" or "over" when this call first reaches that state."""
        state = self._month_of(line, month_key(when))
        before = fair_use_state(len(state.numbers), self.alert_at, self.limit)
        if len(state.numbers) < self.max_numbers:
            state.numbers.add(number)
        after = fair_use_state(len(state.numbers), self.alert_at, self.limit)
        return after if after != before else None

    def restore(self, line: str, month: str, numbers: set[str] | frozenset[str]) -> None:
        """Load a line's numbers of `month` saved earlier (after a restart), so thresholds are not reported again."""
        self._month_of(line, month).numbers = set(list(numbers)[:self.max_numbers])

    def count(self, line: str, month: str) -> int:
        """How many distinct numbers `line` called in `month` (0 when not tracked)."""
        state = self._lines.get(line)
        return len(state.numbers) if state is not None and state.month == month else 0

    def __len__(self) -> int:
        return len(self._lines)
