"""Failure tickets (contract clause 4): one per failure notified by a customer or detected by the provider, with
its notification number, its 4-hour restoration target and, when a device of ours failed, that device.

The ticket changes state only through the transitions of inventory/ticket_rules.py, applied by
inventory/ticket_moves.py. A failed device's 72-hour replacement deadline is the device's own
(`Equipment.replacement_due_at`, set by the lifecycle's note_failure): the ticket reads it, never copies it.
"""

from __future__ import annotations

import datetime as dt

import mongoengine as me
from pymongo import ReturnDocument

from inventory import ticket_rules
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.references import Reference
from inventory.versioned import VersionedDocument

NUMBER_PATTERN = r"^INC-\d{4}-\d{6,}$"


class FailureTicket(VersionedDocument):
    """One failure: who notified it, how and when, what failed, and how far its handling has come."""

    number = me.StringField(required=True, regex=NUMBER_PATTERN)
    customer = Reference(Customer, required=True)
    site = Reference(Site, required=True)
    equipment = Reference(Equipment)  # the failed device, when a device of ours failed
    service = me.StringField(required=True, choices=ticket_rules.SERVICES)
    channel = me.StringField(required=True, choices=ticket_rules.CHANNELS)
    #: When the notification was received (or the failure detected): the opening time of clause 4.
    notified_at = me.DateTimeField(required=True)
    description = me.StringField(required=True, min_length=1, max_length=ticket_rules.TEXT_LIMIT)
    opened_by = me.StringField(required=True, max_length=80)
    state = me.StringField(required=True, choices=ticket_rules.STATES, default="open")
    restoration_due_at = me.DateTimeField(required=True)  # the 4-hour target, counted when the ticket is opened
    taken_at = me.DateTimeField()
    waiting_since = me.DateTimeField()
    waiting_for = me.StringField(max_length=ticket_rules.TEXT_LIMIT)
    auto_close_at = me.DateTimeField()  # waiting_since + 48 hours: closed then for want of an answer
    restored_at = me.DateTimeField()  # the confirmed restoration (clause 4: what the credits are counted to)
    restoration_confirmation = me.StringField(max_length=ticket_rules.TEXT_LIMIT)
    reopen_reason = me.StringField(max_length=ticket_rules.TEXT_LIMIT)
    closed_at = me.DateTimeField()
    closing_reason = me.StringField(max_length=ticket_rules.TEXT_LIMIT + 40)
    excuse = me.StringField(choices=ticket_rules.EXCUSES)
    excuse_note = me.StringField(max_length=ticket_rules.TEXT_LIMIT)
    #: "<user>:<the Idempotency-Key it was opened under>" (ticket_moves.open_ticket_once); most tickets have none.
    opening_key = me.StringField(max_length=200)

    meta = {
        "collection": "failure_tickets",
        "indexes": [{"fields": ["number"], "unique": True}, "state", "customer", "site", "equipment",
                    "notified_at", "restored_at",  # restored_at: the month of the credits due
                    {"fields": ["opening_key"], "unique": True, "sparse": True}],
    }
    unique_fields = ("number", "opening_key")
    formats = {"number": "INC-<year>-<six digits>"}

    def facts(self) -> ticket_rules.Ticket:
        """What the transition table reads of this ticket."""
        return ticket_rules.Ticket(state=self.state, notified_at=self.notified_at,
                                   restoration_due_at=self.restoration_due_at, restored_at=self.restored_at,
                                   waiting_since=self.waiting_since, auto_close_at=self.auto_close_at,
                                   excuse=self.excuse)


class TicketNumber(me.Document):
    """The counter of one year's notification numbers (`_id` "INC-2026"), moved by one atomic $inc."""

    id = me.StringField(primary_key=True)
    value = me.IntField(default=0)

    meta = {"collection": "ticket_numbers"}


def allocate_number(moment: dt.datetime) -> str:
    """The next notification number of `moment`'s year, such as "INC-2026-000123"; never the same twice.

    One find_one_and_update with $inc and upsert (tests/storage/test_conformance.py): two processes asking at
    once get two numbers. A number whose ticket is then not written is lost: numbers may have gaps.
    """
    prefix = f"INC-{moment.year:04d}"
    counter = TicketNumber._get_collection().find_one_and_update(
        {"_id": prefix}, {"$inc": {"value": 1}}, upsert=True, return_document=ReturnDocument.AFTER)
    return f"{prefix}-{int(counter['value']):06d}"
