"""The pure arithmetic of the appointment pages: the day or week a list shows and its neighbours, appointments
grouped by day, free slots grouped by day for choosing one, and the value a chosen slot posts back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inventory.appointment_rules import ZONE, Slot

VIEWS = ("day", "week")


@dataclass(frozen=True)
class Period:
    """What a list shows: `days` days from `first`, asked for on `day`; `previous` and `following` are the days
    its previous and next links open."""

    view: str
    day: dt.date
    first: dt.date
    days: int
    previous: dt.date
    following: dt.date

    @property
    def last(self) -> dt.date:
        return self.first + dt.timedelta(days=self.days - 1)


def week_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """The Monday and the Sunday of the ISO week holding `day`."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def period_of(view: str, day: dt.date) -> Period:
    """The period of `view` ("day" or "week"; anything else reads as "week") holding `day`."""
    if view == "day":
        step = dt.timedelta(days=1)
        return Period("day", day, day, 1, day - step, day + step)
    monday, _ = week_bounds(day)
    step = dt.timedelta(days=7)
    return Period("week", day, monday, 7, monday - step, monday + step)


def parse_day(text: str | None, today: dt.date) -> dt.date | None:
    """A day from "YYYY-MM-DD" (years 2000 to 2199); `today` when none is given; None when it is not a date."""
    if not text:
        return today
    try:
        day = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None
    return day if day is not None and 2000 <= day.year < 2200 else None


def group_by_day(rows: Iterable[Mapping[str, Any]], first: dt.date, days: int) -> list[tuple[dt.date, list[Any]]]:
    """Every day of the period in order, each with its rows (their "day" is "YYYY-MM-DD"), sorted by "start";
    a day without rows is kept, empty, so a week shows its seven days."""
    by_day: dict[str, list[Any]] = {(first + dt.timedelta(days=n)).isoformat(): [] for n in range(days)}
    for row in rows:
        if row["day"] in by_day:
            by_day[row["day"]].append(row)
    return [(dt.date.fromisoformat(day), sorted(found, key=lambda row: row["start"])) for day, found in by_day.items()]


@dataclass(frozen=True)
class SlotChoice:
    """One free slot as a radio button: the value it posts, and what it says (times in Paris)."""

    value: str
    technician: str
    name: str
    start: dt.datetime
    end: dt.datetime

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M} · {self.name}"


def slot_value(technician: str, start: dt.datetime) -> str:
    """What a slot's radio button posts: the technician and the start in UTC."""
    return f"{technician}@{start.astimezone(dt.UTC):%Y-%m-%dT%H:%MZ}"


def parse_slot_value(value: str) -> tuple[str, dt.datetime] | None:
    """The technician and the start a slot's value names; None when the value is not one of ours."""
    technician, _, moment = value.partition("@")
    if len(technician) != 24 or not all(c in "0123456789abcdef" for c in technician):
        return None
    try:
        start = dt.datetime.strptime(moment, "%Y-%m-%dT%H:%MZ").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return technician, start


def slots_by_day(slots: Sequence[Slot]) -> list[tuple[dt.date, list[SlotChoice]]]:
    """Free slots grouped by their Paris day, in order; each day's slots by start then technician name."""
    days: dict[dt.date, list[SlotChoice]] = {}
    for slot in sorted(slots, key=lambda s: (s.start, s.name, s.technician)):
        start, end = slot.start.astimezone(ZONE), slot.end.astimezone(ZONE)
        days.setdefault(start.date(), []).append(
            SlotChoice(slot_value(slot.technician, slot.start), slot.technician, slot.name, start, end))
    return list(days.items())


def local_start(day: dt.date, clock: dt.time) -> dt.datetime:
    """A wall-clock time in Paris on `day`, as an aware datetime (the earlier one when the clocks go back)."""
    return dt.datetime.combine(day, clock, tzinfo=ZONE)


def parse_clock(text: str) -> dt.time | None:
    """A time of day from "HH:MM" (what a time field sends); None when it is not one."""
    try:
        return dt.time.fromisoformat(text) if len(text) == 5 and text[2] == ":" else None
    except ValueError:
        return None
