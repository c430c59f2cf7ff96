"""The deadlines of a failure ticket (contract clause 4), as pure functions: the restoration target (4 hours
from the notification), the time left before it and where a ticket stands against it ("at risk", "breached",
"met"...), and the moment a ticket waiting on the customer is deemed resolved (48 hours without an answer).

How the hours are counted is a reading of the contract, a setting each (docs/failures.rst): the restoration
target in business hours by default (failures are taken in charge 5 days out of 7, 09:00-18:00), the
customer's 48 hours in calendar hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from inventory.business_calendar import (
    DEFAULT_BUSINESS_HOURS,
    BusinessHours,
    add_hours,
    business_hours_between,
    check_reading,
)

RESTORATION_HOURS = 4
NO_ANSWER_HOURS = 48
#: A ticket not restored with less than this left before its target is "at risk".
AT_RISK = dt.timedelta(hours=1)
TARGET_STATUSES = ("on_track", "at_risk", "breached", "met", "missed", "deemed_resolved")


def restoration_deadline(notified_at: dt.datetime, departement: str, reading: str = "business",
                         hours_def: BusinessHours = DEFAULT_BUSINESS_HOURS) -> dt.datetime:
    """When the failure should be fixed (clause 4): 4 hours after the notification was received."""
    return add_hours(notified_at, RESTORATION_HOURS, departement, reading, hours_def)


def no_answer_deadline(waiting_since: dt.datetime, departement: str, reading: str = "calendar",
                       hours_def: BusinessHours = DEFAULT_BUSINESS_HOURS) -> dt.datetime:
    """When a ticket waiting on the customer is deemed resolved (clause 4): 48 hours after the question."""
    return add_hours(waiting_since, NO_ANSWER_HOURS, departement, reading, hours_def)


def time_left(deadline: dt.datetime, now: dt.datetime, departement: str, reading: str = "business",
              hours_def: BusinessHours = DEFAULT_BUSINESS_HOURS) -> dt.timedelta:
    """Time left before `deadline`, counted as the deadline was (business or calendar hours); negative once past.

    Past the deadline it is the real time elapsed since, so "breached for 3 hours" means 3 hours on the clock.
    """
    if now >= deadline or check_reading(reading) == "calendar":
        return deadline - now
    return business_hours_between(now, deadline, departement, hours_def)


def target_status(active: bool, deadline: dt.datetime, restored_at: dt.datetime | None, left: dt.timedelta,
                  at_risk: dt.timedelta = AT_RISK) -> str:
    """Where a ticket stands against its restoration target.

    Not restored: "on_track", "at_risk" (less than `at_risk` left) or "breached" (past it). Restored: "met" or
    "missed" (restored after the target). Closed without a restoration (no answer): "deemed_resolved".
    """
    if restored_at is not None:
        return "met" if restored_at <= deadline else "missed"
    if not active:
        return "deemed_resolved"
    if left <= dt.timedelta(0):
        return "breached"
    return "at_risk" if left < at_risk else "on_track"


@dataclass(frozen=True)
class Calendar:
    """How a ticket's deadlines are counted: the readings of the settings and the business hours."""

    restoration_reading: str = "business"  # calendar.restoration_hours
    no_answer_reading: str = "calendar"  # calendar.no_answer_hours
    hours: BusinessHours = DEFAULT_BUSINESS_HOURS

    def restoration_deadline(self, notified_at: dt.datetime, departement: str) -> dt.datetime:
        return restoration_deadline(notified_at, departement, self.restoration_reading, self.hours)

    def no_answer_deadline(self, waiting_since: dt.datetime, departement: str) -> dt.datetime:
        return no_answer_deadline(waiting_since, departement, self.no_answer_reading, self.hours)

    def time_left(self, deadline: dt.datetime, now: dt.datetime, departement: str) -> dt.timedelta:
        return time_left(deadline, now, departement, self.restoration_reading, self.hours)
