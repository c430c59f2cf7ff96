"""The installation reports: appointments per technician per day or week, and late cancellations billed.

Each gives an inventory.reports.Report, printed by the API (JSON or CSV) and by ``provisioner report``.
"""

from __future__ import annotations

import datetime as dt
import re

from bson import ObjectId

from inventory.appointment_rules import ZONE
from inventory.appointments import CHECKLIST, Appointment
from inventory.customers import Customer, Site
from inventory.reports import Report
from inventory.technicians import Technician

_WEEK = re.compile(r"(\d{4})-W(\d{2})")
APPOINTMENT_COLUMNS = ("day", "start", "end", "technician", "technician_name", "appointment", "state", "site",
                       "site_name", "city", "departement", "customer_name", "duration_minutes", "travel_minutes",
                       "sequence", "checklist_done")
LATE_COLUMNS = ("cancelled_at", "appointment", "start", "customer", "customer_name", "site", "site_name",
                "departement", "technician_name", "business_hours_before", "amount_cents", "charge")


def parse_period(day: str | None, week: str | None) -> tuple[dt.date, int]:
    """The first day and the number of days of a period given as a day "YYYY-MM-DD" or an ISO week "YYYY-Www"."""
    if (day is None) == (week is None):
        raise ValueError("give either a day (YYYY-MM-DD) or a week (YYYY-Www, ISO 8601)")
    if day is not None:
        try:
            return dt.date.fromisoformat(day), 1
        except ValueError:
            raise ValueError(f"day {day[:20]!r} is not a date: expected YYYY-MM-DD") from None
    matched = _WEEK.fullmatch(week or "")
    try:
        if matched is None:
            raise ValueError
        return dt.date.fromisocalendar(int(matched[1]), int(matched[2]), 1), 7
    except ValueError:
        raise ValueError(f"week {str(week)[:20]!r} is not an ISO week: expected YYYY-Www such as 2026-W48") from None


def _names(document: type, ids: set[str], field: str) -> dict[str, str]:
    valid = [ObjectId(i) for i in ids if ObjectId.is_valid(i)]
    return {str(raw["_id"]): raw.get(field, "") for raw in document._get_collection().find({"_id": {"$in": valid}},
                                                                                          {field: 1})}


def appointments_in(first_day: dt.date, days: int, technician: str | None = None) -> list[Appointment]:
    """Appointments starting on those Paris days (one technician's, or everyone's), in start order."""
    last = first_day + dt.timedelta(days=days - 1)
    query = Appointment.objects(day__gte=first_day.isoformat(), day__lte=last.isoformat())
    if technician is not None:
        query = query.filter(technician=technician)
    return list(query.order_by("start", "id"))


def appointments_report(first_day: dt.date, days: int, technician: str | None = None) -> Report:
    """Every appointment of the period, cancelled ones included, per technician and start."""
    found = appointments_in(first_day, days, technician)
    raw = [appointment.to_mongo().to_dict() for appointment in found]
    technicians = _names(Technician, {r["technician"] for r in raw}, "name")
    sites = {str(s["_id"]): s for s in Site._get_collection().find(
        {"_id": {"$in": [ObjectId(r["site"]) for r in raw]}}, {"name": 1, "city": 1})}
    customers = _names(Customer, {r.get("customer") or "" for r in raw}, "name")
    rows = []
    for appointment, stored in zip(found, raw, strict=True):
        visit = appointment.visit()
        site = sites.get(stored["site"], {})
        rows.append({"day": appointment.day, "start": visit.start, "end": visit.end,
                     "technician": stored["technician"], "technician_name": technicians.get(stored["technician"], ""),
                     "appointment": str(appointment.pk), "state": appointment.state, "site": stored["site"],
                     "site_name": site.get("name", ""), "city": site.get("city", ""),
                     "departement": appointment.departement,
                     "customer_name": customers.get(stored.get("customer") or "", ""),
                     "duration_minutes": appointment.duration_minutes, "travel_minutes": appointment.travel_minutes,
                     "sequence": appointment.sequence,
                     "checklist_done": sum(1 for name in CHECKLIST if getattr(appointment.checklist, name).done)})
    rows.sort(key=lambda row: (row["technician_name"], row["technician"], row["start"]))
    return Report("appointments", APPOINTMENT_COLUMNS, rows,
                  {"from": first_day, "days": days, "technician": technician or ""})


def paris_days(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first instant of Paris day `first` and the first one after Paris day `last`, in UTC: whole seconds.
    The days are kept within 1900 to 9998, where every stored time falls and every midnight can be written in UTC."""
    first, last = (min(max(day, dt.date(1900, 1, 1)), dt.date(9998, 12, 31)) for day in (first, last))
    return (dt.datetime.combine(first, dt.time(0), tzinfo=ZONE).astimezone(dt.UTC),
            dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=ZONE).astimezone(dt.UTC))


def late_cancellations_report(since: dt.date, until: dt.date) -> Report:
    """Customer cancellations billed (less than 48 business hours before), cancelled from `since` to `until`
    (Paris dates, both included), the latest first."""
    # Only the period is read, through the index on cancellation.at: its bounds are midnights, whole seconds, which
    # NX-27017's datetime filters (exact to the second only) compare exactly (docs/storage.rst). The filter names
    # no other field: given `state` too, NX-27017 reads every cancelled appointment through the state index.
    begin, end = paris_days(since, until)
    period = {"$gte": begin, "$lt": end}
    rows = []
    for appointment in Appointment.objects(__raw__={"cancellation.at": period}):
        cancellation = appointment.cancellation
        if appointment.state != "cancelled" or cancellation is None or not cancellation.charge:
            continue
        at = cancellation.at if cancellation.at.tzinfo else cancellation.at.replace(tzinfo=dt.UTC)
        stored = appointment.to_mongo().to_dict()
        rows.append({"cancelled_at": at, "appointment": str(appointment.pk), "start": appointment.start_local(),
                     "customer": stored.get("customer"), "site": stored["site"], "departement": appointment.departement,
                     "business_hours_before": round(cancellation.business_minutes_before / 60, 2),
                     "amount_cents": cancellation.amount_cents, "charge": cancellation.charge,
                     "technician": stored["technician"]})
    customers = _names(Customer, {row["customer"] or "" for row in rows}, "name")
    sites = _names(Site, {row["site"] for row in rows}, "name")
    technicians = _names(Technician, {row["technician"] for row in rows}, "name")
    for row in rows:
        row.update(customer_name=customers.get(row["customer"] or "", ""), site_name=sites.get(row["site"], ""),
                   technician_name=technicians.get(row.pop("technician"), ""))
    rows.sort(key=lambda row: (row["cancelled_at"], row["appointment"]), reverse=True)
    return Report("late-cancellations", LATE_COLUMNS, rows,
                  {"from": since, "to": until, "total_cents": sum(row["amount_cents"] for row in rows)})
