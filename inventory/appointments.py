"""Installation appointments: a technician's visit to a customer's site, its checklist, and its cancellation.

The records only; booking, rescheduling and cancelling are in inventory/appointment_booking.py, completion in
inventory/installation_completion.py, the rules in inventory/appointment_rules.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import mongoengine as me

from inventory.appointment_rules import ZONE, Visit
from inventory.contracts import Contract
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.references import Reference
from inventory.refusals import Reason, field_problem
from inventory.technicians import SKILL_PATTERN, Technician
from inventory.versioned import VersionedDocument

STATES = ("booked", "rescheduled", "cancelled", "completed")
#: States in which the appointment still takes the technician's time.
ACTIVE = ("booked", "rescheduled")
#: The visit's checklist (installation clause: configuration, connection, tests, acceptance), in order.
CHECKLIST = ("configuration", "connection", "tests", "acceptance")
CANCELLED_BY = ("customer", "provider")
DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


class CheckItem(me.EmbeddedDocument):
    """One item of the checklist: done, by whom, when."""

    done = me.BooleanField(default=False)
    by = me.StringField(max_length=80)
    at = me.DateTimeField()


class Checklist(me.EmbeddedDocument):
    """The four items a technician completes on the site."""

    configuration = me.EmbeddedDocumentField(CheckItem, default=CheckItem)
    connection = me.EmbeddedDocumentField(CheckItem, default=CheckItem)
    tests = me.EmbeddedDocumentField(CheckItem, default=CheckItem)
    acceptance = me.EmbeddedDocumentField(CheckItem, default=CheckItem)

    def all_done(self) -> bool:
        return all(getattr(self, name).done for name in CHECKLIST)


class Cancellation(me.EmbeddedDocument):
    """Who cancelled, when it was asked for, how it reads under the installation clause, and its charge."""

    by = me.StringField(required=True, choices=CANCELLED_BY)
    at = me.DateTimeField(required=True)
    recorded_by = me.StringField(max_length=80)
    reason = me.StringField(max_length=500)
    #: Business minutes from the cancellation to the start (negative when cancelled after it).
    business_minutes_before = me.IntField(required=True)
    late = me.BooleanField(default=False)
    #: The charge line's id (hex) when the cancellation is billed, and its amount.
    charge = me.StringField(max_length=24)
    amount_cents = me.IntField(min_value=0, default=0)


class Appointment(VersionedDocument):
    """A visit booked with a technician at a site, at a date and time agreed with the customer."""

    site = Reference(Site, required=True)
    customer = Reference(Customer)
    contract = Reference(Contract, required=True)
    #: The site's département when booked: its holidays and business hours count for this visit.
    departement = me.StringField(max_length=3)
    technician = Reference(Technician, required=True)
    start = me.DateTimeField(required=True)
    duration_minutes = me.IntField(required=True, min_value=15, max_value=720)
    #: The technician's travel buffer for the site's département when booked (or last rescheduled).
    travel_minutes = me.IntField(required=True, min_value=0, default=0)
    #: The start's date in Europe/Paris ("YYYY-MM-DD"): the technician's day and week lists read it.
    day = me.StringField(regex=DAY_PATTERN)
    state = me.StringField(required=True, choices=STATES, default="booked")
    #: iCalendar SEQUENCE: 0 when booked, one more at each reschedule and at the cancellation.
    sequence = me.IntField(required=True, min_value=0, default=0)
    skills = me.ListField(me.StringField(regex=SKILL_PATTERN), max_length=32)
    equipment = me.ListField(Reference(Equipment), max_length=64)
    notes = me.StringField(max_length=2000)
    checklist = me.EmbeddedDocumentField(Checklist, default=Checklist)
    cancellation = me.EmbeddedDocumentField(Cancellation)
    completed_at = me.DateTimeField()
    #: The go-live date this completion gave the contract (first installation of the customer), if any.
    go_live_recorded = me.DateField()
    #: A late customer cancellation whose charge line may not be written yet (the outbox, see appointment_booking).
    charge_pending = me.BooleanField(default=False)

    #: cancellation.at: the late cancellations of a period, for their report (inventory/appointment_reports.py).
    meta = {"collection": "appointments",
            "indexes": [("technician", "day"), "site", ("customer", "state"), "state", "charge_pending",
                        "cancellation.at"]}

    def normalize(self) -> dict[str, str | Reason]:
        problems: dict[str, str | Reason] = {}
        if isinstance(self.start, dt.datetime):
            start = self.start if self.start.tzinfo else self.start.replace(tzinfo=dt.UTC)
            self.day = start.astimezone(ZONE).date().isoformat()
        site = self.site
        if isinstance(site, Site):
            self.customer = site.customer
            contract = self.contract
            if isinstance(contract, Contract) and contract.customer != site.customer:
                problems["contract"] = field_problem("contract_of_other_customer",
                                                     "the contract belongs to another customer than the site's")
        return problems

    def visit(self) -> Visit:
        """The visit as the scheduling rules read it."""
        return Visit(self.start_local(), dt.timedelta(minutes=self.duration_minutes),
                     dt.timedelta(minutes=self.travel_minutes), str(self.pk or ""))

    def start_local(self) -> dt.datetime:
        start = self.start if self.start.tzinfo else self.start.replace(tzinfo=dt.UTC)
        return start.astimezone(ZONE)


def visit_of(raw: dict[str, Any]) -> Visit:
    """The visit of a stored appointment read with pymongo (no record built: a week's list reads many)."""
    start = raw["start"] if raw["start"].tzinfo else raw["start"].replace(tzinfo=dt.UTC)
    return Visit(start.astimezone(ZONE), dt.timedelta(minutes=raw["duration_minutes"]),
                 dt.timedelta(minutes=raw.get("travel_minutes") or 0), str(raw["_id"]))


def active_visits(technician_id: str, first_day: dt.date, last_day: dt.date) -> list[Visit]:
    """The technician's booked or rescheduled visits starting from `first_day` to `last_day` (Paris dates)."""
    query = {"technician": str(technician_id), "day": {"$gte": first_day.isoformat(), "$lte": last_day.isoformat()}}
    fields = {"start": 1, "duration_minutes": 1, "travel_minutes": 1, "state": 1}
    return [visit_of(raw) for raw in Appointment._get_collection().find(query, fields) if raw.get("state") in ACTIVE]
