"""Staff endpoints that change a booked appointment: reschedule, cancel (with a preview of its charge), and tick
the checklist (which completes the installation once all four items are done)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from inventory import transitions
from inventory.appointment_booking import (
    BookingRefused,
    cancel,
    cancellation_fee,
    preview_cancellation,
    reschedule,
)
from inventory.appointments import CANCELLED_BY, Cancellation
from inventory.business_calendar import BusinessHours
from inventory.installation_completion import tick
from inventory.technicians import Technician
from provisioner.api.appointments import (
    OFFICE,
    load,
    minutes,
    own_appointment,
    parse_field,
    refusal,
    render_appointment,
    unknown_fields,
)
from provisioner.api.base import ApiError, BaseHandler
from provisioner.api.lifecycle import refusal as move_refusal
from provisioner.lifecycle_rules import rules_for
from provisioner.ticket_calendar import business_hours


class ChangeHandler(BaseHandler):
    """Base of the changes: the body and the version read (If-Match or the body's `version`), refused 400 when they
    cannot be read, before any field is judged; fields wrong or refused are one 422 naming each (docs/installations.rst)."""

    roles = OFFICE
    fields: tuple[str, ...] = ()

    def read_change(self) -> tuple[dict[str, Any], int | None, dict[str, str]]:
        """The body, the version read, and the problems of its fields found so far (unknown ones, a `version` that
        is not an integer) for the handler to add its own to."""
        expected, body = self.expected_version(), self.json_body()
        problems = unknown_fields(body, (*self.fields, "version"))
        version = parse_field(body, "version", "integer", problems)
        return body, version if expected is None else expected, problems

    def hours(self) -> BusinessHours:
        return business_hours(self.services.settings)


class RescheduleHandler(ChangeHandler):
    """POST: move an appointment to another `start` (and `duration_minutes`, `technician`); SEQUENCE goes up."""

    route = "/api/v1/appointments/{id}/reschedule"
    fields = ("start", "duration_minutes", "technician")

    def post(self, record_id: str) -> None:
        appointment = own_appointment(self, record_id)
        body, version, problems = self.read_change()
        start = parse_field(body, "start", "datetime", problems, True)
        duration = minutes(body, "duration_minutes", problems)
        technician = load(Technician, parse_field(body, "technician", "ref", problems), "technician", problems)
        if problems:
            raise ApiError(422, "the new time is not valid", problems)
        try:
            moved = reschedule(appointment, self.actor, start, duration, technician, version)
        except BookingRefused as refused:
            raise refusal(refused) from None
        self.set_header("ETag", f'"{moved.version}"')
        self.send(render_appointment(moved))


class CancelHandler(ChangeHandler):
    """POST: cancel an appointment, `by` the customer or the provider, asked for `at` (now). With ?dry_run=true
    nothing changes: the answer says whether it would be late and charged, for a page to show first."""

    route = "/api/v1/appointments/{id}/cancel"
    fields = ("by", "at", "reason")

    def post(self, record_id: str) -> None:
        appointment = own_appointment(self, record_id)
        dry_run = self.get_query_argument("dry_run", "false")
        if dry_run not in ("true", "false"):  # a query argument: 400, as every one of the API (docs/failures.rst)
            raise ApiError(400, "dry_run must be true or false", {"dry_run": "expected true or false"})
        body, version, problems = self.read_change()
        by = parse_field(body, "by", "string", problems, True)
        if by is not None and by not in CANCELLED_BY:
            problems["by"] = f"expected one of {', '.join(CANCELLED_BY)}"
        now = dt.datetime.now(dt.UTC)
        at = parse_field(body, "at", "datetime", problems) or now
        if at > now:
            problems["at"] = "cannot be in the future"
        reason = parse_field(body, "reason", "string", problems, max_length=Cancellation.reason.max_length)
        if problems:
            raise ApiError(422, "the cancellation is not valid", problems)
        fee = self.services.settings.installation.late_cancellation_fee_cents
        try:
            if dry_run == "true":
                reading = preview_cancellation(appointment, by, at, self.hours())
                self.send({"dry_run": True, "appointment": str(appointment.pk), "by": by,
                           "business_hours_before": round(reading.business_hours_before.total_seconds() / 3600, 2),
                           "late": reading.late, "charged": reading.charged,
                           "amount_cents": cancellation_fee(reading, fee)})
                return
            cancelled, charge = cancel(appointment, self.actor, by, at, fee, reason, self.hours(), version)
        except BookingRefused as refused:
            raise refusal(refused) from None
        self.set_header("ETag", f'"{cancelled.version}"')
        self.send({"dry_run": False, "appointment": render_appointment(cancelled),
                   "charge": None if charge is None else {"id": str(charge.pk), "reason": charge.reason,
                                                          "amount_cents": charge.amount_cents}})


class ChecklistHandler(ChangeHandler):
    """POST: mark checklist `items` done; with all four done the installation is completed (equipment in service,
    the contract's go-live date on the customer's first). Technicians tick their own appointments."""

    roles = ("support", "technician")
    route = "/api/v1/appointments/{id}/checklist"
    fields = ("items",)

    def post(self, record_id: str) -> None:
        appointment = own_appointment(self, record_id)
        body, version, problems = self.read_change()
        items = parse_field(body, "items", "string_list", problems, True)
        if problems:
            raise ApiError(422, "the checklist items are not valid", problems)
        try:
            done = tick(appointment, items, self.actor, self.caller.roles, dt.datetime.now(dt.UTC),
                        rules_for(self.services.settings), version)
        except BookingRefused as refused:
            raise refusal(refused) from None
        except transitions.TransitionRefused as refused:
            raise move_refusal(refused) from None
        self.set_header("ETag", f'"{done.version}"')
        self.send(render_appointment(done))
