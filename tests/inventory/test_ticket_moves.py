"""Failure tickets on the real embedded database: opening (numbers, deadline, the device's failure noted through
the lifecycle), bad input changing nothing, transitions as conditional writes (one of two conflicting transitions
wins, the other is 409), and the no-answer closing run with a clock of the test's choosing."""

from __future__ import annotations

import datetime as dt
import threading
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor, Event
from inventory.lifecycle_plans import Rules
from inventory.ticket_deadlines import Calendar
from inventory.ticket_moves import TicketRefused, close_expired, open_ticket, open_ticket_once, run
from inventory.ticket_rules import NO_ANSWER_REASON, SYSTEM
from inventory.ticket_views import view_of
from inventory.tickets import FailureTicket, TicketNumber, allocate_number

PARIS = ZoneInfo("Europe/Paris")
#: Wednesday 25 November 2026, 16:30 in Paris.
NOW = dt.datetime(2026, 11, 25, 16, 30, tzinfo=PARIS).astimezone(dt.UTC)
CALENDAR = Calendar("business", "calendar")
EQUIPMENT_RULES = Rules(replacement_deadline=lambda noted: noted + dt.timedelta(hours=72),
                        return_due=lambda end: end + dt.timedelta(days=1), today=lambda moment: moment.date())
ACTOR = Actor("sophie", "req-1", "tests")
SUPPORT, TECH = ("support",), ("technician",)


@pytest.fixture
def shop(mongo_db) -> SimpleNamespace:
    """A customer with a site in Paris and a lent phone in service there; another customer and its site."""
    for document in (Customer, Site, Equipment, Event, FailureTicket, TicketNumber):
        document.ensure_indexes()
    system = Actor.system("tests")
    customer = Customer(reference="ACME-01", name="Acme").insert(system)
    site = Site(customer=customer, name="Siège", address="1 rue de Rivoli", postcode="75001", city="Paris").insert(system)
    other = Customer(reference="OTHER-01", name="Other").insert(system)
    other_site = Site(customer=other, name="Ailleurs", address="2 rue", postcode="69001", city="Lyon").insert(system)
    return SimpleNamespace(customer=customer, site=site, other_site=other_site, phone=in_service("SN-0001", site))


def in_service(serial: str, site: Site) -> Equipment:
    from inventory.transitions import run as move

    item = Equipment(serial=serial, mac=f"0015650000{len(serial):02d}", vendor="yealink", model="T46U",
                     admin_password_enc="x").insert(Actor.system("tests"))
    start = NOW - dt.timedelta(days=30)
    for name, given in (("stage", {"site": site.pk}), ("ship", {"carrier": "DHL", "tracking_number": "1"}),
                        ("deliver", {"proof": "signed"}), ("install", {}), ("put_in_service", {})):
        move(item.pk, name, given, ACTOR, ("admin",), start, EQUIPMENT_RULES)
    return Equipment.objects.get(pk=item.pk)


def opening(shop: SimpleNamespace, **changes) -> dict:  # type: ignore[no-untyped-def]
    return {"customer": str(shop.customer.pk), "site": str(shop.site.pk), "service": "telephony", "channel": "phone",
            "notified_at": NOW - dt.timedelta(minutes=10), "description": "no dial tone", **changes}


def open_one(shop: SimpleNamespace, now: dt.datetime = NOW, **changes) -> FailureTicket:  # type: ignore[no-untyped-def]
    return open_ticket(opening(shop, **changes), ACTOR, SUPPORT, now, CALENDAR, lambda item: EQUIPMENT_RULES)


def move(ticket: FailureTicket, name: str, given: dict | None = None, now: dt.datetime = NOW, roles=SUPPORT,
         **more) -> FailureTicket:  # type: ignore[no-untyped-def]
    return run(ticket.pk, name, given or {}, ACTOR, roles, now, CALENDAR, **more)


def transitions_of(ticket: FailureTicket) -> list[str]:
    return [e.action for e in Event.objects(collection="failure_tickets", object_id=str(ticket.pk)).order_by("at")]


def nothing_written() -> None:
    assert FailureTicket.objects.first() is None and TicketNumber.objects.first() is None


