"""My appointments: a technician's day or week (support and admin pick the technician), read from the database
for that period only with the report function the API uses (inventory/appointment_reports.py)."""

from __future__ import annotations

import datetime as dt

from inventory.appointment_reports import appointments_report
from inventory.appointment_rules import ZONE
from provisioner.web.installations.appointment_access import own_technician, picked_technician, technician_choices
from provisioner.web.installations.appointment_calendar import VIEWS, group_by_day, parse_day, period_of
from provisioner.web.page_handler import PageError, PageHandler

APPOINTMENT_ROLES = ("technician", "support")


class AppointmentListPage(PageHandler):
    """GET ?view=day|week&date=YYYY-MM-DD[&technician=]: the appointments of that period, by day."""

    roles = APPOINTMENT_ROLES
    route = "/staff/appointments"

    def get(self) -> None:
        today = dt.datetime.now(dt.UTC).astimezone(ZONE).date()
        view = self.get_query_argument("view", "week")
        day = parse_day(self.get_query_argument("date", ""), today)
        if view not in VIEWS or day is None:
            raise PageError(400, "appt.bad_period")
        period = period_of(view, day)
        own = own_technician(self.caller)
        choices = [] if own else technician_choices()
        technician = own or picked_technician(self.get_query_argument("technician", ""))
        rows = [] if technician is None else appointments_report(period.first, period.days, str(technician.pk)).rows
        self.render_page("appointments.html", period=period, today=today, days=group_by_day(rows, period.first,
                         period.days), technician=technician, choices=choices, own=own is not None,
                         total=len(rows), link=self.link(technician))

    @staticmethod
    def link(technician: object) -> object:
        """The address of another period of the same technician's list."""
        extra = f"&technician={technician.pk}" if technician is not None else ""

        def to(view: str, day: dt.date) -> str:
            return f"/staff/appointments?view={view}&date={day.isoformat()}{extra}"
        return to
