"""Booking, rescheduling and cancelling installation appointments, race-free per technician.

A booking or a reschedule holds the technician's schedule lock (inventory/booking_locks.py) while it reads the
technician's visits, checks the new one against them and writes it: of two requests for overlapping slots of
one technician, exactly one is written, the other is refused naming the appointment it meets.

A late customer cancellation is written with its charge in the appointment itself (`cancellation.charge`,
flagged `charge_pending`): the charge line is inserted right after under an id derived from the appointment,
then the flag cleared; `deliver_pending_charges` (server start) finishes what a crash interrupted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from inventory import booking_locks
from inventory.appointment_rules import (
    ZONE,
    CancellationReading,
    Slot,
    Visit,
    first_conflict,
    fit_reason,
    free_slots,
    read_cancellation,
    served_departement,
)
from inventory.appointments import ACTIVE, CANCELLED_BY, Appointment, Cancellation, active_visits
from inventory.business_calendar import DEFAULT_BUSINESS_HOURS, BusinessHours
from inventory.charges import ChargeLine, charge_id
from inventory.contracts import Contract
from inventory.customers import Site
from inventory.equipment import Equipment
from inventory.events import Actor, Event
from inventory.refusals import Reason, Refusal, because, field_problem
from inventory.technicians import Technician

#: The move named on a late cancellation's charge line.
CANCEL_MOVE = "cancel_appointment"


class BookingRefused(Refusal):
    """A change not made: `status` 404/409/422, why (inventory/refusals.py), the fields at fault, and the
    appointment it conflicts with."""

    subject = "appointment"

    def __init__(self, status: int, why: str | Reason, fields: dict[str, str | Reason] | None = None,
                 conflict: Appointment | None = None):
        super().__init__(status, why, fields=fields)
        self.conflict = conflict


def _departement(site: Site) -> str:
    try:
        return served_departement(site.departement or "")
    except ValueError as exc:
        code = site.departement or ""
        raise BookingRefused(422, because("site_not_served", f"site {site.name}: {exc}", site=site.name,
                                          departement=code),
                             {"site": field_problem("not_served", str(exc), departement=code)}) from None


def _check_technician(technician: Technician, departement: str, skills: Sequence[str]) -> None:
    profile = technician.profile()
    if not technician.active:
        raise BookingRefused(422, because("inactive", f"technician {technician.name} is not active",
                                          technician=technician.name),
                             {"technician": field_problem("inactive", "not active")})
    if departement not in profile.zones:
        zones = ", ".join(sorted(profile.zones))
        raise BookingRefused(422, because("out_of_zone", f"technician {technician.name} does not work in département "
                                                         f"{departement} (zones: {zones})",
                                          technician=technician.name, departement=departement, zones=zones),
                             {"technician": field_problem("out_of_zone", "not in this zone")})
    missing = ", ".join(sorted(set(skills) - profile.skills))
    if missing:
        raise BookingRefused(422, because("lacks_skills", f"technician {technician.name} lacks the skill(s) {missing}",
                                          technician=technician.name, skills=missing),
                             {"skills": field_problem("lacks_skills", f"{technician.name} lacks {missing}",
                                                      technician=technician.name, skills=missing)})


def _visit(technician: Technician, departement: str, start: dt.datetime, minutes: int, ident: str = "") -> Visit:
    buffer = technician.profile().buffer_for(departement)
    try:
        visit = Visit(start, dt.timedelta(minutes=minutes), buffer, ident)
    except ValueError as exc:
        why = _visit_reason(str(exc), start, minutes, buffer)
        raise BookingRefused(422, why, {"start": field_problem("why", str(exc), why=why)}) from None
    why = fit_reason(visit, technician.profile().hours, departement)
    if why:
        raise BookingRefused(422, because("does_not_fit", f"cannot book {technician.name} then: {why}",
                                          technician=technician.name, why=why),
                             {"start": field_problem("why", str(why), why=why)})
    return visit


def _visit_reason(text: str, start: dt.datetime, minutes: int, buffer: dt.timedelta) -> Reason:
    """Why a visit could not be made of these values (`text`, the rules' words), with its code."""
    if not isinstance(start, dt.datetime) or start.utcoffset() is None:
        return because("start_without_zone", text)
    if minutes <= 0:
        return because("bad_duration", text, minutes=minutes)
    return because("bad_travel", text, minutes=int(buffer.total_seconds() // 60))


def _conflict_check(technician: Technician, visit: Visit) -> None:
    """Refuse (409) when the technician's stored visits overlap `visit`; call it holding the technician's lock."""
    day = visit.start.astimezone(ZONE).date()
    clash = first_conflict(visit, active_visits(str(technician.pk), day - dt.timedelta(days=1),
                                                day + dt.timedelta(days=1)))
    if clash is None:
        return
    other = Appointment.objects(pk=ObjectId(clash.ident)).first()
    begin, end = (moment.astimezone(ZONE) for moment in clash.occupied)
    raise BookingRefused(
        409, because("taken", f"technician {technician.name} is taken by appointment {clash.ident} from "
                              f"{begin:%Y-%m-%d %H:%M} to {end:%H:%M} (Europe/Paris, travel included)",
                     technician=technician.name, appointment=clash.ident, day=begin.date(), begins=f"{begin:%H:%M}",
                     ends=f"{end:%H:%M}"),
        {"start": field_problem("overlaps", f"overlaps appointment {clash.ident}", appointment=clash.ident)}, other)


def _guarded_write(keys: list[str], technician: Technician, visit: Visit, write: Any) -> Any:
    with booking_locks.holding(keys) as token:
        _conflict_check(technician, visit)
        if not all(booking_locks.still_held(key, token) for key in keys):
            raise booking_locks.ScheduleBusy(keys[0])
        return write()


def book(site: Site, technician: Technician, contract: Contract, start: dt.datetime, duration_minutes: int,
         actor: Actor, skills: Sequence[str] = (), equipment: Sequence[Equipment] = (), notes: str | None = None
         ) -> Appointment:
    """Book a visit; BookingRefused (409 naming the appointment met, 422 when it does not fit)."""
    departement = _departement(site)
    if contract.customer != site.customer:
        raise BookingRefused(422, because("contract_of_other_customer",
                                          "the contract belongs to another customer than the site's"),
                             {"contract": field_problem("other_customers", "another customer's")})
    if contract.state in ("terminated", "ended"):
        raise BookingRefused(422, because("contract_over", f"contract {contract.reference} is {contract.state}",
                                          contract=contract.reference, contract_state=contract.state),
                             {"contract": field_problem("contract_over", contract.state,
                                                        contract_state=contract.state)})
    for item in equipment:
        if item.site is None or item.site.pk != site.pk:
            raise BookingRefused(422, because("not_staged_here", f"equipment {item.serial} is not staged for site "
                                                                 f"{site.name}", serial=item.serial, site=site.name),
                                 {"equipment": field_problem("not_bound_to_site",
                                                             f"{item.serial} is not bound to this site",
                                                             serial=item.serial)})
    _check_technician(technician, departement, skills)
    visit = _visit(technician, departement, start, duration_minutes)
    appointment = Appointment(site=site, contract=contract, departement=departement, technician=technician,
                              start=visit.start.astimezone(dt.UTC), duration_minutes=duration_minutes,
                              travel_minutes=int(visit.buffer.total_seconds() // 60), skills=sorted(set(skills)),
                              equipment=list(equipment), notes=notes)
    appointment.check()
    return _guarded_write([booking_locks.technician_key(technician.pk)], technician, visit,
                          lambda: appointment.insert(actor))


def _active(appointment: Appointment, doing: str) -> None:
    if appointment.state not in ACTIVE:
        text = f"appointment {appointment.pk} is {appointment.state}: it cannot be {doing}"
        why = (because("not_reschedulable", text, appointment=str(appointment.pk), state=appointment.state)
               if doing == "rescheduled" else
               because("not_cancellable", text, appointment=str(appointment.pk), state=appointment.state))
        raise BookingRefused(409, why, {"state": field_problem("appointment_is", appointment.state,
                                                               state=appointment.state)})


def reschedule(appointment: Appointment, actor: Actor, start: dt.datetime, duration_minutes: int | None = None,
               technician: Technician | None = None, expected_version: int | None = None) -> Appointment:
    """Move a booked visit to another time (and maybe technician); SEQUENCE goes up by one."""
    _active(appointment, "rescheduled")
    departement = appointment.departement
    old = appointment.technician
    new = technician or old
    minutes = duration_minutes or appointment.duration_minutes
    _check_technician(new, departement, appointment.skills or ())
    visit = _visit(new, departement, start, minutes, str(appointment.pk))
    changes = {"start": visit.start.astimezone(dt.UTC), "duration_minutes": minutes, "technician": new,
               "travel_minutes": int(visit.buffer.total_seconds() // 60), "state": "rescheduled",
               "sequence": appointment.sequence + 1}
    keys = [booking_locks.technician_key(old.pk), booking_locks.technician_key(new.pk)]
    return _guarded_write(keys, new, visit, lambda: appointment.update(actor, changes, expected_version))


def site_free_slots(site: Site, duration_minutes: int, start: dt.datetime, days: int, skills: Sequence[str] = (),
                    limit: int = 50, technician: str | None = None) -> list[Slot]:
    """Free starts for a visit at `site` (every active technician of its département, or only `technician`),
    read from the technicians' booked visits of those days; BookingRefused (422) when the site cannot be served."""
    departement = _departement(site)
    query = Technician.objects(active=True)
    if technician is not None:
        query = query.filter(pk=technician)
    technicians = [t for t in query if departement in (t.zones or [])]
    first = start.astimezone(ZONE).date()
    booked = {str(t.pk): active_visits(str(t.pk), first - dt.timedelta(days=1), first + dt.timedelta(days=days))
              for t in technicians}
    return free_slots(departement, dt.timedelta(minutes=duration_minutes), start, days,
                      [t.profile() for t in technicians], booked, skills, limit=limit)


def cancellation_fee(reading: CancellationReading, fee_cents: int) -> int:
    """What a cancellation that reads so is charged: the fee when charged (late, by the customer), else 0."""
    return fee_cents if reading.charged else 0


def preview_cancellation(appointment: Appointment, by: str, at: dt.datetime,
                         hours_def: BusinessHours = DEFAULT_BUSINESS_HOURS) -> CancellationReading:
    """How a cancellation asked for at `at` by `by` would read (late, charged), without changing anything."""
    _active(appointment, "cancelled")
    try:
        return read_cancellation(at, appointment.start_local(), appointment.departement, by, hours_def)
    except ValueError as exc:
        why = (because("cancelled_by", str(exc), by=by) if by not in CANCELLED_BY
               else because("time_without_zone", str(exc)))
        raise BookingRefused(422, why, {"by": field_problem("why", str(exc), why=why)}) from None


def cancel(appointment: Appointment, actor: Actor, by: str, at: dt.datetime, fee_cents: int,
           reason: str | None = None, hours_def: BusinessHours = DEFAULT_BUSINESS_HOURS,
           expected_version: int | None = None) -> tuple[Appointment, ChargeLine | None]:
    """Cancel a visit; a late customer cancellation produces a charge line of `fee_cents`. SEQUENCE goes up."""
    reading = preview_cancellation(appointment, by, at, hours_def)
    charge = charge_id(str(appointment.pk), 0) if reading.charged else None
    cancellation = Cancellation(
        by=by, at=at.astimezone(dt.UTC), recorded_by=actor.username, reason=reason,
        business_minutes_before=int(reading.business_hours_before.total_seconds() // 60), late=reading.late,
        charge=str(charge) if charge else None, amount_cents=cancellation_fee(reading, fee_cents))
    appointment.update(actor, {"state": "cancelled", "sequence": appointment.sequence + 1,
                               "cancellation": cancellation, "charge_pending": charge is not None},
                       expected_version)
    return appointment, (_deliver_charge(appointment) if charge else None)


def _deliver_charge(appointment: Appointment) -> ChargeLine:
    """Insert the cancellation's charge line (once, whatever happens twice), then clear the flag."""
    cancellation = appointment.cancellation
    event = Event._get_collection().find_one({"collection": Appointment._get_collection_name(),
                                              "object_id": str(appointment.pk)}, {"_id": 1}, sort=[("_id", -1)])
    at = cancellation.at if cancellation.at.tzinfo else cancellation.at.replace(tzinfo=dt.UTC)
    line = ChargeLine(
        id=ObjectId(cancellation.charge), appointment=appointment, customer=appointment.customer,
        site=appointment.site, amount_cents=cancellation.amount_cents, move=CANCEL_MOVE,
        reason=(f"installation appointment of {appointment.start_local():%Y-%m-%d %H:%M} cancelled by the customer "
                f"{cancellation.business_minutes_before / 60:g} business hours before (less than 48)"),
        event=str(event["_id"]) if event else str(appointment.pk), version=1, created_at=at, updated_at=at)
    try:
        ChargeLine._get_collection().insert_one(line.to_mongo().to_dict())
    except DuplicateKeyError:
        line = ChargeLine.objects(pk=line.pk).first()  # written before: by the crashed attempt or a concurrent flush
    # A boolean, not a datetime, so $set is safe on NX-27017 (docs/storage.rst).
    Appointment._get_collection().update_one({"_id": appointment.pk, "charge_pending": True},
                                             {"$set": {"charge_pending": False}})
    appointment.charge_pending = False
    return line


def deliver_pending_charges() -> int:
    """Write the charge lines a crash left owed by cancelled appointments (run at server start); how many."""
    delivered = 0
    for appointment in Appointment.objects(charge_pending=True):
        if appointment.cancellation is not None and appointment.cancellation.charge:
            _deliver_charge(appointment)
            delivered += 1
    return delivered
