"""Contract clause 7.2c over call records: at most 150 distinct numbers called per line in a calendar month.

Which calls count is decided here once, for the live alert (sip_core/calls.py) and the monthly report alike:
answered calls (what the carrier bills) to the classes the unlimited plans cover (clause 7.1: national fixed
and mobile numbers, fixed lines of the included countries), one spelling per number (E.164 when known). A call
belongs to the Paris calendar month it started in. The counting itself is `fraud.DistinctDestinations`'s.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from sip_core.call_records import CallRecord, Outcome
from sip_core.fraud import (
    CONTRACT_TIMEZONE,
    FAIR_USE_ALERT_AT,
    FAIR_USE_LIMIT,
    DistinctDestinations,
    fair_use_state,
    month_key,
)
from sip_core.numbering import DestinationClass

#: The classes of the unlimited plans (clause 7.1), whose fair use clause 7.2c bounds.
FAIR_USE_CLASSES: frozenset[DestinationClass] = frozenset(
    {DestinationClass.FIXED, DestinationClass.MOBILE, DestinationClass.INTERNATIONAL_INCLUDED})
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def counts_toward_fair_use(outcome: Outcome, destination_class: DestinationClass | None) -> bool:
    """Does a call with this outcome, to this class of number, count among the line's distinct numbers?"""
    return outcome is Outcome.ANSWERED and destination_class in FAIR_USE_CLASSES


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """The first instant of a contract month ("2026-11") and of the next one, as UTC datetimes (Paris midnights)."""
    matched = _MONTH.fullmatch(month)
    if matched is None or not 1970 <= int(matched.group(1)) <= 9998:  # past those, a bound is out of datetime's range
        raise ValueError(f"expected a month as YYYY-MM from 1970-01 on, got {month[:20]!r}")
    year, number = int(matched.group(1)), int(matched.group(2))
    following = (year + 1, 1) if number == 12 else (year, number + 1)
    first = datetime(year, number, 1, tzinfo=CONTRACT_TIMEZONE)
    after = datetime(*following, 1, tzinfo=CONTRACT_TIMEZONE)
    return first.astimezone(timezone.utc), after.astimezone(timezone.utc)


@dataclass(frozen=True)
class LineUse:
    """One line's month: distinct numbers called (counted calls), and when it reached the alert and passed the limit."""

    line: str
    caller: str
    site: str
    customer: str
    distinct_numbers: int
    counted_calls: int
    state: str  # fraud.fair_use_state: "ok", "alert" or "over"
    alert_since: datetime | None  # the start of the call that reached the alert threshold
    over_since: datetime | None  # the start of the call that passed the limit


def fair_use(records: Iterable[CallRecord], month: str, alert_at: int = FAIR_USE_ALERT_AT,
             limit: int = FAIR_USE_LIMIT) -> list[LineUse]:
    """Every line's use in `month`, most distinct numbers first, from call records in start order (other
    months' records are skipped; a record older than the one before it is a ValueError: the crossing times
    would be wrong)."""
    month_bounds(month)  # checks the form
    counter = DistinctDestinations(alert_at, limit, max_lines=sys.maxsize)
    latest: dict[str, CallRecord] = {}
    calls: dict[str, int] = {}
    crossed: dict[tuple[str, str], datetime] = {}
    previous: datetime | None = None
    for record in records:
        if previous is not None and record.start < previous:
            raise ValueError(f"call records must come in start order: {record.start} after {previous}")
        previous = record.start
        if (not record.caller_line or month_key(record.start) != month
                or not counts_toward_fair_use(record.outcome, record.destination_class)):
            continue
        state = counter.record(record.caller_line, record.destination, record.start)
        if state is not None:
            crossed.setdefault((record.caller_line, state), record.start)
        latest[record.caller_line] = record
        calls[record.caller_line] = calls.get(record.caller_line, 0) + 1
    uses = []
    for line, record in latest.items():
        count = counter.count(line, month)
        over = crossed.get((line, "over"))
        uses.append(LineUse(line, record.caller, record.caller_site, record.caller_customer, count, calls[line],
                            fair_use_state(count, alert_at, limit),
                            crossed.get((line, "alert")) or over, over))
    uses.sort(key=lambda use: (-use.distinct_numbers, use.line))
    return uses


def past(uses: Iterable[LineUse], threshold: int = FAIR_USE_LIMIT) -> list[LineUse]:
    """The lines that called more than `threshold` distinct numbers (150: the lines in breach of clause 7.2c)."""
    return [use for use in uses if use.distinct_numbers > threshold]