def test_numbers_are_unique_per_year_and_the_target_is_four_business_hours(shop) -> None:
    first, second = open_one(shop), open_one(shop, channel="email")
    assert (first.number, second.number) == ("INC-2026-000001", "INC-2026-000002")
    # Notified at 16:20 on a Wednesday: 1 h 40 that day, 2 h 20 on Thursday from 09:00.
    assert first.restoration_due_at == dt.datetime(2026, 11, 26, 11, 20, tzinfo=PARIS)
    assert (first.state, first.opened_by, first.version) == ("open", "sophie", 1)
    assert transitions_of(first) == ["create"]
    assert allocate_number(dt.datetime(2027, 1, 2, tzinfo=dt.UTC)) == "INC-2027-000001"


def test_opening_for_a_device_notes_its_failure_through_the_lifecycle(shop) -> None:
    ticket = open_one(shop, service="equipment", equipment=str(shop.phone.pk), description="the screen stays dark")
    phone = Equipment.objects.get(pk=shop.phone.pk)
    assert (phone.state, phone.replacement, phone.failure_description) == ("failed", "due", "the screen stays dark")
    assert phone.replacement_due_at == NOW + dt.timedelta(hours=72)
    noted = Event.objects(object_id=str(phone.pk), action="transition:note_failure").first()
    assert (noted.actor, noted.after["replacement"]) == ("sophie", "due")
    stored = FailureTicket._get_collection().find_one({"_id": ticket.pk})
    assert "replacement_due_at" not in stored and stored["equipment"] == str(phone.pk)
    shown = view_of(ticket, NOW, CALENDAR)["equipment_replacement"]
    assert (shown["serial"], shown["replacement"], shown["replacement_due_at"]) == (
        "SN-0001", "due", NOW + dt.timedelta(hours=72))


def test_a_device_already_failed_is_linked_and_its_deadline_kept(shop) -> None:
    open_one(shop, equipment=str(shop.phone.pk))
    due = Equipment.objects.get(pk=shop.phone.pk).replacement_due_at
    second = open_one(shop, NOW + dt.timedelta(hours=5), equipment=str(shop.phone.pk))
    assert Equipment.objects.get(pk=shop.phone.pk).replacement_due_at == due
    assert view_of(second, NOW, CALENDAR)["equipment_replacement"]["replacement_due_at"] == due
    assert [e.action for e in Event.objects(object_id=str(shop.phone.pk))].count("transition:note_failure") == 1


BAD_OPENINGS = [
    ("future notification", lambda shop: {"notified_at": NOW + dt.timedelta(minutes=1)}, "notified_at"),
    ("unknown customer", lambda shop: {"customer": "0" * 24}, "customer"),
    ("a site of another customer", lambda shop: {"site": str(shop.other_site.pk)}, "site"),
    ("a device elsewhere", lambda shop: {"site": str(shop.other_site.pk), "customer": str(shop.other_site.customer.pk),
                                          "equipment": str(shop.phone.pk)}, "equipment"),
    ("unknown device", lambda shop: {"equipment": "0" * 24}, "equipment"),
    ("unknown channel", lambda shop: {"channel": "pigeon"}, "channel"),
]


@pytest.mark.parametrize(("why", "changes", "field"), BAD_OPENINGS, ids=[c[0] for c in BAD_OPENINGS])
def test_bad_input_is_422_and_writes_nothing(shop, why, changes, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TicketRefused) as refused:
        open_one(shop, **changes(shop))
    assert refused.value.status == 422 and field in refused.value.fields
    nothing_written()
    assert Equipment.objects.get(pk=shop.phone.pk).state == "in_service"


def test_a_device_not_at_the_customers_is_409_and_writes_nothing(shop) -> None:
    from inventory.transitions import run as move_item

    move_item(shop.phone.pk, "end_contract", {"contract_end": dt.date(2026, 11, 20)}, ACTOR, ("admin",), NOW,
              EQUIPMENT_RULES)
    with pytest.raises(TicketRefused) as refused:
        open_one(shop, equipment=str(shop.phone.pk))
    assert refused.value.status == 409 and "return_due" in refused.value.message
    nothing_written()


