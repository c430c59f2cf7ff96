"""One appointment: the site's address and contact, the equipment to install, the status, and the checklist
ticked on a phone through the API's own `tick` (inventory/installation_completion.py), which completes the
installation and records the go-live date with the fourth item. Support and admin also get the reschedule and
cancel forms (provisioner/web/installations/appointment_changes_page.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from inventory import transitions
from inventory.appointment_booking import BookingRefused
from inventory.appointments import ACTIVE, CANCELLED_BY, CHECKLIST, Appointment
from inventory.booking_locks import ScheduleBusy
from inventory.counts import count
from inventory.equipment import Equipment
from inventory.errors import VersionConflict
from inventory.installation_completion import tick
from provisioner.lifecycle_rules import rules_for
from provisioner.web.installations.appointment_access import is_office, technician_choices, viewable_appointment
from provisioner.web.installations.appointment_list_page import APPOINTMENT_ROLES
from provisioner.web.installations.booking_refusals import refusal_text
from provisioner.web.page_handler import PageHandler

#: Equipment of the site not yet installed, listed beside the appointment's own (what the warehouse staged).
WAITING_STATES = ("staged", "shipped", "delivered")
MAX_SITE_ITEMS = 50
#: What a change refused by the rules answers.
REFUSALS = (BookingRefused, VersionConflict, transitions.TransitionRefused, ScheduleBusy)


def posted_version(text: str) -> int | None:
    """The version the form was read at (If-Match for the page), or None when it sent none we can read."""
    return int(text) if text.isdigit() and len(text) < 10 else None


class AppointmentPage(PageHandler):
    """GET: the appointment (a technician: their own, else the 404 page). POST: tick checklist items."""

    roles = APPOINTMENT_ROLES
    route = "/staff/appointments/{id}"

    def get(self, record_id: str) -> None:
        self.show(viewable_appointment(self.caller, record_id))

    async def post(self, record_id: str) -> None:
        appointment = viewable_appointment(self.caller, record_id)
        items = [name for name in self.get_body_arguments("items") if name in CHECKLIST]
        if not items:
            self.show(appointment, 422, checklist_error=self.t("appt.tick_something"))
            return
        version = posted_version(self.get_body_argument("version", ""))
        rules, roles, actor = rules_for(self.services.settings), self.caller.roles, self.actor
        try:
            done = await self.off_loop(
                lambda: tick(appointment, items, actor, roles, dt.datetime.now(dt.UTC), rules, version))
        except REFUSALS as refused:
            fresh = Appointment.objects(pk=appointment.pk).first() or appointment
            self.show(fresh, getattr(refused, "status", 409), checklist_error=refusal_text(self.refusal_words("appointment"), refused))
            return
        notice = "completed" if done.state == "completed" else "ticked"
        self.redirect(f"/staff/appointments/{done.pk}?done={notice}")

    def show(self, appointment: Appointment, status: int = 200, **values: Any) -> None:
        """The appointment page, with the forms' errors and kept values in `values`."""
        site, office = appointment.site, is_office(self.caller)
        own_items = list(appointment.equipment or [])
        own_ids = {item.pk for item in own_items}
        waiting = {"site": str(site.pk), "state": {"$in": list(WAITING_STATES)}}
        others = [item for item in Equipment.objects(__raw__=waiting).order_by("serial").limit(MAX_SITE_ITEMS + len(own_ids))
                  if item.pk not in own_ids][:MAX_SITE_ITEMS]
        others_total = count(Equipment._get_collection(), waiting) - sum(1 for i in own_items if i.state in WAITING_STATES)
        done = self.get_query_argument("done", "")
        defaults = {"checklist_error": None, "reschedule_error": None, "cancel_error": None,
                    "form": {"date": appointment.start_local().date().isoformat(),
                             "time": f"{appointment.start_local():%H:%M}",
                             "duration": str(appointment.duration_minutes),
                             "technician": str(appointment.technician.pk), "by": "customer", "reason": ""}}
        defaults.update(values)
        self.render_page(
            "appointment.html", status=status, appointment=appointment, site=site, visit=appointment.visit(),
            customer=appointment.customer, contract=appointment.contract, technician=appointment.technician,
            own_items=own_items, site_items=others, site_items_total=others_total, checklist=[(name, getattr(appointment.checklist, name))
                                                        for name in CHECKLIST],
            active=appointment.state in ACTIVE, office=office, choices=technician_choices() if office else [],
            cancelled_by=CANCELLED_BY, state_name=self.state_name,
            done_notice={"completed": "appt.completed_now", "ticked": "appt.ticked", "rescheduled": "appt.rescheduled",
                         "cancelled": "appt.cancelled_now", "booked": "appt.booked"}.get(done),
            money=self.money, **defaults)
