"""What the appointment pages say when the booking rules refuse a change: a conflict names the appointment it
meets (its site, customer, times and the time its travel takes), anything else says what was wrong, in the
user's language (provisioner/web/refusals.py)."""

from __future__ import annotations

from inventory.appointment_booking import BookingRefused
from inventory.appointment_rules import ZONE
from inventory.appointments import Appointment
from inventory.booking_locks import ScheduleBusy
from inventory.errors import VersionConflict
from inventory.transitions import TransitionRefused
from provisioner.web.messages import Translator
from provisioner.web.refusals import RefusalWords


def conflict_text(t: Translator, technician: str, other: Appointment) -> str:
    """The conflict with `other`: whose time it takes, where, for whom, and from when to when (Paris)."""
    visit = other.visit()
    busy_from, busy_to = (moment.astimezone(ZONE) for moment in visit.occupied)
    return t("appt.conflict", technician=technician, site=other.site.name, city=other.site.city,
             customer=other.customer.name if other.customer else "", day=visit.start.strftime(t("date.format")),
             start=f"{visit.start:%H:%M}", end=f"{visit.end:%H:%M}", busy_from=f"{busy_from:%H:%M}",
             busy_to=f"{busy_to:%H:%M}", id=str(other.pk))


def refusal_text(words: RefusalWords, refused: Exception, technician: str = "") -> str:
    """A refused booking, reschedule, cancellation or checklist, in the user's language: `words` are the page's
    words for appointments (PageHandler.refusal_words("appointment")), which say an equipment move's refusal
    in the equipment's words."""
    t = words.t
    if isinstance(refused, BookingRefused) and refused.status == 409 and refused.conflict is not None:
        return conflict_text(t, technician or refused.conflict.technician.name, refused.conflict)
    if isinstance(refused, BookingRefused):
        return t("appt.refused", detail=words.refusal(refused))
    if isinstance(refused, VersionConflict):
        return t("appt.changed_meanwhile")
    if isinstance(refused, ScheduleBusy):
        return t("appt.busy")
    if isinstance(refused, TransitionRefused):
        return t("appt.move_refused", detail=words.refusal(refused))
    return t("appt.refused", detail=str(refused))
