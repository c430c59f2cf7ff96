"""Booking, rescheduling, cancelling and completing appointments on the embedded database: conflicts named,
concurrent bookings of one slot (exactly one wins), late cancellations charged once, and completion moving the
equipment through the lifecycle and giving the contract its go-live date."""

from __future__ import annotations

import datetime as dt
import threading
from types import SimpleNamespace

import pytest

from inventory import booking_locks
from inventory.appointment_booking import BookingRefused, book, cancel, deliver_pending_charges, reschedule
from inventory.appointment_rules import ZONE
from inventory.appointments import Appointment
from inventory.charges import ChargeLine
from inventory.contracts import Contract
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor, Event
from inventory.installation_completion import tick
from inventory.lifecycle_plans import Rules
from inventory.passwords import hash_password
from inventory.staff import User
from inventory.technicians import Technician

ACTOR = Actor("support-1", "req-1")
RULES = Rules(replacement_deadline=lambda noted: noted + dt.timedelta(hours=72),
              return_due=lambda end: end + dt.timedelta(days=1), today=lambda moment: moment.date())
FEE = 15000
WEEK = {day: "08:00-18:00" for day in ("mon", "tue", "wed", "thu", "fri")}


def paris(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZONE)


def technician(username: str, zones: list[str], **more) -> Technician:
    user = User(username=username, roles=["technician"], password_hash=hash_password("x" * 12)).insert(ACTOR)
    return Technician(user=user, name=username.title(), working_hours=WEEK, zones=zones,
                      travel_minutes={zones[0]: 30}, **more).insert(ACTOR)


def new_item(serial: str, site: Site, state: str = "delivered") -> Equipment:
    return Equipment(serial=serial, mac=f"001565{abs(hash(serial)) % 16**6:06x}", vendor="yealink", model="T46U",
                     site=site, state=state, admin_password_enc="x").insert(ACTOR)


@pytest.fixture
def world(mongo_db) -> SimpleNamespace:
    from provisioner.storage import ensure_indexes

    ensure_indexes()
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    paris_site = Site(customer=customer, name="Siège", address="1 rue de la Paix", postcode="75002",
                      city="Paris").insert(ACTOR)
    metz = Site(customer=customer, name="Metz", address="1 rue Serpenoise", postcode="57000", city="Metz").insert(ACTOR)
    contract = Contract(customer=customer, reference="ACME-2026-01", order_date=dt.date(2026, 5, 4)).insert(ACTOR)
    return SimpleNamespace(customer=customer, site=paris_site, metz=metz, contract=contract,
                           alice=technician("alice", ["75", "92"]), bruno=technician("bruno", ["75", "57"]))


def booked(world, start: str, minutes: int = 60, who=None, site=None, **more) -> Appointment:
    return book(site or world.site, who or world.alice, world.contract, paris(start), minutes, ACTOR, **more)


def test_a_booking_is_stored_with_its_day_travel_and_customer_and_logged(world) -> None:
    appointment = booked(world, "2026-06-08 10:00", 90)
    stored = Appointment.objects(pk=appointment.pk).first()
    assert (stored.day, stored.travel_minutes, stored.departement, stored.state, stored.sequence) == \
        ("2026-06-08", 30, "75", "booked", 0)
    assert stored.customer.pk == world.customer.pk and stored.start_local() == paris("2026-06-08 10:00")
    assert Event.objects(collection="appointments", object_id=str(appointment.pk), action="create").first()


