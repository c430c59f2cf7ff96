"""Completing an installation: the technician ticks the checklist; with all four items done the appointment is
completed, the equipment goes "installed" then "in service" through the lifecycle's own moves, and the
customer's first completed installation gives the contract its go-live date (Date de Mise en Service).

Order, so that a failure leaves nothing half-done that a retry cannot finish: the items' states are checked
first (all of them, before any move), then the moves run (each one idempotent by the item's state), then the
contract's go-live date is set if it has none, and last the appointment is written completed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from inventory import lifecycle_plans, transitions
from inventory.appointment_booking import BookingRefused
from inventory.appointment_rules import ZONE
from inventory.appointments import ACTIVE, CHECKLIST, Appointment, CheckItem, Checklist
from inventory.contracts import Contract
from inventory.equipment import Equipment
from inventory.errors import VersionConflict
from inventory.events import Actor
from inventory.refusals import because, field_problem

#: The lifecycle moves that bring an item from each state to "in service".
MOVES_TO_SERVICE = {"delivered": ("install", "put_in_service"), "installed": ("put_in_service",), "in_service": ()}


def tick(appointment: Appointment, items: Sequence[str], actor: Actor, roles: tuple[str, ...], now: dt.datetime,
         rules: lifecycle_plans.Rules | transitions.RulesFor, expected_version: int | None = None) -> Appointment:
    """Mark checklist `items` done by `actor` at `now`; when all four are done, complete the appointment.

    An item already done keeps who did it and when. BookingRefused (409 for a state, 422 for a name) or
    transitions.TransitionRefused (a lifecycle move refused) when nothing could be completed.
    """
    unknown = [name for name in items if name not in CHECKLIST]
    if unknown or not items:
        raise BookingRefused(422, because("checklist_items", f"checklist items are {', '.join(CHECKLIST)}; got "
                                                             f"{', '.join(unknown) or 'none'}",
                                          items=CHECKLIST, unknown=unknown),
                             {"items": field_problem("checklist_items", f"expected some of {', '.join(CHECKLIST)}",
                                                     items=CHECKLIST)})
    if appointment.state not in ACTIVE:
        raise BookingRefused(409, because("checklist_closed", f"appointment {appointment.pk} is {appointment.state}: "
                                                              "its checklist is closed",
                                          appointment=str(appointment.pk), state=appointment.state),
                             {"state": field_problem("appointment_is", appointment.state, state=appointment.state)})
    if expected_version is not None and expected_version != appointment.version:
        raise VersionConflict(Appointment._get_collection_name(), appointment.pk, appointment.version)
    checklist = Checklist(**{name: CheckItem(done=getattr(appointment.checklist, name).done,
                                             by=getattr(appointment.checklist, name).by,
                                             at=getattr(appointment.checklist, name).at) for name in CHECKLIST})
    fresh = [name for name in items if not getattr(checklist, name).done]
    if not fresh:
        return appointment  # ticked before: who and when stay as they were, nothing is written
    for name in fresh:
        setattr(checklist, name, CheckItem(done=True, by=actor.username, at=now))
    changes: dict[str, object] = {"checklist": checklist}
    if checklist.all_done():
        changes.update(_complete(appointment, actor, roles, now, rules))
    return appointment.update(actor, changes, appointment.version)


def _complete(appointment: Appointment, actor: Actor, roles: tuple[str, ...], now: dt.datetime,
              rules: lifecycle_plans.Rules | transitions.RulesFor) -> dict[str, object]:
    """Bring the equipment into service and the contract live; the appointment's changes to write."""
    items: list[Equipment] = list(appointment.equipment or [])
    stuck = [item for item in items if item.state not in MOVES_TO_SERVICE]
    if stuck:
        states = [because("item_is", f"{item.serial} is {item.state}", serial=item.serial, item_state=item.state)
                  for item in stuck]
        listing = ", ".join(map(str, states))
        raise BookingRefused(409, because("not_ready", f"the installation cannot be completed: {listing} (expected "
                                                       "delivered, installed or in service)", stuck=states),
                             {"equipment": field_problem("not_ready", listing, stuck=states)})
    for item in items:
        for move in MOVES_TO_SERVICE[item.state]:
            transitions.run(item.pk, move, {}, actor, roles, now, rules,
                            idempotency_key=f"appointment-{appointment.pk}-{move}")
    go_live = _go_live(appointment, actor, now)
    return {"state": "completed", "completed_at": now, "go_live_recorded": go_live}


def _go_live(appointment: Appointment, actor: Actor, now: dt.datetime) -> dt.date | None:
    """Set the contract's go-live date to today (Paris) when this is the customer's first completed
    installation and the contract has none; the date set, or None."""
    customer = str(appointment.customer.pk)
    earlier = Appointment._get_collection().find_one({"customer": customer, "state": "completed",
                                                       "_id": {"$ne": appointment.pk}}, {"_id": 1})
    if earlier is not None:
        return None
    today = now.astimezone(ZONE).date()
    for _ in range(3):
        contract = Contract.objects(pk=appointment.contract.pk).first()
        if contract is None or contract.go_live_date is not None:
            return None
        try:
            contract.update(actor, {"go_live_date": today})
            return today
        except VersionConflict:
            continue  # edited meanwhile: read it again, its go-live date may be set now
    raise VersionConflict(Contract._get_collection_name(), appointment.contract.pk, None)
