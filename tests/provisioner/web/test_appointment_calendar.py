"""The appointment pages' arithmetic, table-driven: week bounds, the period a list shows and its neighbours,
rows grouped by day, free slots grouped for choosing, and the values a chosen slot or a typed time post."""

from __future__ import annotations

import datetime as dt

import pytest

from inventory.appointment_rules import ZONE, Slot
from provisioner.web.installations.appointment_calendar import (
    group_by_day,
    local_start,
    parse_clock,
    parse_day,
    parse_slot_value,
    period_of,
    slot_value,
    slots_by_day,
    week_bounds,
)

D = dt.date
TECH_A, TECH_B = "a" * 24, "b" * 24


@pytest.mark.parametrize(("day", "monday", "sunday"), [
    (D(2026, 6, 8), D(2026, 6, 8), D(2026, 6, 14)),     # a Monday is its own week's first day
    (D(2026, 6, 14), D(2026, 6, 8), D(2026, 6, 14)),    # a Sunday its last
    (D(2026, 12, 31), D(2026, 12, 28), D(2027, 1, 3)),  # a week across the new year
    (D(2024, 2, 29), D(2024, 2, 26), D(2024, 3, 3)),    # a leap day
])
def test_week_bounds(day, monday, sunday) -> None:
    assert week_bounds(day) == (monday, sunday)


@pytest.mark.parametrize(("view", "day", "first", "days", "previous", "following"), [
    ("day", D(2026, 6, 10), D(2026, 6, 10), 1, D(2026, 6, 9), D(2026, 6, 11)),
    ("day", D(2026, 3, 1), D(2026, 3, 1), 1, D(2026, 2, 28), D(2026, 3, 2)),
    ("week", D(2026, 6, 10), D(2026, 6, 8), 7, D(2026, 6, 1), D(2026, 6, 15)),
    ("week", D(2027, 1, 1), D(2026, 12, 28), 7, D(2026, 12, 21), D(2027, 1, 4)),
])
def test_period_of(view, day, first, days, previous, following) -> None:
    period = period_of(view, day)
    assert (period.view, period.first, period.days, period.previous, period.following) == (
        view, first, days, previous, following)
    assert period.last == first + dt.timedelta(days=days - 1)


@pytest.mark.parametrize(("text", "expected"), [
    ("", D(2026, 11, 26)), (None, D(2026, 11, 26)), ("2026-06-08", D(2026, 6, 8)),
    ("2026-02-30", None), ("08/06/2026", None), ("1999-12-31", None), ("2200-01-01", None), ("2026-6-8", None),
])
def test_parse_day(text, expected) -> None:
    assert parse_day(text, D(2026, 11, 26)) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("09:30", dt.time(9, 30)), ("00:00", dt.time(0, 0)), ("23:59", dt.time(23, 59)),
    ("24:00", None), ("9:30", None), ("09:30:00", None), ("", None), ("ab:cd", None),
])
def test_parse_clock(text, expected) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize(("day", "clock", "utc"), [
    (D(2026, 6, 8), dt.time(10, 0), dt.datetime(2026, 6, 8, 8, 0, tzinfo=dt.UTC)),    # summer: UTC+2
    (D(2026, 12, 7), dt.time(10, 0), dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)),  # winter: UTC+1
    (D(2026, 10, 25), dt.time(2, 30), dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)),  # twice: the earlier
])
def test_local_start(day, clock, utc) -> None:
    assert local_start(day, clock).astimezone(dt.UTC) == utc  # an ambiguous time never equals across zones


def row(day: str, start: str, name: str) -> dict:
    return {"day": day, "start": dt.datetime.fromisoformat(f"{day}T{start}+02:00"), "name": name}


@pytest.mark.parametrize(("rows", "first", "days", "expected"), [
    ([], D(2026, 6, 8), 1, [("2026-06-08", [])]),
    ([row("2026-06-09", "14:00", "late"), row("2026-06-09", "09:00", "early"), row("2026-06-11", "08:00", "thu")],
     D(2026, 6, 8), 7,
     [("2026-06-08", []), ("2026-06-09", ["early", "late"]), ("2026-06-10", []), ("2026-06-11", ["thu"]),
      ("2026-06-12", []), ("2026-06-13", []), ("2026-06-14", [])]),
    ([row("2026-06-07", "09:00", "before"), row("2026-06-08", "09:00", "in")], D(2026, 6, 8), 1,
     [("2026-06-08", ["in"])]),  # a row outside the period is left out
])
def test_group_by_day(rows, first, days, expected) -> None:
    grouped = group_by_day(rows, first, days)
    assert [(day.isoformat(), [r["name"] for r in found]) for day, found in grouped] == expected


def slot(technician: str, name: str, start: str, minutes: int = 60) -> Slot:
    begin = dt.datetime.fromisoformat(start).astimezone(ZONE)
    return Slot(technician, name, begin, begin + dt.timedelta(minutes=minutes))


@pytest.mark.parametrize(("slots", "expected"), [
    ([], []),
    ([slot(TECH_B, "Bruno", "2026-06-08T08:00:00+00:00"), slot(TECH_A, "Alice", "2026-06-08T08:00:00+00:00"),
      slot(TECH_A, "Alice", "2026-06-08T07:00:00+00:00")],
     [("2026-06-08", ["09:00–10:00 · Alice", "10:00–11:00 · Alice", "10:00–11:00 · Bruno"])]),
    # 23:30 UTC is already the next day in Paris: the slot is grouped under its Paris day.
    ([slot(TECH_A, "Alice", "2026-06-08T23:30:00+00:00", 30), slot(TECH_A, "Alice", "2026-06-08T20:00:00+00:00")],
     [("2026-06-08", ["22:00–23:00 · Alice"]), ("2026-06-09", ["01:30–02:00 · Alice"])]),
])
def test_slots_by_day(slots, expected) -> None:
    grouped = slots_by_day(slots)
    assert [(day.isoformat(), [choice.label for choice in choices]) for day, choices in grouped] == expected


@pytest.mark.parametrize(("technician", "start", "value"), [
    (TECH_A, dt.datetime(2026, 6, 8, 10, 0, tzinfo=ZONE), f"{TECH_A}@2026-06-08T08:00Z"),
    (TECH_B, dt.datetime(2026, 12, 7, 10, 30, tzinfo=ZONE), f"{TECH_B}@2026-12-07T09:30Z"),
])
def test_a_slot_value_reads_back(technician, start, value) -> None:
    assert slot_value(technician, start) == value
    assert parse_slot_value(value) == (technician, start.astimezone(dt.UTC))


@pytest.mark.parametrize("value", ["", "@2026-06-08T08:00Z", f"{TECH_A}", f"{TECH_A}@tomorrow", "A" * 24 + "@2026-06-08T08:00Z",
                                   f"{TECH_A}@2026-06-08T08:00", "x" * 24 + "@2026-06-08T08:00Z"])
def test_a_value_not_ours_is_refused(value) -> None:
    assert parse_slot_value(value) is None