@pytest.mark.parametrize("start, minutes, status, fragment", [
    ("2026-06-08 10:30", 60, 409, "taken by appointment"),   # inside
    ("2026-06-08 11:59", 30, 409, "taken by appointment"),   # in the travel after it (ends 11:00 + 30 + 30)
    ("2026-06-08 12:00", 30, None, None),                     # both buffers clear
    ("2026-06-08 08:31", 60, 409, "taken by appointment"),   # its travel back meets the other's travel out
    ("2026-06-08 08:30", 30, None, None),                     # 08:00-09:30 with travel: clear
    ("2026-05-14 10:00", 60, 422, "public holiday"),          # Ascension
    ("2026-06-13 10:00", 60, 422, "does not work on sat"),
    ("2026-06-08 17:00", 60, 422, "outside the technician's working hours"),
])
def test_bookings_against_a_visit_of_10_to_11_with_30_minutes_travel(world, start, minutes, status, fragment) -> None:
    first = booked(world, "2026-06-08 10:00", 60)
    if status is None:
        assert booked(world, start, minutes).state == "booked"
        return
    with pytest.raises(BookingRefused) as caught:
        booked(world, start, minutes)
    assert caught.value.status == status and fragment in caught.value.message
    if status == 409:
        assert str(first.pk) in caught.value.message and caught.value.conflict.pk == first.pk
    assert Appointment.objects.count() == 1


def test_zones_skills_overseas_and_the_contract_are_checked(world) -> None:
    cases = [
        (lambda: booked(world, "2026-06-08 10:00", site=world.metz), "does not work in département 57"),
        (lambda: booked(world, "2026-06-08 10:00", skills=["fibre"]), "lacks the skill(s) fibre"),
    ]
    reunion = Site(customer=world.customer, name="Réunion", address="1 rue", postcode="97400",
                   city="Saint-Denis").insert(ACTOR)
    cases.append((lambda: booked(world, "2026-06-08 10:00", site=reunion), "metropolitan France and Corsica"))
    other = Customer(reference="OTHER-01", name="Other").insert(ACTOR)
    foreign = Contract(customer=other, reference="OTHER-2026", order_date=dt.date(2026, 5, 4)).insert(ACTOR)
    cases.append((lambda: book(world.site, world.alice, foreign, paris("2026-06-08 10:00"), 60, ACTOR),
                  "another customer"))
    elsewhere = new_item("SN-METZ", world.metz)
    cases.append((lambda: booked(world, "2026-06-08 10:00", equipment=[elsewhere]), "not staged for site"))
    for attempt, fragment in cases:
        with pytest.raises(BookingRefused) as caught:
            attempt()
        assert caught.value.status == 422 and fragment in caught.value.message
    assert Appointment.objects.count() == 0
    assert booked(world, "2026-06-08 10:00", site=world.metz, who=world.bruno).departement == "57"