def test_a_ticket_through_its_states(shop) -> None:
    ticket = open_one(shop)
    later = NOW + dt.timedelta(minutes=5)
    assert move(ticket, "take_charge", now=later).taken_at == later
    asked = move(ticket, "ask_customer", {"question": "Which handset?"}, now=later)
    assert (asked.state, asked.waiting_since, asked.auto_close_at) == ("waiting_customer", later,
                                                                        later + dt.timedelta(hours=48))
    assert move(ticket, "customer_answered").auto_close_at is None
    restored = move(ticket, "restore", {"confirmation": "customer, by phone"}, now=later, roles=TECH)
    assert (restored.state, restored.restored_at, restored.version) == ("restored", later, 5)
    assert view_of(restored, later, CALENDAR)["target"] == "met"
    assert move(ticket, "close").closing_reason == "restoration confirmed"
    assert transitions_of(ticket) == ["create", "transition:take_charge", "transition:ask_customer",
                                      "transition:customer_answered", "transition:restore", "transition:close"]
    event = Event.objects(object_id=str(ticket.pk), action="transition:restore").first()
    assert (event.before["state"], event.after["state"], event.actor) == ("in_progress", "restored", "sophie")


def race(count: int, attempt) -> list:  # type: ignore[no-untyped-def]
    """Run `attempt(n)` in `count` threads released together; each result or exception, in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(n: int) -> None:
        barrier.wait()
        try:
            results[n] = attempt(n)
        except Exception as exc:  # noqa: BLE001 - the refusal is the result under test
            results[n] = exc

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.parametrize("expected_version", [None, 2])
def test_of_two_conflicting_transitions_one_wins_the_other_is_409(shop, expected_version) -> None:
    ticket = move(open_one(shop), "take_charge")
    attempts = [("restore", {"confirmation": "fixed"}), ("ask_customer", {"question": "Still down?"})]
    results = race(2, lambda n: move(ticket, *attempts[n], expected_version=expected_version))
    won = [r for r in results if isinstance(r, FailureTicket)]
    lost = [r for r in results if isinstance(r, TicketRefused)]
    if expected_version is None and not (len(won) == 1 and lost and "was not changed" in lost[0].message):
        # The threads did not overlap: without a version, the second moved the ticket from where the first left it
        # (asked the customer, then restored) or was refused from there (restored: no question). Nothing is lost.
        stored = FailureTicket.objects.get(pk=ticket.pk)
        assert len(won) + len(lost) == 2 and stored.version == 2 + len(won), results
        assert all(refused.state == stored.state for refused in lost), results
        assert len([a for a in transitions_of(ticket) if a.startswith("transition:")]) == 1 + len(won)
        return
    assert len(won) == 1 and len(lost) == 1, results
    stored = FailureTicket.objects.get(pk=ticket.pk)
    assert (stored.state, stored.version) == (won[0].state, 3)
    assert lost[0].status == 409 and lost[0].state == won[0].state and "was not changed" in lost[0].message
    assert len([a for a in transitions_of(ticket) if a.startswith("transition:")]) == 2


def test_twenty_identical_restorations_restore_once(shop) -> None:
    ticket = open_one(shop)
    results = race(20, lambda n: move(ticket, "restore", {"confirmation": f"clerk {n}"}))
    assert sum(isinstance(r, FailureTicket) for r in results) == 1
    assert all(r.status == 409 for r in results if isinstance(r, TicketRefused))
    assert transitions_of(ticket).count("transition:restore") == 1


def test_a_stale_version_is_409_and_changes_nothing(shop) -> None:
    ticket = move(open_one(shop), "take_charge")
    with pytest.raises(TicketRefused) as refused:
        move(ticket, "restore", {"confirmation": "ok"}, expected_version=1)
    assert refused.value.status == 409 and "version 2, not 1" in refused.value.message
    assert FailureTicket.objects.get(pk=ticket.pk).state == "in_progress"


def test_a_transition_is_planned_again_when_only_the_version_moved(shop) -> None:
    ticket = open_one(shop)
    move(ticket, "excuse", {"excuse": "planned_maintenance"})  # the ticket object still holds version 1
    assert run(ticket.pk, "take_charge", {}, ACTOR, SUPPORT, NOW, CALENDAR).version == 3
    assert view_of(FailureTicket.objects.get(pk=ticket.pk), NOW, CALENDAR)["gives_credit"] is False


def waiting(shop: SimpleNamespace, since: dt.datetime) -> FailureTicket:
    return move(open_one(shop, since), "ask_customer", {"question": "Can we come?"}, now=since)


def test_no_answer_within_48_hours_closes_the_ticket_once(shop) -> None:
    first, second = waiting(shop, NOW), waiting(shop, NOW + dt.timedelta(hours=3))
    taken = move(open_one(shop), "take_charge")
    due = NOW + dt.timedelta(hours=48)
    assert close_expired(due - dt.timedelta(seconds=1), ACTOR, CALENDAR) == []
    assert close_expired(due, ACTOR, CALENDAR) == [first.number]
    closed = FailureTicket.objects.get(pk=first.pk)
    assert (closed.state, closed.closed_at, closed.closing_reason) == ("closed", due, NO_ANSWER_REASON)
    assert view_of(closed, due, CALENDAR)["gives_credit"] is False
    assert close_expired(due, ACTOR, CALENDAR) == []
    # A pass long after (the server was down) closes at the moment the rule says, not at the pass.
    assert close_expired(NOW + dt.timedelta(days=10), ACTOR, CALENDAR) == [second.number]
    assert FailureTicket.objects.get(pk=second.pk).closed_at == NOW + dt.timedelta(hours=51)
    assert FailureTicket.objects.get(pk=taken.pk).state == "in_progress"


def test_concurrent_passes_close_each_ticket_once(shop) -> None:
    tickets = [waiting(shop, NOW + dt.timedelta(minutes=n)) for n in range(5)]
    conflicts: list[str] = []
    results = race(4, lambda n: close_expired(NOW + dt.timedelta(days=3), ACTOR, CALENDAR,
                                              on_conflict=lambda number, refused: conflicts.append(number)))
    closed = [number for result in results for number in result]
    assert sorted(closed) == sorted(t.number for t in tickets), results
    for ticket in tickets:
        assert transitions_of(ticket).count("transition:auto_close") == 1


def test_the_customer_answering_first_keeps_the_ticket_open(shop) -> None:
    ticket = waiting(shop, NOW)
    move(ticket, "customer_answered", now=NOW + dt.timedelta(hours=47))
    assert close_expired(NOW + dt.timedelta(hours=49), ACTOR, CALENDAR) == []
    with pytest.raises(TicketRefused) as refused:
        move(ticket, "auto_close", now=NOW + dt.timedelta(hours=49), roles=(SYSTEM,))
    assert refused.value.status == 409


def test_eight_requests_racing_under_one_idempotency_key_open_one_ticket(shop) -> None:
    given = opening(shop)
    results = race(8, lambda n: open_ticket_once(given, "retry-1", ACTOR, SUPPORT, NOW, CALENDAR,
                                                 lambda item: EQUIPMENT_RULES))
    assert not [result for result in results if isinstance(result, Exception)], results
    tickets = {ticket.pk for ticket, _ in results}
    assert len(tickets) == 1 and FailureTicket.objects.count() == 1
    assert sorted(repeated for _, repeated in results) == [False] + [True] * 7


@pytest.mark.parametrize("changes", [{"description": "other"}, {"channel": "email"}, {"service": "internet"},
                                     {"notified_at": NOW - dt.timedelta(minutes=11)}])
def test_an_idempotency_key_sent_again_with_other_values_is_422(shop, changes) -> None:
    open_ticket_once(opening(shop), "k", ACTOR, SUPPORT, NOW, CALENDAR, lambda item: EQUIPMENT_RULES)
    with pytest.raises(TicketRefused) as refused:
        open_ticket_once(opening(shop, **changes), "k", ACTOR, SUPPORT, NOW, CALENDAR, lambda item: EQUIPMENT_RULES)
    assert refused.value.status == 422 and next(iter(changes)) in refused.value.message
    assert FailureTicket.objects.count() == 1
    # The same values, the notification time given in another zone: the same ticket.
    same = opening(shop, notified_at=(NOW - dt.timedelta(minutes=10)).astimezone(PARIS))
    assert open_ticket_once(same, "k", ACTOR, SUPPORT, NOW, CALENDAR, lambda item: EQUIPMENT_RULES)[1] is True
