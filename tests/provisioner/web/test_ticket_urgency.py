"""The urgency of a ticket's deadlines on the support pages, and times left said in days, hours and minutes."""

from __future__ import annotations

import datetime as dt

import pytest

from inventory.reports import AT_RISK_HOURS
from inventory.ticket_deadlines import AT_RISK
from provisioner.web.support.ticket_deadline_rows import replacement, restoration
from provisioner.web.support.ticket_urgency import REPLACEMENT_MARGIN, RESTORATION_MARGIN, duration_parts, urgency

H, M = dt.timedelta(hours=1), dt.timedelta(minutes=1)
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def test_the_margins_are_the_reports_own() -> None:
    assert RESTORATION_MARGIN == AT_RISK == H
    assert REPLACEMENT_MARGIN == dt.timedelta(hours=AT_RISK_HOURS) == 12 * H


@pytest.mark.parametrize(("left", "margin", "level"), [
    (None, RESTORATION_MARGIN, None),              # no deadline running: restored, closed, no replacement due
    (-80 * H, RESTORATION_MARGIN, "breached"),
    (dt.timedelta(0), RESTORATION_MARGIN, "breached"),  # reached is breached, as target_status says
    (M, RESTORATION_MARGIN, "under_hour"),
    (59 * M, RESTORATION_MARGIN, "under_hour"),
    (H, RESTORATION_MARGIN, "fine"),               # the 4-hour target has no margin beyond the hour
    (4 * H, RESTORATION_MARGIN, "fine"),
    (-M, REPLACEMENT_MARGIN, "breached"),
    (30 * M, REPLACEMENT_MARGIN, "under_hour"),
    (H, REPLACEMENT_MARGIN, "at_risk"),
    (12 * H - M, REPLACEMENT_MARGIN, "at_risk"),
    (12 * H, REPLACEMENT_MARGIN, "fine"),
    (72 * H, REPLACEMENT_MARGIN, "fine"),
])
def test_urgency_levels(left, margin, level) -> None:
    assert urgency(left, margin) == level


@pytest.mark.parametrize(("minutes", "parts"), [
    (0, (0, 0, 0)), (59, (0, 0, 59)), (60, (0, 1, 0)), (125, (0, 2, 5)), (24 * 60, (1, 0, 0)),
    (3 * 24 * 60 + 4 * 60 + 7, (3, 4, 7)), (-125, (0, 2, 5)), (-80 * 60, (3, 8, 0)),
])
def test_duration_parts(minutes, parts) -> None:
    assert duration_parts(minutes) == parts


@pytest.mark.parametrize(("view", "level", "left"), [
    ({"restoration_due_at": NOW, "minutes_left": -30}, "breached", -30),
    ({"restoration_due_at": NOW, "minutes_left": 20}, "under_hour", 20),
    ({"restoration_due_at": NOW, "minutes_left": 240}, "fine", 240),
    ({"restoration_due_at": NOW, "minutes_left": None}, None, None),  # restored
])
def test_restoration_deadline_of_a_view(view, level, left) -> None:
    deadline = restoration(view)
    assert (deadline.level, deadline.minutes_left, deadline.due_at) == (level, left, NOW)


@pytest.mark.parametrize(("device", "level", "left"), [
    (None, None, None),
    ({"state": "failed", "replacement": "due", "replacement_due_at": NOW - 8 * H}, "breached", -480),
    ({"state": "failed", "replacement": "due", "replacement_due_at": NOW + 6 * H}, "at_risk", 360),
    ({"state": "failed", "replacement": "due", "replacement_due_at": NOW + 72 * H}, "fine", 72 * 60),
    ({"state": "failed", "replacement": "quote", "replacement_due_at": NOW + 6 * H}, None, None),
    ({"state": "returned", "replacement": "due", "replacement_due_at": NOW - 8 * H}, None, None),
])
def test_replacement_deadline_of_a_view(device, level, left) -> None:
    deadline = replacement({"equipment_replacement": device}, NOW)
    assert (deadline.level, deadline.minutes_left) == (level, left)
