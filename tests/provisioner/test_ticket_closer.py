"""The job closing tickets left without the customer's answer, on the embedded database with a clock the test
sets: a new job (a restarted server) finds the waiting tickets in the database; its loop closes them and goes on;
and `provisioner tickets at-risk` prints what the report holds."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt

import pytest

from inventory.customers import Customer, Site
from inventory.events import Actor, Event
from inventory.ticket_deadlines import Calendar
from inventory.ticket_moves import open_ticket, run
from inventory.ticket_rules import NO_ANSWER_REASON
from inventory.tickets import FailureTicket
from provisioner.settings import load_settings
from provisioner.storage import ensure_indexes
from provisioner.ticket_closer import TicketCloser
from provisioner.ticket_command import render

START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
CALENDAR = Calendar()
ACTOR = Actor("sophie")


@pytest.fixture
def waiting(mongo_db) -> FailureTicket:
    """A ticket waiting on the customer since START."""
    ensure_indexes()
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="Siège", address="1 rue", postcode="75001", city="Paris").insert(ACTOR)
    ticket = open_ticket({"customer": str(customer.pk), "site": str(site.pk), "service": "telephony",
                          "channel": "web", "notified_at": START, "description": "no calls out"},
                         ACTOR, ("support",), START, CALENDAR, lambda item: None)  # type: ignore[arg-type, return-value]
    return run(ticket.pk, "ask_customer", {"question": "Which line?"}, ACTOR, ("support",), START, CALENDAR)


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def test_a_restarted_job_finds_the_waiting_tickets_in_the_database(waiting) -> None:
    clock = Clock(START + dt.timedelta(hours=47))
    assert TicketCloser(CALENDAR, clock).run_once() == []
    clock.now = START + dt.timedelta(hours=60)
    # Another instance, as after a restart: nothing of the first one is needed.
    assert TicketCloser(CALENDAR, clock).run_once() == [waiting.number]
    closed = FailureTicket.objects.get(pk=waiting.pk)
    assert (closed.state, closed.closing_reason, closed.closed_at) == ("closed", NO_ANSWER_REASON,
                                                                        START + dt.timedelta(hours=48))
    assert Event.objects(object_id=str(waiting.pk), action="transition:auto_close").first().actor == "@ticket-closer"
    assert TicketCloser(CALENDAR, clock).run_once() == []


@pytest.mark.gen_test
async def test_the_loop_closes_on_its_own_and_stops(waiting) -> None:
    closer = TicketCloser(CALENDAR, Clock(START + dt.timedelta(hours=49)), interval=0.05)
    closer.start()
    try:
        for _ in range(100):
            if FailureTicket.objects.get(pk=waiting.pk).state == "closed":
                break
            await asyncio.sleep(0.05)
    finally:
        await closer.stop()
    assert FailureTicket.objects.get(pk=waiting.pk).state == "closed"
    assert closer._task is None


def test_the_cli_prints_the_tickets_at_risk(waiting, tmp_path) -> None:
    settings = load_settings(None, {"PROVISIONER_DATA_DIR": str(tmp_path)}, {})
    args = argparse.Namespace(minutes=60, csv=True, excel=False)
    text = render(args, settings, START + dt.timedelta(hours=10))
    assert text.splitlines()[1].startswith(f"{waiting.number},breached,")
    # Four business hours left at the notification: at risk under 241 minutes, not under 240.
    assert waiting.number in render(argparse.Namespace(minutes=241, csv=False, excel=False), settings, START)
    assert waiting.number not in render(argparse.Namespace(minutes=240, csv=False, excel=False), settings, START)
    assert "(0 of 0 row(s))" in render(argparse.Namespace(minutes=1, csv=False, excel=False), settings, START)
