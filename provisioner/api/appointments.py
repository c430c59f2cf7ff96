"""Staff endpoints of installation appointments: list (a technician's day or week), book, read, and the free
slots for a site. Changes to a booked appointment are in provisioner/api/appointment_changes.py.

Admin and support do everything; a technician sees only their own appointments (and completes them). Bad input
follows the API's rule (docs/installations.rst): 400 for a body that cannot be read, 422 for its fields (unknown,
wrong, missing, refused, or naming no record), 409 for a conflict; a query argument that is not valid is 400.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bson import ObjectId

from inventory.appointment_booking import BookingRefused, book, site_free_slots
from inventory.appointment_reports import appointments_in, parse_period
from inventory.appointments import CHECKLIST, Appointment
from inventory.contracts import Contract
from inventory.customers import Site
from inventory.equipment import Equipment
from inventory.technicians import Technician
from provisioner.api.authentication import Caller
from provisioner.api.base import ApiError, BaseHandler, record_or_404
from provisioner.api.fields import Field, FieldProblem, bounded_int

_TIME = Field("moment", "datetime").render
OFFICE = ("support",)  # and admin, who may do everything
YEARS = range(2000, 2200)
CREATE_FIELDS = ("site", "technician", "contract", "start", "duration_minutes", "skills", "equipment", "notes")


def render_appointment(appointment: Appointment) -> dict[str, Any]:
    """An appointment as JSON: times in UTC, and the start as wall-clock time in Paris for people."""
    stored = appointment.to_mongo().to_dict()
    visit = appointment.visit()
    cancellation = appointment.cancellation
    return {
        "id": str(appointment.pk), "version": appointment.version, "state": appointment.state,
        "sequence": appointment.sequence, "site": stored["site"], "customer": stored.get("customer"),
        "contract": stored["contract"], "technician": stored["technician"], "departement": appointment.departement,
        "start": _TIME(visit.start), "end": _TIME(visit.end), "start_local": visit.start.isoformat(),
        "day": appointment.day, "duration_minutes": appointment.duration_minutes,
        "travel_minutes": appointment.travel_minutes, "skills": list(appointment.skills or []),
        "equipment": [str(item) for item in stored.get("equipment", [])], "notes": appointment.notes,
        "checklist": {name: {"done": bool(getattr(appointment.checklist, name).done),
                             "by": getattr(appointment.checklist, name).by,
                             "at": _TIME(getattr(appointment.checklist, name).at)} for name in CHECKLIST},
        "cancellation": None if cancellation is None else {
            "by": cancellation.by, "at": _TIME(cancellation.at), "recorded_by": cancellation.recorded_by,
            "reason": cancellation.reason, "business_hours_before": round(cancellation.business_minutes_before / 60, 2),
            "late": bool(cancellation.late), "charge": cancellation.charge, "amount_cents": cancellation.amount_cents},
        "completed_at": _TIME(appointment.completed_at),
        "go_live_recorded": appointment.go_live_recorded.isoformat() if appointment.go_live_recorded else None,
        "created_at": _TIME(appointment.created_at), "updated_at": _TIME(appointment.updated_at)}


def refusal(refused: BookingRefused) -> ApiError:
    """The API answer of a refused booking or change; a conflict names the appointment it meets."""
    details = {}
    if refused.conflict is not None:
        visit = refused.conflict.visit()
        details["conflict"] = {"id": str(refused.conflict.pk), "start": _TIME(visit.start), "end": _TIME(visit.end),
                               "state": refused.conflict.state}
    return ApiError(refused.status, refused.message, refused.fields, details)


def unknown_fields(body: dict[str, Any], expected: tuple[str, ...]) -> dict[str, str]:
    """A problem for each field of `body` not in `expected`, saying which are."""
    return {name: f"unknown field: expected {', '.join(expected)}" for name in body if name not in expected}


def parse_field(body: dict[str, Any], name: str, kind: str, problems: dict[str, str], required: bool = False,
                max_length: int = 2000) -> Any:
    """One field of a JSON body read as `kind`; a problem noted under its name (missing and required, or wrong)."""
    if body.get(name) is None:
        if required:
            problems[name] = "required"
        return None
    try:
        value = Field(name, kind, max_length=max_length).parse(body[name])
    except FieldProblem as exc:
        problems[name] = str(exc)
        return None
    if kind == "datetime" and value.year not in YEARS:
        problems[name] = f"expected a year from {YEARS.start} to {YEARS.stop - 1}"
        return None
    return value


def minutes(body: dict[str, Any], name: str, problems: dict[str, str], required: bool = False) -> int | None:
    value = parse_field(body, name, "integer", problems, required)
    if value is not None and not 15 <= value <= 720:
        problems[name] = "expected minutes from 15 to 720"
    return value


def load(document: type, value: Any, name: str, problems: dict[str, str]) -> Any:
    """The record a parsed id names; a problem noted when there is none."""
    if value is None:
        return None
    found = document.objects(pk=value).first()
    if found is None:
        problems[name] = f"no such record: {value}"
    return found


def technician_of(caller: Caller) -> Technician | None:
    """The technician record of `caller` when they are only a technician (not support nor admin); 403 when they
    hold no such record. Shared with the staff pages."""
    if caller.may(OFFICE):
        return None
    own = Technician.objects(user=caller.user_id).first()
    if own is None:
        raise ApiError(403, "you are not recorded as a technician: ask an administrator")
    return own


def caller_technician(handler: BaseHandler) -> Technician | None:
    """The technician record of the caller when they are only a technician (not support nor admin)."""
    return technician_of(handler.caller)


def appointment_for(caller: Caller, record_id: str) -> Appointment:
    """The appointment of this id, when `caller` may see it (a technician: their own); 404 otherwise. Shared
    with the staff pages."""
    appointment = record_or_404(Appointment, record_id, "appointment")
    own = technician_of(caller)
    if own is not None and appointment.to_mongo().get("technician") != str(own.pk):
        raise ApiError(404, f"no appointment with id {record_id[:40]!r}")
    return appointment


def own_appointment(handler: BaseHandler, record_id: str) -> Appointment:
    """The appointment of this id, when the caller may see it (a technician: their own); 404 otherwise."""
    return appointment_for(handler.caller, record_id)


class AppointmentsHandler(BaseHandler):
    """GET: the appointments of a day or an ISO week (?day= or ?week=), of one technician (?technician=; a
    technician always gets their own). POST: book one (201), or 409 naming the appointment it meets."""

    roles = ("support", "technician")
    route = "/api/v1/appointments"

    def get(self) -> None:
        given = {name: self.get_query_argument(name) for name in self.request.query_arguments}
        problems = {name: "unknown argument: expected day, week or technician"
                    for name in given if name not in ("day", "week", "technician")}
        try:
            first, days = parse_period(given.get("day"), given.get("week"))
        except ValueError as exc:
            problems["period"] = str(exc)
        technician = given.get("technician")
        if technician is not None and not ObjectId.is_valid(technician):
            problems["technician"] = "expected a record id of 24 hexadecimal digits"
        if problems:
            raise ApiError(400, "the query is not valid", problems)
        own = caller_technician(self)
        if own is not None:
            technician = str(own.pk)
        items = [render_appointment(a) for a in appointments_in(first, days, technician)]
        self.send({"from": first.isoformat(), "days": days, "technician": technician, "items": items,
                   "total": len(items)})

    def post(self) -> None:
        if not self.caller.may(OFFICE):
            raise ApiError(403, "booking needs one of the roles: support, admin")
        body = self.json_body()
        problems = unknown_fields(body, CREATE_FIELDS)
        ids = {name: parse_field(body, name, "ref", problems, True) for name in ("site", "technician", "contract")}
        start = parse_field(body, "start", "datetime", problems, True)
        duration = minutes(body, "duration_minutes", problems, True)
        skills = parse_field(body, "skills", "string_list", problems) or []
        items = parse_field(body, "equipment", "ref_list", problems) or []
        notes = parse_field(body, "notes", "string", problems)
        records = {name: load(document, ids[name], name, problems)
                   for name, document in (("site", Site), ("technician", Technician), ("contract", Contract))}
        equipment = [load(Equipment, item, "equipment", problems) for item in items]
        if problems:
            raise ApiError(422, "the appointment is not valid", problems)
        try:
            appointment = book(records["site"], records["technician"], records["contract"], start, duration,
                               self.actor, skills, equipment, notes)
        except BookingRefused as refused:
            raise refusal(refused) from None
        self.set_header("Location", f"/api/v1/appointments/{appointment.pk}")
        self.send(render_appointment(appointment), status=201)


class AppointmentHandler(BaseHandler):
    """GET: one appointment (a technician: their own only)."""

    roles = ("support", "technician")
    route = "/api/v1/appointments/{id}"

    def get(self, record_id: str) -> None:
        appointment = own_appointment(self, record_id)
        self.set_header("ETag", f'"{appointment.version}"')
        self.send(render_appointment(appointment))


class FreeSlotsHandler(BaseHandler):
    """GET: free starts for a visit of ?duration= minutes at ?site=, from ?from= (now) over ?days= (7) days,
    by technicians of the site's département with every skill of ?skills= (comma-separated)."""

    roles = OFFICE
    route = "/api/v1/appointments/free-slots"
    arguments = ("site", "duration", "from", "days", "skills", "limit")

    def get(self) -> None:
        given = {name: self.get_query_argument(name) for name in self.request.query_arguments}
        problems = {name: f"unknown argument: expected {', '.join(self.arguments)}"
                    for name in given if name not in self.arguments}
        site_id = parse_field(given, "site", "ref", problems, True)
        duration = bounded_int(given.get("duration", ""), 15, 720, "duration", problems)
        days = bounded_int(given.get("days", "7"), 1, 31, "days", problems)
        limit = bounded_int(given.get("limit", "50"), 1, 200, "limit", problems)
        start = dt.datetime.now(dt.UTC)
        if "from" in given:
            start = parse_field(given, "from", "datetime", problems) or start
        skills = [s.strip().lower() for s in given.get("skills", "").split(",") if s.strip()]
        if problems:
            raise ApiError(400, "the query is not valid", problems)
        site = record_or_404(Site, str(site_id), "site")
        try:
            slots = site_free_slots(site, duration, start, days, skills, limit)
        except BookingRefused as refused:
            raise refusal(refused) from None
        except ValueError as exc:
            raise ApiError(422, f"site {site.name}: {exc}", {"site": str(exc)}) from None
        self.send({"site": str(site.pk), "departement": site.departement or "", "duration_minutes": duration,
                   "items": [{"technician": slot.technician, "technician_name": slot.name, "start": _TIME(slot.start),
                              "end": _TIME(slot.end), "start_local": slot.start.isoformat()} for slot in slots]})
