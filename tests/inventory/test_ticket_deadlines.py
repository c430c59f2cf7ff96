"""The deadlines of failure tickets (clause 4), table by table: the 4-hour restoration target in business and in
calendar hours (week-ends, holidays, Alsace-Moselle, clock changes), the 48 hours without an answer, the time
left, where a ticket stands against its target, and which tickets may give a credit."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from inventory.ticket_deadlines import (
    Calendar,
    no_answer_deadline,
    restoration_deadline,
    target_status,
    time_left,
)
from inventory.ticket_rules import NO_ANSWER_REASON, RESTORED_REASON, gives_credit

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


RESTORATION_CASES = [
    # (why, notified at, département, reading, due)
    ("within business hours", paris(2026, 11, 25, 10, 0), "75", "business", paris(2026, 11, 25, 14, 0)),
    ("ends at closing time exactly", paris(2026, 11, 25, 14, 0), "75", "business", paris(2026, 11, 25, 18, 0)),
    ("spills into the next day", paris(2026, 11, 25, 16, 30), "75", "business", paris(2026, 11, 26, 11, 30)),
    ("before opening: counted from 09:00", paris(2026, 11, 25, 7, 15), "75", "business", paris(2026, 11, 25, 13, 0)),
    ("in the night", paris(2026, 11, 25, 23, 59), "75", "business", paris(2026, 11, 26, 13, 0)),
    ("Friday afternoon: over the week-end", paris(2026, 11, 27, 16, 0), "75", "business", paris(2026, 11, 30, 11, 0)),
    ("Saturday: from Monday's opening", paris(2026, 11, 28, 10, 0), "75", "business", paris(2026, 11, 30, 13, 0)),
    ("Tuesday before 11 November (holiday)", paris(2026, 11, 10, 17, 0), "75", "business",
     paris(2026, 11, 12, 12, 0)),
    ("Thursday before Good Friday, Paris", paris(2026, 4, 2, 16, 0), "75", "business", paris(2026, 4, 3, 11, 0)),
    ("Thursday before Good Friday, Moselle", paris(2026, 4, 2, 16, 0), "57", "business", paris(2026, 4, 7, 11, 0)),
    ("Friday before the spring clock change", paris(2026, 3, 27, 16, 0), "75", "business", paris(2026, 3, 30, 11, 0)),
    ("Friday before the autumn clock change", paris(2026, 10, 23, 17, 0), "75", "business",
     paris(2026, 10, 26, 12, 0)),
    ("calendar: Friday evening", paris(2026, 11, 27, 16, 0), "75", "calendar", paris(2026, 11, 27, 20, 0)),
    ("calendar: the spring clock change loses an hour", paris(2026, 3, 29, 0, 30), "75", "calendar",
     paris(2026, 3, 29, 5, 30)),
    ("calendar: the autumn clock change gains one", paris(2026, 10, 25, 0, 30), "75", "calendar",
     paris(2026, 10, 25, 3, 30)),
]


@pytest.mark.parametrize(("why", "notified_at", "departement", "reading", "due"), RESTORATION_CASES,
                         ids=[case[0] for case in RESTORATION_CASES])
def test_restoration_deadline(why: str, notified_at: dt.datetime, departement: str, reading: str,
                              due: dt.datetime) -> None:
    assert restoration_deadline(notified_at, departement, reading) == due


def test_a_utc_notification_is_counted_in_paris_business_hours() -> None:
    # 08:00Z in November is 09:00 in Paris: four hours later is 13:00 Paris, 12:00Z.
    due = restoration_deadline(dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC), "75")
    assert due == dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


NO_ANSWER_CASES = [
    ("calendar: two days on", paris(2026, 11, 25, 10, 0), "calendar", paris(2026, 11, 27, 10, 0)),
    ("calendar: over a week-end", paris(2026, 11, 27, 17, 0), "calendar", paris(2026, 11, 29, 17, 0)),
    ("calendar: 48 real hours over the autumn clock change", paris(2026, 10, 24, 12, 0), "calendar",
     paris(2026, 10, 26, 11, 0)),
    ("business: 48 business hours are 5 days and 3 hours", paris(2026, 11, 23, 9, 0), "business",
     paris(2026, 11, 30, 12, 0)),
]


@pytest.mark.parametrize(("why", "since", "reading", "closes"), NO_ANSWER_CASES, ids=[c[0] for c in NO_ANSWER_CASES])
def test_no_answer_deadline(why: str, since: dt.datetime, reading: str, closes: dt.datetime) -> None:
    assert no_answer_deadline(since, "75", reading) == closes


TIME_LEFT_CASES = [
    # (why, deadline, now, reading, left)
    ("business: same day", paris(2026, 11, 25, 14, 0), paris(2026, 11, 25, 13, 15), "business", dt.timedelta(minutes=45)),
    ("business: the night does not count", paris(2026, 11, 26, 11, 30), paris(2026, 11, 25, 17, 30), "business",
     dt.timedelta(hours=3)),
    ("business: the week-end does not count", paris(2026, 11, 30, 9, 30), paris(2026, 11, 27, 17, 15), "business",
     dt.timedelta(minutes=75)),
    ("calendar: every hour counts", paris(2026, 11, 30, 9, 30), paris(2026, 11, 27, 17, 30), "calendar",
     dt.timedelta(days=2, hours=16)),
    ("past: real time elapsed, negative", paris(2026, 11, 25, 14, 0), paris(2026, 11, 28, 14, 0), "business",
     -dt.timedelta(days=3)),
    ("at the deadline: none left", paris(2026, 11, 25, 14, 0), paris(2026, 11, 25, 14, 0), "business",
     dt.timedelta(0)),
]


@pytest.mark.parametrize(("why", "deadline", "now", "reading", "left"), TIME_LEFT_CASES,
                         ids=[c[0] for c in TIME_LEFT_CASES])
def test_time_left(why: str, deadline: dt.datetime, now: dt.datetime, reading: str, left: dt.timedelta) -> None:
    assert time_left(deadline, now, "75", reading) == left


DUE = paris(2026, 11, 25, 14, 0)
STATUS_CASES = [
    # (why, active, restored at, left, status)
    ("plenty left", True, None, dt.timedelta(hours=3), "on_track"),
    ("exactly an hour left is not at risk", True, None, dt.timedelta(hours=1), "on_track"),
    ("59 minutes left", True, None, dt.timedelta(minutes=59), "at_risk"),
    ("one second left", True, None, dt.timedelta(seconds=1), "at_risk"),
    ("none left", True, None, dt.timedelta(0), "breached"),
    ("past", True, None, -dt.timedelta(hours=5), "breached"),
    ("restored on the dot", False, DUE, dt.timedelta(0), "met"),
    ("restored a minute late", False, DUE + dt.timedelta(minutes=1), dt.timedelta(0), "missed"),
    ("closed without an answer", False, None, dt.timedelta(0), "deemed_resolved"),
]


@pytest.mark.parametrize(("why", "active", "restored_at", "left", "status"), STATUS_CASES,
                         ids=[c[0] for c in STATUS_CASES])
def test_target_status(why: str, active: bool, restored_at: dt.datetime | None, left: dt.timedelta,
                       status: str) -> None:
    assert target_status(active, DUE, restored_at, left) == status


def test_at_risk_threshold_is_a_parameter() -> None:
    assert target_status(True, DUE, None, dt.timedelta(minutes=90), dt.timedelta(hours=2)) == "at_risk"
    assert target_status(True, DUE, None, dt.timedelta(minutes=90)) == "on_track"


@pytest.mark.parametrize(("excuse", "closing_reason", "credit"), [
    (None, None, True),
    (None, RESTORED_REASON, True),
    ("planned_maintenance", None, False),
    ("customer_unavailable", RESTORED_REASON, False),
    (None, NO_ANSWER_REASON, False),
])
def test_gives_credit(excuse: str | None, closing_reason: str | None, credit: bool) -> None:
    assert gives_credit(excuse, closing_reason) is credit


@pytest.mark.parametrize(("call", "message"), [
    (lambda: restoration_deadline(paris(2026, 11, 25, 10, 0), "75", "weekly"), "Reading 'weekly'"),
    (lambda: restoration_deadline(paris(2026, 11, 25, 10, 0), "00", "calendar"), "00"),
    (lambda: restoration_deadline(dt.datetime(2026, 11, 25, 10, 0), "75", "business"), "no time zone"),
    (lambda: time_left(DUE, paris(2026, 11, 25, 10, 0), "75", "weekly"), "Reading 'weekly'"),
])
def test_wrong_values_are_refused(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        call()


def test_the_calendar_applies_its_readings() -> None:
    business, calendar = Calendar("business", "calendar"), Calendar("calendar", "business")
    friday = paris(2026, 11, 27, 16, 0)
    assert business.restoration_deadline(friday, "75") == paris(2026, 11, 30, 11, 0)
    assert calendar.restoration_deadline(friday, "75") == paris(2026, 11, 27, 20, 0)
    assert business.no_answer_deadline(friday, "75") == paris(2026, 11, 29, 16, 0)
    assert calendar.no_answer_deadline(friday, "75") == paris(2026, 12, 7, 10, 0)  # 2 h, 45 h, then 1 h
    assert business.time_left(paris(2026, 11, 30, 11, 0), friday, "75") == dt.timedelta(hours=4)
    assert calendar.time_left(paris(2026, 11, 30, 11, 0), friday, "75") == dt.timedelta(days=2, hours=19)
