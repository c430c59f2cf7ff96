"""Charge lines: what a customer is billed for equipment that came back short or broken (clause 3.5), and
for an installation appointment cancelled late (inventory/appointment_booking.py).

The lifecycle table computes them (inventory/lifecycle_effects.py, `check_in_charges`); inventory/transitions.py
writes them after the move that caused them, each with an id derived from that move's event, so a retry
or an outbox flush never writes one twice.
"""

from __future__ import annotations

import hashlib

import mongoengine as me
from bson import ObjectId

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.references import Reference
from inventory.versioned import VersionedDocument


def charge_id(event_id: str, position: int) -> ObjectId:
    """The id of the `position`-th charge (0-255) of an event: the event's time, a digest of its id, the position.

    So the charges of one event sort together, in their order, and after those of earlier events.
    """
    if not 0 <= position < 256:
        raise ValueError(f"an event has at most 256 charges, not {position + 1}")
    digest = hashlib.blake2b(event_id.encode(), digest_size=7).digest()
    return ObjectId(ObjectId(event_id).binary[:4] + digest + bytes([position]))


class ChargeLine(VersionedDocument):
    """One amount to bill a customer, with the move (or the appointment) and the event that caused it."""

    #: The item a lifecycle move charged for; None for a late-cancelled appointment.
    item = Reference(Equipment)
    appointment = Reference("Appointment")
    customer = Reference(Customer)
    site = Reference(Site)
    reason = me.StringField(required=True, max_length=200)
    amount_cents = me.IntField(required=True, min_value=0)
    move = me.StringField(required=True, max_length=40)
    #: The id (hex text) of the event of the move that caused it.
    event = me.StringField(required=True, max_length=40)
    #: "<move>:<key>" when the move ran under an idempotency key, to answer a repeated request alike.
    transition_key = me.StringField(max_length=250)

    meta = {"collection": "charge_lines", "indexes": ["item", "customer", "event", "appointment"]}
