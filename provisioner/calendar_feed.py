"""A technician's appointments as an iCalendar feed (RFC 5545) that calendar clients subscribe to.

Each appointment is one VEVENT whose UID never changes (``<appointment id>@<installation.calendar_domain>``);
SEQUENCE is the appointment's own (one more at each reschedule and at the cancellation) and a cancelled one
stays in the feed with STATUS:CANCELLED, so clients update or strike the event instead of keeping a stale copy.
Times carry TZID=Europe/Paris with its VTIMEZONE (daylight-saving rules as RRULEs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import icalendar

from inventory.appointment_rules import ZONE
from inventory.appointments import CHECKLIST, Appointment
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.references import records_by_id
from inventory.technicians import Technician

PRODUCT = "-//Centrex provisioner//Installation appointments//FR"
#: How far back a feed shows appointments; everything ahead is shown.
PAST_DAYS = 60
STATUS = {"booked": "CONFIRMED", "rescheduled": "CONFIRMED", "completed": "CONFIRMED", "cancelled": "CANCELLED"}


def paris_timezone() -> icalendar.Timezone:
    """The VTIMEZONE of Europe/Paris: CEST from the last Sunday of March, CET from the last Sunday of October."""
    zone = icalendar.Timezone()
    zone.add("tzid", "Europe/Paris")
    for kind, name, start, month, offsets in (
            (icalendar.TimezoneDaylight, "CEST", dt.datetime(1981, 3, 29, 2), 3, (1, 2)),
            (icalendar.TimezoneStandard, "CET", dt.datetime(1996, 10, 27, 3), 10, (2, 1))):
        rule = kind()
        rule.add("tzname", name)
        rule.add("dtstart", start)
        rule.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        rule.add("tzoffsetfrom", dt.timedelta(hours=offsets[0]))
        rule.add("tzoffsetto", dt.timedelta(hours=offsets[1]))
        zone.add_component(rule)
    return zone


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Related:
    """The sites, customers and equipment a feed's appointments name, by id (text), read in one query each."""

    sites: dict[str, Site]
    customers: dict[str, Customer]
    items: dict[str, Equipment]

    @classmethod
    def of(cls, appointments: list[Appointment]) -> "Related":
        stored = [appointment.to_mongo() for appointment in appointments]
        return cls(_loaded(Site, [raw.get("site") for raw in stored]),
                   _loaded(Customer, [raw.get("customer") for raw in stored]),
                   _loaded(Equipment, [item for raw in stored for item in raw.get("equipment") or []]))


def _loaded(document: type[Any], ids: Iterable[Any]) -> dict[str, Any]:
    """The records of `document` with these ids, as documents, by id."""
    return {key: document._from_son(raw) for key, raw in records_by_id(document, ids).items()}


def event_of(appointment: Appointment, domain: str, related: Related) -> icalendar.Event:
    """One appointment as a VEVENT, its site, customer and equipment taken from `related`."""
    stored = appointment.to_mongo()
    site = related.sites[stored["site"]]
    customer = related.customers.get(stored.get("customer") or "")
    equipment = [related.items[i] for i in stored.get("equipment") or [] if i in related.items]
    visit = appointment.visit()
    event = icalendar.Event()
    event.add("uid", f"{appointment.pk}@{domain}")
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", _aware(appointment.updated_at).astimezone(dt.UTC))
    event.add("last-modified", _aware(appointment.updated_at).astimezone(dt.UTC))
    event.add("dtstart", visit.start.astimezone(ZONE))
    event.add("dtend", visit.end.astimezone(ZONE))
    event.add("status", STATUS[appointment.state])
    prefix = "Annulé : " if appointment.state == "cancelled" else ""
    event.add("summary", f"{prefix}Installation {site.name} ({site.city})")
    event.add("location", f"{site.address}, {site.postcode} {site.city}")
    lines = [f"Client : {customer.name if customer else ''}", f"Durée : {appointment.duration_minutes} min, "
             f"trajet {appointment.travel_minutes} min avant et après"]
    if site.contact_name or site.contact_phone:
        lines.append(f"Contact : {site.contact_name or ''} {site.contact_phone or ''}".rstrip())
    lines += [f"Matériel : {item.serial} ({item.vendor} {item.model})" for item in equipment]
    lines.append("Recette : " + ", ".join(f"{name} {'fait' if getattr(appointment.checklist, name).done else 'à faire'}"
                                          for name in CHECKLIST))
    if appointment.notes:
        lines.append(appointment.notes)
    event.add("description", "\n".join(lines))
    return event


def render_feed(technician: Technician, appointments: Iterable[Appointment], domain: str) -> bytes:
    """The whole feed of one technician."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Installations {technician.name}")
    calendar.add("x-wr-timezone", "Europe/Paris")
    calendar.add_component(paris_timezone())
    appointments = list(appointments)
    related = Related.of(appointments)  # one query per kind, not one per appointment
    for appointment in appointments:
        calendar.add_component(event_of(appointment, domain, related))
    return calendar.to_ical()


def feed_appointments(technician: Technician, today: dt.date) -> list[Appointment]:
    """The appointments a feed shows: from PAST_DAYS before `today` on, in start order."""
    since = (today - dt.timedelta(days=PAST_DAYS)).isoformat()
    return list(Appointment.objects(technician=technician.pk, day__gte=since).order_by("start", "id"))
