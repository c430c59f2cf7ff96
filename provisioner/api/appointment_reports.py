"""Staff reports of installations: appointments per technician per day or week, and late cancellations billed;
JSON, or CSV with ?format=csv (as every report, provisioner/api/reports.py)."""

from __future__ import annotations

import datetime as dt

from bson import ObjectId

from inventory.appointment_reports import appointments_report, late_cancellations_report, parse_period
from provisioner.api.fields import query_day
from provisioner.api.reports import ReportHandler

MAX_DAYS = 366


class AppointmentsReportHandler(ReportHandler):
    """GET: the appointments of ?day= or ?week= (ISO, 2026-W48), every technician's or ?technician='s."""

    roles = ("support",)  # and admin
    route = "/api/v1/reports/appointments"
    arguments = ("day", "week", "technician")

    def builder(self, given, problems, *path):  # type: ignore[no-untyped-def]
        try:
            first, days = parse_period(given.get("day"), given.get("week"))
        except ValueError as exc:
            problems["period"] = str(exc)
            first, days = dt.date.today(), 1
        technician = given.get("technician")
        if technician is not None and not ObjectId.is_valid(technician):
            problems["technician"] = "expected a record id of 24 hexadecimal digits"
        return lambda: appointments_report(first, days, technician)


class LateCancellationsHandler(ReportHandler):
    """GET: customer cancellations billed, cancelled from ?from= to ?to= (Paris dates; default this month)."""

    roles = ("support",)
    route = "/api/v1/reports/late-cancellations"
    arguments = ("from", "to")

    def builder(self, given, problems, *path):  # type: ignore[no-untyped-def]
        today = self.today()
        bounds = {}
        for name, default in (("from", today.replace(day=1)), ("to", today)):
            bounds[name] = query_day(given.get(name), default, name, problems)
        if not problems and not 0 <= (bounds["to"] - bounds["from"]).days <= MAX_DAYS:
            problems["to"] = f"expected from 0 to {MAX_DAYS} days after from"
        return lambda: late_cancellations_report(bounds["from"], bounds["to"])
