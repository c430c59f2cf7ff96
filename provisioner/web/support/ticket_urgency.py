"""How urgent a deadline of a failure ticket is on the support pages, and its time left said in days, hours and
minutes; pure functions, with the thresholds the reports already use.

The 4-hour restoration target is at risk under ``ticket_deadlines.AT_RISK`` (1 hour, the tickets-at-risk
report's margin); the device's 72-hour replacement under ``reports.AT_RISK_HOURS`` (12 hours, the replacements
report's). The levels, most urgent first: breached, under an hour, under the deadline's at-risk margin, fine.
"""

from __future__ import annotations

import datetime as dt

from inventory.reports import AT_RISK_HOURS
from inventory.ticket_deadlines import AT_RISK

LEVELS = ("breached", "under_hour", "at_risk", "fine")
#: The at-risk margin of each deadline, from the report that watches it.
RESTORATION_MARGIN = AT_RISK
REPLACEMENT_MARGIN = dt.timedelta(hours=AT_RISK_HOURS)
#: "Under an hour": the tickets-at-risk report's own margin, the tightest one.
UNDER_HOUR = AT_RISK


def urgency(left: dt.timedelta | None, margin: dt.timedelta) -> str | None:
    """The level of a deadline with `left` before it (negative once past; None: no deadline running)."""
    if left is None:
        return None
    if left <= dt.timedelta(0):
        return "breached"
    if left < UNDER_HOUR:
        return "under_hour"
    return "at_risk" if left < margin else "fine"


def duration_parts(minutes: int) -> tuple[int, int, int]:
    """A length of time in whole minutes (its sign dropped) as days, hours and minutes."""
    days, rest = divmod(abs(minutes), 24 * 60)
    hours, mins = divmod(rest, 60)
    return days, hours, mins
