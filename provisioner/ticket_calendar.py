"""The failure tickets' calendar as this server's settings read it (calendar.restoration_hours,
calendar.no_answer_hours and the business hours); inventory/ticket_deadlines.py does the counting."""

from __future__ import annotations

from inventory.business_calendar import BusinessHours
from inventory.ticket_deadlines import Calendar
from provisioner.settings import Settings


def ticket_calendar(settings: Settings) -> Calendar:
    """The readings and business hours the tickets' deadlines are counted with under `settings`."""
    calendar = settings.calendar
    hours = BusinessHours.from_settings(calendar.timezone, calendar.business_days, calendar.business_hours_start,
                                        calendar.business_hours_end)
    return Calendar(calendar.restoration_hours, calendar.no_answer_hours, hours)
