"""The business hours, the failure tickets' calendar and today's date as this server's settings read them
(calendar.*: the time zone, business days and hours, restoration_hours, no_answer_hours); inventory/ does the
counting."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from inventory.business_calendar import BusinessHours
from inventory.ticket_deadlines import Calendar
from provisioner.settings import Settings


def calendar_today(settings: Settings, now: dt.datetime) -> dt.date:
    """The date at `now` where the items are (setting calendar.timezone)."""
    return now.astimezone(ZoneInfo(settings.calendar.timezone)).date()


def business_hours(settings: Settings) -> BusinessHours:
    """The business hours of `settings` (deadlines, cancellations and replacements are counted in them)."""
    calendar = settings.calendar
    return BusinessHours.from_settings(calendar.timezone, calendar.business_days, calendar.business_hours_start,
                                       calendar.business_hours_end)


def ticket_calendar(settings: Settings) -> Calendar:
    """The readings and business hours the tickets' deadlines are counted with under `settings`."""
    calendar = settings.calendar
    return Calendar(calendar.restoration_hours, calendar.no_answer_hours, business_hours(settings))