def test_concurrent_bookings_of_one_technician_slot_exactly_one_succeeds(world) -> None:
    starts = ["2026-06-08 10:00", "2026-06-08 10:15", "2026-06-08 10:30", "2026-06-08 11:00", "2026-06-08 09:30",
              "2026-06-08 10:45", "2026-06-08 10:05", "2026-06-08 10:50"]  # every pair overlaps, travel included
    barrier = threading.Barrier(len(starts))
    won: list[Appointment] = []
    refused: list[BookingRefused] = []

    def attempt(start: str) -> None:
        barrier.wait()
        try:
            won.append(booked(world, start, 60))
        except BookingRefused as exc:
            refused.append(exc)

    threads = [threading.Thread(target=attempt, args=(start,)) for start in starts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 1 and len(refused) == len(starts) - 1
    assert {exc.status for exc in refused} == {409}
    assert all(str(won[0].pk) in exc.message for exc in refused)
    assert [a.pk for a in Appointment.objects(technician=world.alice.pk)] == [won[0].pk]


def test_concurrent_bookings_of_two_technicians_both_succeed(world) -> None:
    barrier = threading.Barrier(2)
    won: list[Appointment] = []

    def attempt(who: Technician) -> None:
        barrier.wait()
        won.append(booked(world, "2026-06-08 10:00", 60, who=who))

    threads = [threading.Thread(target=attempt, args=(who,)) for who in (world.alice, world.bruno)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 2


def test_a_lock_left_by_a_dead_holder_is_taken_over_after_its_lease(world) -> None:
    key = booking_locks.technician_key(world.alice.pk)
    booking_locks.BookingLock._get_collection().insert_one({"_id": key, "holder": "dead", "expires_ms": 1})
    assert booked(world, "2026-06-08 10:00").state == "booked"
    booking_locks.BookingLock._get_collection().update_one({"_id": key}, {"$set": {"holder": "alive",
                                                                                  "expires_ms": 2**52}})
    with pytest.raises(booking_locks.ScheduleBusy):
        with booking_locks.holding([key], wait=0.2):
            pass


def test_rescheduling_bumps_the_sequence_checks_others_but_not_itself(world) -> None:
    appointment = booked(world, "2026-06-08 10:00", 60)
    other = booked(world, "2026-06-08 14:00", 60)
    moved = reschedule(appointment, ACTOR, paris("2026-06-08 10:30"))
    assert (moved.state, moved.sequence, moved.start_local()) == ("rescheduled", 1, paris("2026-06-08 10:30"))
    with pytest.raises(BookingRefused) as caught:
        reschedule(moved, ACTOR, paris("2026-06-08 13:30"))
    assert caught.value.status == 409 and str(other.pk) in caught.value.message
    handed = reschedule(moved, ACTOR, paris("2026-06-08 14:00"), technician=world.bruno)
    assert (handed.technician.pk, handed.sequence, handed.day) == (world.bruno.pk, 2, "2026-06-08")


@pytest.mark.parametrize("by, cancelled_at, late, charged", [
    ("customer", "2026-06-08 09:00", True, True),     # 24 business hours before Wednesday 15:00
    ("customer", "2026-06-01 09:00", False, False),   # a week before
    ("provider", "2026-06-08 09:00", True, False),    # the provider's own cancellations are never billed
    ("customer", "2026-06-10 16:00", True, True),     # after the start: a no-show
])
def test_cancellation_reads_the_48_business_hours_and_charges_once(world, by, cancelled_at, late, charged) -> None:
    item = new_item("SN-1", world.site)
    appointment = booked(world, "2026-06-10 15:00", equipment=[item])
    done, charge = cancel(appointment, ACTOR, by, paris(cancelled_at), FEE, reason="customer asked")
    assert (done.state, done.sequence, done.cancellation.late) == ("cancelled", 1, late)
    lines = list(ChargeLine.objects(appointment=appointment.pk))
    if not charged:
        assert charge is None and lines == [] and done.cancellation.amount_cents == 0
        return
    assert [line.pk for line in lines] == [charge.pk] and charge.amount_cents == FEE
    assert charge.customer.pk == world.customer.pk and charge.move == "cancel_appointment" and charge.item is None
    assert done.cancellation.charge == str(charge.pk) and not Appointment.objects(pk=appointment.pk).first().charge_pending
    with pytest.raises(BookingRefused) as caught:
        cancel(done, ACTOR, by, paris(cancelled_at), FEE)
    assert caught.value.status == 409


def test_a_charge_a_crash_left_owed_is_written_once_at_start(world) -> None:
    appointment = booked(world, "2026-06-10 15:00")
    _, charge = cancel(appointment, ACTOR, "customer", paris("2026-06-09 10:00"), FEE)
    # As after a crash between the appointment's write and the charge's: the flag set, no line.
    ChargeLine._get_collection().delete_one({"_id": charge.pk})
    Appointment._get_collection().update_one({"_id": appointment.pk}, {"$set": {"charge_pending": True}})
    assert deliver_pending_charges() == 1
    assert deliver_pending_charges() == 0
    assert [line.pk for line in ChargeLine.objects(appointment=appointment.pk)] == [charge.pk]


def test_completion_moves_the_equipment_into_service_and_sets_the_go_live_date_once(world) -> None:
    delivered, installed = new_item("SN-1", world.site), new_item("SN-2", world.site, "installed")
    first = booked(world, "2026-06-08 10:00", equipment=[delivered, installed])
    second = booked(world, "2026-06-09 10:00")
    now = paris("2026-06-08 11:10")
    first = tick(first, ["configuration", "connection"], Actor("alice"), ("technician",), now, RULES)
    assert first.state == "booked" and first.checklist.connection.by == "alice"
    assert Equipment.objects(pk=delivered.pk).first().state == "delivered"
    first = tick(first, ["tests", "acceptance"], Actor("alice"), ("technician",), now, RULES)
    assert (first.state, first.go_live_recorded) == ("completed", dt.date(2026, 6, 8))
    assert Contract.objects(pk=world.contract.pk).first().go_live_date == dt.date(2026, 6, 8)
    assert {item.state for item in Equipment.objects(site=world.site.pk)} == {"in_service"}
    moves = [event.action for event in Event.objects(collection="equipment", object_id=str(delivered.pk)).order_by("at")
             if event.action.startswith("transition:")]
    assert moves == ["transition:install", "transition:put_in_service"]
    second = tick(second, ["configuration", "connection", "tests", "acceptance"], Actor("alice"), ("technician",),
                  paris("2026-06-09 11:00"), RULES)
    assert (second.state, second.go_live_recorded) == ("completed", None)
    assert Contract.objects(pk=world.contract.pk).first().go_live_date == dt.date(2026, 6, 8)
    with pytest.raises(BookingRefused) as caught:
        tick(second, ["tests"], Actor("alice"), ("technician",), now, RULES)
    assert caught.value.status == 409


def test_completion_is_refused_whole_when_an_item_is_not_delivered(world) -> None:
    staged = new_item("SN-3", world.site, "staged")
    appointment = booked(world, "2026-06-08 10:00", equipment=[staged])
    with pytest.raises(BookingRefused) as caught:
        tick(appointment, ["configuration", "connection", "tests", "acceptance"], Actor("alice"), ("technician",),
             paris("2026-06-08 11:00"), RULES)
    assert caught.value.status == 409 and "SN-3 is staged" in caught.value.message
    stored = Appointment.objects(pk=appointment.pk).first()
    assert (stored.state, stored.checklist.acceptance.done, stored.version) == ("booked", False, 1)
    assert Contract.objects(pk=world.contract.pk).first().go_live_date is None


def test_unknown_checklist_items_are_refused(world) -> None:
    appointment = booked(world, "2026-06-08 10:00")
    with pytest.raises(BookingRefused) as caught:
        tick(appointment, ["coffee"], Actor("alice"), ("technician",), paris("2026-06-08 11:00"), RULES)
    assert caught.value.status == 422


def test_ticking_an_item_again_keeps_who_and_when_and_writes_nothing(world) -> None:
    appointment = tick(booked(world, "2026-06-08 10:00"), ["tests"], Actor("alice"), ("technician",),
                       paris("2026-06-08 10:30"), RULES)
    again = tick(appointment, ["tests"], Actor("bruno"), ("technician",), paris("2026-06-08 10:50"), RULES)
    stored = Appointment.objects(pk=appointment.pk).first()
    assert (again.version, stored.version, stored.checklist.tests.by) == (2, 2, "alice")
    assert stored.checklist.tests.at.astimezone(ZONE) == paris("2026-06-08 10:30")


def test_the_free_slots_of_a_site_not_served_are_a_coded_refusal(world) -> None:
    from inventory.appointment_booking import site_free_slots
    from inventory.appointment_rules import served_departement
    from provisioner.web.messages import Translator
    from provisioner.web.refusals import RefusalWords

    reunion = Site(customer=world.customer, name="Réunion", address="1 rue", postcode="97400",
                   city="Saint-Denis").insert(ACTOR)
    with pytest.raises(BookingRefused) as caught:
        site_free_slots(reunion, 60, paris("2026-06-08 08:00"), 7)
    with pytest.raises(ValueError) as overseas:
        served_departement("974")
    refused = caught.value
    # What the API answers (422, the same message and field as when it said the ValueError's text).
    assert (refused.status, refused.code, refused.message, refused.fields) == (
        422, "site_not_served", f"site Réunion: {overseas.value}", {"site": str(overseas.value)})
    said = RefusalWords(Translator("fr"), "appointment", ZONE).refusal(refused)
    assert said == ("site Réunion : « 974 » n'est pas un département desservi ; les installations couvrent la "
                    "France métropolitaine et la Corse (2A, 2B et les départements du continent)")
