"""Reschedule and cancel an appointment (support and admin, as the API's ChangeHandler), through the API's own
functions: `reschedule`, then `preview_cancellation` to show the late-cancellation charge before confirming,
and `cancel` (inventory/appointment_booking.py) once confirmed."""

from __future__ import annotations

import datetime as dt

from inventory.appointment_booking import cancel, cancellation_fee, preview_cancellation, reschedule
from inventory.appointments import CANCELLED_BY
from provisioner.api.appointments import OFFICE
from provisioner.ticket_calendar import business_hours
from provisioner.web.installations.appointment_access import picked_technician, viewable_appointment
from provisioner.web.installations.appointment_calendar import local_start, parse_clock, parse_day
from provisioner.web.installations.appointment_page import REFUSALS, AppointmentPage, posted_version
from provisioner.web.installations.booking_refusals import refusal_text

MAX_REASON = 500


class ReschedulePage(AppointmentPage):
    """POST: move the appointment to another date, time, duration or technician; the appointment page again."""

    roles = OFFICE
    route = "/staff/appointments/{id}/reschedule"

    def get(self, record_id: str) -> None:
        self.redirect(f"/staff/appointments/{record_id}")

    async def post(self, record_id: str) -> None:
        appointment = viewable_appointment(self.caller, record_id)
        form = {name: self.get_body_argument(name, "").strip()[:40] for name in ("date", "time", "duration",
                                                                                  "technician")}
        form.update(by="customer", reason="")
        day, clock = parse_day(form["date"], None), parse_clock(form["time"])  # type: ignore[arg-type]
        duration = int(form["duration"]) if form["duration"].isdigit() and len(form["duration"]) < 4 else 0
        technician = picked_technician(form["technician"])
        if day is None or clock is None or not 15 <= duration <= 720 or technician is None:
            self.show(appointment, 422, form=form, reschedule_error=self.t("appt.bad_new_time"))
            return
        version, actor = posted_version(self.get_body_argument("version", "")), self.actor
        try:
            moved = await self.off_loop(
                lambda: reschedule(appointment, actor, local_start(day, clock), duration, technician, version))
        except REFUSALS as refused:
            self.show(appointment, getattr(refused, "status", 409), form=form,
                      reschedule_error=refusal_text(self.refusal_words("appointment"), refused, technician.name))
            return
        self.redirect(f"/staff/appointments/{moved.pk}?done=rescheduled")


class CancelPage(AppointmentPage):
    """POST action=preview: the cancellation read as the clause reads it (late? charged? how much?), to confirm;
    action=confirm: cancel it, as asked for at the moment previewed."""

    roles = OFFICE
    route = "/staff/appointments/{id}/cancel"

    def get(self, record_id: str) -> None:
        self.redirect(f"/staff/appointments/{record_id}")

    async def post(self, record_id: str) -> None:
        appointment = viewable_appointment(self.caller, record_id)
        by = self.get_body_argument("by", "")
        reason = self.get_body_argument("reason", "").strip()[:MAX_REASON] or None
        form = {"by": by, "reason": reason or ""}
        if by not in CANCELLED_BY:
            self.show(appointment, 422, form={**self.kept(appointment), **form},
                      cancel_error=self.t("appt.choose_who_cancels"))
            return
        now = dt.datetime.now(dt.UTC)
        at = self.asked_at(now)
        hours, fee = business_hours(self.services.settings), self.services.settings.installation.late_cancellation_fee_cents
        version = posted_version(self.get_body_argument("version", ""))
        try:
            reading = preview_cancellation(appointment, by, at, hours)
            if self.get_body_argument("action", "preview") != "confirm":
                self.render_page("appointment_cancel.html", appointment=appointment, site=appointment.site,
                                 visit=appointment.visit(), by=by, reason=reason or "", at=at, reading=reading,
                                 amount=self.money(cancellation_fee(reading, fee)),
                                 hours_before=self.hours_text(reading.business_hours_before))
                return
            actor = self.actor
            await self.off_loop(lambda: cancel(appointment, actor, by, at, fee, reason, hours, version))
        except REFUSALS as refused:
            self.show(appointment, getattr(refused, "status", 409), form={**self.kept(appointment), **form},
                      cancel_error=refusal_text(self.refusal_words("appointment"), refused))
            return
        self.redirect(f"/staff/appointments/{appointment.pk}?done=cancelled")

    def asked_at(self, now: dt.datetime) -> dt.datetime:
        """When the cancellation was asked for: the moment the preview showed (so the charge confirmed is the
        one shown), never in the future, else now."""
        try:
            at = dt.datetime.fromisoformat(self.get_body_argument("at", ""))
        except ValueError:
            return now
        if at.tzinfo is None or at > now or at < now - dt.timedelta(hours=1):
            return now
        return at

    def hours_text(self, hours: dt.timedelta) -> str:
        """Business hours as the API rounds them (two decimals), written with the language's decimal mark."""
        text = f"{round(hours.total_seconds() / 3600, 2):g}"
        return text.replace(".", ",") if self.t.language == "fr" else text

    @staticmethod
    def kept(appointment: object) -> dict[str, str]:
        start = appointment.start_local()  # type: ignore[attr-defined]
        return {"date": start.date().isoformat(), "time": f"{start:%H:%M}",
                "duration": str(appointment.duration_minutes),  # type: ignore[attr-defined]
                "technician": str(appointment.technician.pk)}  # type: ignore[attr-defined]
