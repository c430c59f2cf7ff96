"""The routes of the appointment pages (technicians, booking, calendar feed), joined to the staff routes."""

from __future__ import annotations

from provisioner.services import Services
from provisioner.web.installations.appointment_changes_page import CancelPage, ReschedulePage
from provisioner.web.installations.appointment_list_page import AppointmentListPage
from provisioner.web.installations.appointment_page import AppointmentPage
from provisioner.web.installations.booking_page import BookingPage
from provisioner.web.installations.calendar_feed_page import CalendarFeedPage

_ID = r"([0-9a-f]{24})"


def appointment_routes(services: Services) -> list[tuple]:
    """Paths and handlers of the appointment pages; the fixed paths come before the appointment's id."""
    shared = {"services": services}
    return [
        (r"/staff/appointments", AppointmentListPage, shared),
        (r"/staff/appointments/new", BookingPage, shared),
        (r"/staff/appointments/calendar", CalendarFeedPage, shared),
        (rf"/staff/appointments/{_ID}", AppointmentPage, shared),
        (rf"/staff/appointments/{_ID}/reschedule", ReschedulePage, shared),
        (rf"/staff/appointments/{_ID}/cancel", CancelPage, shared),
    ]
