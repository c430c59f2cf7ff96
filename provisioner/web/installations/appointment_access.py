"""Who may see which appointments on the staff pages: the API's own checks (provisioner/api/appointments.py,
provisioner/api/technicians.py) with their refusals turned into error pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from inventory.appointments import Appointment
from inventory.references import record_by_id
from inventory.technicians import Technician
from provisioner.api.appointments import OFFICE, appointment_for, technician_of
from provisioner.api.authentication import Caller
from provisioner.api.base import ApiError
from provisioner.api.technicians import feed_technician
from provisioner.web.page_handler import PageError

T = TypeVar("T")
#: How many technicians a picker offers (an installation team, not a directory).
MAX_PICKED = 500


def as_page(check: Callable[[], T]) -> T:
    """The result of one of the API's checks; its 403 or 404 as the error page."""
    try:
        return check()
    except ApiError as refused:
        if refused.status_code == 403:
            raise PageError(403, "appt.not_technician") from None
        raise PageError(404, "error.404") from None


def viewable_appointment(caller: Caller, record_id: str) -> Appointment:
    """The appointment, when `caller` may see it as the API decides (a technician: their own); else 404."""
    return as_page(lambda: appointment_for(caller, record_id))


def own_technician(caller: Caller) -> Technician | None:
    """The caller's technician record when they are only a technician (None for support and admin); a 403 page
    when they are recorded as none."""
    return as_page(lambda: technician_of(caller))


def feed_owner(caller: Caller, record_id: str) -> Technician:
    """The technician whose calendar feed `caller` may manage, as the API decides."""
    return as_page(lambda: feed_technician(caller, record_id))


def is_office(caller: Caller) -> bool:
    """Whether the caller books and changes appointments for anyone (support, admin)."""
    return caller.may(OFFICE)


def technician_choices() -> list[Technician]:
    """The active technicians by name, for a picker."""
    return list(Technician.objects(active=True).only("name", "zones").order_by("name", "id").limit(MAX_PICKED))


def picked_technician(asked: str | None) -> Technician | None:
    """The technician a picker's value names, or None (none asked, or not an id of one)."""
    return record_by_id(Technician, asked)
