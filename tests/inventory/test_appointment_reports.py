"""The late cancellations report on the embedded database: the cancellations billed in a period of Paris days, its
first and last instants included (across a clock change too), read for that period only."""

from __future__ import annotations

import datetime as dt

import pytest

from inventory.appointment_booking import cancel
from inventory.appointment_reports import late_cancellations_report
from inventory.appointment_rules import ZONE
from inventory.appointments import Appointment
from inventory.contracts import Contract
from inventory.customers import Customer, Site
from inventory.events import Actor
from inventory.passwords import hash_password
from inventory.staff import User
from inventory.technicians import Technician

ACTOR = Actor("support-1", "req-1")
FEE = 15000
MS = dt.timedelta(milliseconds=1)


def paris(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZONE)


#: Appointments of March 2026's report: the cancellation (who, when, Paris time), how long before the visit it
#: came, and whether the report lists it. The clocks go forward on 29 March.
CANCELLATIONS = {
    "just before the period": ("customer", paris("2026-02-28 23:59:59") + 999 * MS, dt.timedelta(hours=1), False),
    "its first instant": ("customer", paris("2026-03-01 00:00:00"), dt.timedelta(hours=1), True),
    "by the provider": ("provider", paris("2026-03-10 10:00"), dt.timedelta(hours=1), False),
    "early enough": ("customer", paris("2026-03-10 11:00"), dt.timedelta(days=30), False),
    "a no-show": ("customer", paris("2026-03-16 11:00"), -dt.timedelta(hours=2), True),
    "after the clocks went forward": ("customer", paris("2026-03-29 03:30"), dt.timedelta(hours=1), True),
    "its last instant": ("customer", paris("2026-03-31 23:59:59") + 999 * MS, dt.timedelta(hours=1), True),
    "just after the period": ("customer", paris("2026-04-01 00:00:00"), dt.timedelta(hours=1), False),
}


@pytest.fixture
def appointments(mongo_db) -> dict[str, str]:
    """The appointments of CANCELLATIONS, cancelled as they say, and one still booked in the period: label to id."""
    from provisioner.storage import ensure_indexes

    ensure_indexes()
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="Siège", address="1 rue de la Paix", postcode="75002",
                city="Paris").insert(ACTOR)
    contract = Contract(customer=customer, reference="ACME-2026-01", order_date=dt.date(2026, 1, 5)).insert(ACTOR)
    user = User(username="alice", roles=["technician"], password_hash=hash_password("x" * 12)).insert(ACTOR)
    alice = Technician(user=user, name="Alice", working_hours={"mon": "08:00-18:00"}, zones=["75"]).insert(ACTOR)

    def visit(start: dt.datetime) -> Appointment:
        return Appointment(site=site, contract=contract, departement="75", technician=alice,
                           start=start.astimezone(dt.UTC), duration_minutes=60).insert(ACTOR)

    ids = {"still booked": str(visit(paris("2026-03-20 10:00")).pk)}
    for label, (by, at, ahead, _) in CANCELLATIONS.items():
        appointment = visit(at + ahead)
        cancel(appointment, ACTOR, by, at, FEE)
        ids[label] = str(appointment.pk)
    return ids


def test_the_period_holds_its_first_and_last_instants_and_only_charged_cancellations(appointments) -> None:
    report = late_cancellations_report(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    listed = {appointment: label for label, appointment in appointments.items()}
    assert [listed[row["appointment"]] for row in report.rows] == [
        "its last instant", "after the clocks went forward", "a no-show", "its first instant"]
    assert [row["cancelled_at"] for row in report.rows] == [CANCELLATIONS[listed[row["appointment"]]][1]
                                                           for row in report.rows]
    last = report.rows[0]
    assert (last["customer_name"], last["site_name"], last["technician_name"], last["departement"]) == \
        ("Acme", "Siège", "Alice", "75")
    assert (last["amount_cents"], last["business_hours_before"]) == (FEE, 0.0)  # at midnight: no business hour
    assert report.rows[1]["business_hours_before"] == 0.0 and report.rows[2]["business_hours_before"] == -2.0
    assert report.parameters == {"from": dt.date(2026, 3, 1), "to": dt.date(2026, 3, 31), "total_cents": 4 * FEE}
    day = late_cancellations_report(dt.date(2026, 3, 29), dt.date(2026, 3, 29))
    assert [listed[row["appointment"]] for row in day.rows] == ["after the clocks went forward"]
    assert late_cancellations_report(dt.date(2026, 5, 1), dt.date(2026, 5, 31)).rows == []


def test_only_the_appointments_cancelled_in_the_period_are_read(appointments, monkeypatch) -> None:
    built = []
    from_son = Appointment._from_son.__func__

    def counted(cls, son, *args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(str(son["_id"]))
        return from_son(cls, son, *args, **kwargs)

    monkeypatch.setattr(Appointment, "_from_son", classmethod(counted))
    late_cancellations_report(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    in_period = {appointments[label] for label, (_, at, _, _) in CANCELLATIONS.items()
                 if dt.date(2026, 3, 1) <= at.date() <= dt.date(2026, 3, 31)}
    assert built and set(built) <= in_period
