"""The failure tickets over HTTP, on the real application and database: opening (201, or 422 changing nothing),
reading, roles, transitions with If-Match (two conflicting requests: one 200, one 409), lists and the report of
tickets at risk in JSON and CSV."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from inventory.customers import Customer, Site
from inventory.events import Actor
from inventory.tickets import FailureTicket, TicketNumber

pytestmark = pytest.mark.gen_test
ACTOR = Actor.system("tests")


@pytest.fixture
def place(mongo_db, services) -> dict[str, str]:
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="Siège", address="1 rue de Rivoli", postcode="75001", city="Paris").insert(ACTOR)
    return {"customer": str(customer.pk), "site": str(site.pk)}


@pytest.fixture
def support(staff) -> str:
    return staff("support", username="sam")


def body(place: dict[str, str], ago: dt.timedelta = dt.timedelta(minutes=5), **changes: Any) -> dict[str, Any]:
    notified = (dt.datetime.now(dt.UTC) - ago).isoformat().replace("+00:00", "Z")
    return {**place, "service": "internet", "channel": "email", "notified_at": notified,
            "description": "the line is down", **changes}


async def test_open_read_and_move_a_ticket(call, place, support, staff) -> None:
    opened = await call("POST", "/api/v1/tickets", body(place), support)
    assert opened.status == 201, opened.body
    ticket = opened.body
    assert opened.headers["Location"] == f"/api/v1/tickets/{ticket['id']}" and opened.headers["ETag"] == '"1"'
    assert ticket["number"].startswith("INC-") and ticket["state"] == "open" and ticket["gives_credit"] is True
    assert ticket["allowed"] == ["take_charge", "ask_customer", "restore", "excuse"]
    technician = staff("technician", username="tom")
    read = await call("GET", f"/api/v1/tickets/{ticket['id']}", token=technician)
    assert read.status == 200 and read.body["allowed"] == ["restore"]
    refused = await call("POST", f"/api/v1/tickets/{ticket['id']}/transitions/take_charge", {}, technician)
    assert refused.status == 403 and "support" in refused.body["message"]
    assert (await call("POST", "/api/v1/tickets", body(place), technician)).status == 403
    restored = await call("POST", f"/api/v1/tickets/{ticket['id']}/transitions/restore",
                          {"confirmation": "customer, by phone"}, technician, headers={"If-Match": '"1"'})
    assert restored.status == 200, restored.body
    assert (restored.body["state"], restored.body["version"], restored.body["target"]) == ("restored", 2, "met")
    again = await call("POST", f"/api/v1/tickets/{ticket['id']}/transitions/restore", {"confirmation": "again"},
                       technician)
    assert again.status == 409 and again.body["state"] == "restored" and again.body["allowed"] == []
    assert (await call("GET", f"/api/v1/tickets/{'0' * 24}", token=support)).status == 404
    assert (await call("GET", "/api/v1/tickets")).status == 401


@pytest.mark.parametrize(("changes", "field"), [
    ({"notified_at": "2999-01-01T00:00:00Z"}, "notified_at"),
    ({"notified_at": "yesterday"}, "notified_at"),
    ({"notified_at": "2026-11-26T09:00:00"}, "notified_at"),
    ({"customer": "not-an-id"}, "customer"),
    ({"site": "0" * 24}, "site"),
    ({"channel": "telegram"}, "channel"),
    ({"description": ""}, "description"),
    ({"service": "equipment"}, "equipment"),
    ({"priority": 1}, "priority"),
])
async def test_bad_input_is_422_naming_the_field_and_writes_nothing(call, place, support, changes, field) -> None:
    answer = await call("POST", "/api/v1/tickets", body(place, **changes), support)
    assert answer.status == 422, answer.body
    assert field in answer.body["fields"], answer.body
    assert FailureTicket.objects.first() is None and TicketNumber.objects.first() is None


async def test_bad_transition_input_is_422_unreadable_400_and_changes_nothing(call, place, support) -> None:
    ticket = (await call("POST", "/api/v1/tickets", body(place), support)).body
    path = f"/api/v1/tickets/{ticket['id']}/transitions"
    for name, inputs, field in (("restore", {}, "confirmation"), ("restore", {"confirmation": "ok",
                                "restored_at": "soon"}, "restored_at"), ("excuse", {"excuse": "rain"}, "excuse")):
        answer = await call("POST", f"{path}/{name}", inputs, support)
        assert answer.status == 422 and field in answer.body["fields"], answer.body
    assert (await call("POST", f"{path}/teleport", {}, support)).status == 404
    assert (await call("POST", f"{path}/restore", token=support, raw=b"[]")).status == 400
    assert (await call("POST", f"{path}/restore", {"confirmation": "ok"}, support,
                       headers={"If-Match": "latest"})).status == 400
    assert FailureTicket.objects.get(pk=ticket["id"]).version == 1


async def test_two_conflicting_requests_one_wins_the_other_gets_409(call, place, support) -> None:
    ticket = (await call("POST", "/api/v1/tickets", body(place), support)).body
    path = f"/api/v1/tickets/{ticket['id']}/transitions"
    answers = await asyncio.gather(
        call("POST", f"{path}/restore", {"confirmation": "ok"}, support, headers={"If-Match": '"1"'}),
        call("POST", f"{path}/ask_customer", {"question": "which phone?"}, support, headers={"If-Match": '"1"'}))
    assert sorted(a.status for a in answers) == [200, 409], [a.body for a in answers]
    lost = next(a for a in answers if a.status == 409)
    won = next(a for a in answers if a.status == 200)
    assert lost.body["state"] == won.body["state"] and "was not changed" in lost.body["message"]


async def test_lists_and_the_report_of_tickets_at_risk(call, place, support) -> None:
    # Past their 4 business hours: notified a week ago; on track: just now (or restored).
    late = (await call("POST", "/api/v1/tickets", body(place, dt.timedelta(days=7)), support)).body
    fresh = (await call("POST", "/api/v1/tickets", body(place, dt.timedelta(0), channel="web"), support)).body
    page = await call("GET", f"/api/v1/tickets?customer={place['customer']}&per_page=1", token=support)
    assert page.status == 200 and page.body["total"] == 2 and [t["id"] for t in page.body["items"]] == [fresh["id"]]
    breached = await call("GET", "/api/v1/tickets?target=breached", token=support)
    assert [t["number"] for t in breached.body["items"]] == [late["number"]]
    assert breached.body["items"][0]["minutes_left"] < 0
    assert (await call("GET", "/api/v1/tickets?state=closed", token=support)).body["total"] == 0
    for query in ("target=late", "state=lost", "site=x", "per_page=0", "colour=red"):
        assert (await call("GET", f"/api/v1/tickets?{query}", token=support)).status == 400, query

    report = await call("GET", "/api/v1/reports/tickets-at-risk", token=support)
    assert report.status == 200, report.body
    assert [(row["number"], row["target"], row["customer_name"]) for row in report.body["items"]] == [
        (late["number"], "breached", "Acme")]
    csv = await call("GET", "/api/v1/reports/tickets-at-risk?format=csv", token=support)
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    lines = csv.body.splitlines()
    assert lines[0].startswith("number,target,minutes_left") and lines[1].startswith(f"{late['number']},breached,")
    assert (await call("GET", "/api/v1/reports/tickets-at-risk?at_risk_minutes=0", token=support)).status == 400


async def test_the_credits_due_for_a_month_per_customer_and_per_ticket(call, place, support, staff) -> None:
    from inventory.contracts import Contract
    customer = Customer.objects.get(pk=place["customer"])
    Contract(customer=customer, reference="CT-0001", order_date=dt.date(2026, 1, 5), go_live_date=dt.date(2026, 2, 1),
             state="active", monthly_service_fee_cents=20_000).insert(ACTOR)
    opened = await call("POST", "/api/v1/tickets", body(place, notified_at="2026-11-02T09:00:00+01:00"), support)
    assert opened.status == 201, opened.body
    restored = await call("POST", f"/api/v1/tickets/{opened.body['id']}/transitions/restore",
                          {"confirmation": "customer, by phone", "restored_at": "2026-11-02T15:00:00+01:00"}, support)
    assert restored.status == 200, restored.body
    per_customer = await call("GET", "/api/v1/reports/credits-due?month=2026-11", token=support)
    assert per_customer.status == 200, per_customer.body
    [row] = per_customer.body["items"]  # 6 business hours: 5 % of 200 EUR
    assert (row["customer_name"], row["tickets"], row["due_cents"]) == ("Acme", 1, 1_000)
    per_ticket = await call("GET", "/api/v1/reports/credits-due?month=2026-11&per=ticket&format=csv", token=support)
    assert per_ticket.status == 200 and per_ticket.headers["Content-Type"].startswith("text/csv")
    assert opened.body["number"] in per_ticket.body and ",1000," in per_ticket.body
    assert (await call("GET", "/api/v1/reports/credits-due?month=2026-13", token=support)).status == 400
    assert (await call("GET", "/api/v1/reports/credits-due?per=site", token=support)).status == 400
    assert (await call("GET", "/api/v1/reports/credits-due", token=staff("technician"))).status == 403


async def test_the_kept_credits_of_a_month_follow_the_tickets_restored_since(call, place, support, services) -> None:
    from inventory.contracts import Contract
    from inventory.credit_report import credits_due
    from provisioner.ticket_calendar import ticket_calendar
    from sip_core.fair_use import month_bounds
    customer = Customer.objects.get(pk=place["customer"])
    Contract(customer=customer, reference="CT-0002", order_date=dt.date(2026, 1, 5), go_live_date=dt.date(2026, 2, 1),
             state="active", monthly_service_fee_cents=20_000).insert(ACTOR)
    calendar, bounds = ticket_calendar(services.settings), month_bounds("2026-11")

    def kept_numbers() -> list[str]:
        kept = services.reports.credits("2026-11", *bounds, calendar).rows
        assert kept == credits_due(*bounds, calendar, "ticket").rows
        return [row["number"] for row in kept]

    assert kept_numbers() == []
    numbers = []
    for day in ("02", "03"):
        opened = await call("POST", "/api/v1/tickets", body(place, notified_at=f"2026-11-{day}T09:00:00+01:00"),
                            support)
        restored = await call("POST", f"/api/v1/tickets/{opened.body['id']}/transitions/restore",
                              {"confirmation": "by phone", "restored_at": f"2026-11-{day}T15:00:00+01:00"}, support)
        assert restored.status == 200, restored.body
        numbers.append(opened.body["number"])
        assert kept_numbers() == numbers  # the restoration reached the kept month


async def test_a_ticket_sent_again_under_its_idempotency_key_is_opened_once(call, place, support, staff) -> None:
    sent = body(place)
    key = {"Idempotency-Key": "form-7f3a"}
    first = await call("POST", "/api/v1/tickets", sent, support, headers=key)
    again = await call("POST", "/api/v1/tickets", sent, support, headers=key)
    assert (first.status, again.status) == (201, 200)
    assert again.body["id"] == first.body["id"] and again.headers["Location"] == first.headers["Location"]
    assert FailureTicket.objects.count() == 1
    other = await call("POST", "/api/v1/tickets", {**sent, "description": "another failure"}, support, headers=key)
    assert other.status == 422 and "description" in other.body["message"]
    assert set(other.body["fields"]) == {"idempotency_key"} and FailureTicket.objects.count() == 1
    # Another user's same key is another ticket; no key, another ticket each time.
    colleague = staff("support", username="lea")
    assert (await call("POST", "/api/v1/tickets", sent, colleague, headers=key)).status == 201
    assert (await call("POST", "/api/v1/tickets", sent, support)).status == 201
    assert FailureTicket.objects.count() == 3


@pytest.mark.parametrize("key", ["", "with blank", "é", "x" * 101])
async def test_a_malformed_idempotency_key_is_400_and_opens_nothing(call, place, support, key) -> None:
    answer = await call("POST", "/api/v1/tickets", body(place), support, headers={"Idempotency-Key": key})
    assert answer.status == 400 and FailureTicket.objects.count() == 0
