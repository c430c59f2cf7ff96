"""One rule for bad input to the API's transitions: the same kind of bad request gets the same status whether it
runs a failure ticket's transition or an equipment move, with the same error body, and writes nothing.

400: the request cannot be read (not JSON, not an object, a malformed header); 415: not sent as JSON; 422: it
reads, but a field is wrong (unknown, of the wrong type or format, missing) or refused by the rules (a time in
the future, a record that does not exist); 409: the state or the version (If-Match) is not the one stored;
404: no such record or transition.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from openapi_responses import ResponseSchemas

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.tickets import FailureTicket
from provisioner.api.base import REASONS
from provisioner.api.openapi import build_openapi
from provisioner.provisioning.device_secrets import issue_secrets

pytestmark = pytest.mark.gen_test
ACTOR = Actor.system("tests")
MISSING = "0" * 24
TOMORROW = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Sent:
    """One request: `move` run on the record `on` (a key of the setup's records, or MISSING), with a JSON `body`
    or `raw` bytes and `headers`; `move` "" opens a ticket instead (POST /api/v1/tickets)."""

    move: str
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    on: str = "subject"
    named: str | None = None  # the field the answer must name in `fields`


#: The kind of bad input: (to an open ticket, to a shipped item, the status both must answer).
CASES: dict[str, tuple[Sent, Sent, int]] = {
    "not JSON": (Sent("restore", raw=b'{"confirmation": '), Sent("deliver", raw=b'{"proof": '), 400),
    "a lone surrogate": (Sent("restore", raw=b'{"confirmation": "\\ud800"}'),
                         Sent("deliver", raw=b'{"proof": "\\ud800"}'), 400),
    "not an object": (Sent("restore", raw=b'["confirmation"]'), Sent("deliver", raw=b'["proof"]'), 400),
    "a malformed If-Match": (Sent("restore", {"confirmation": "ok"}, headers={"If-Match": "latest"}),
                             Sent("deliver", {"proof": "signed"}, headers={"If-Match": "latest"}), 400),
    "a malformed If-Match and a wrong input": (
        Sent("restore", {"confirmation": 5}, headers={"If-Match": "latest"}),
        Sent("deliver", {"proof": 5}, headers={"If-Match": "latest"}), 400),
    "not sent as JSON": (Sent("restore", raw=b"confirmation=ok", headers={"Content-Type": "text/plain"}),
                         Sent("deliver", raw=b"proof=signed", headers={"Content-Type": "text/plain"}), 415),
    "an unknown field": (Sent("restore", {"confirmation": "ok", "colour": "red"}, named="colour"),
                         Sent("deliver", {"proof": "signed", "colour": "red"}, named="colour"), 422),
    "a version in the body": (Sent("restore", {"confirmation": "ok", "version": 1}, named="version"),
                              Sent("deliver", {"proof": "signed", "version": 3}, named="version"), 422),
    "the wrong type": (Sent("restore", {"confirmation": 5}, named="confirmation"),
                       Sent("deliver", {"proof": 5}, named="proof"), 422),
    "a time that is not one": (Sent("restore", {"confirmation": "ok", "restored_at": "yesterday"}, named="restored_at"),
                               Sent("deliver", {"proof": "signed", "delivered_at": "yesterday"}, named="delivered_at"),
                               422),
    "a time without its zone": (
        Sent("restore", {"confirmation": "ok", "restored_at": "2026-06-01T10:00"}, named="restored_at"),
        Sent("deliver", {"proof": "signed", "delivered_at": "2026-06-01T10:00"}, named="delivered_at"), 422),
    "a required input missing": (Sent("restore", {}, named="confirmation"), Sent("deliver", {}, named="proof"), 422),
    "a required input empty": (Sent("restore", {"confirmation": ""}, named="confirmation"),
                               Sent("deliver", {"proof": ""}, named="proof"), 422),
    "a time in the future": (Sent("restore", {"confirmation": "ok", "restored_at": TOMORROW}, named="restored_at"),
                             Sent("deliver", {"proof": "signed", "delivered_at": TOMORROW}, named="delivered_at"), 422),
    # A ticket's transitions name no record: opening one does.
    "a record that does not exist": (Sent("", named="site"),
                                     Sent("stage", {"site": MISSING}, on="in_stock", named="site"), 422),
    "a move the state does not allow": (Sent("close", {}), Sent("ship", {"carrier": "Colissimo",
                                                                          "tracking_number": "6A0001"}), 409),
    "a stale If-Match": (Sent("restore", {"confirmation": "ok"}, headers={"If-Match": '"7"'}),
                         Sent("deliver", {"proof": "signed"}, headers={"If-Match": '"7"'}), 409),
    "no such transition": (Sent("teleport", {}), Sent("teleport", {}), 404),
    "no such transition, with a wrong input": (Sent("teleport", {"restored_at": "soon"}),
                                               Sent("teleport", {"delivered_at": "soon"}), 404),
    "no such record": (Sent("restore", {"confirmation": "ok"}, on=MISSING),
                       Sent("deliver", {"proof": "signed"}, on=MISSING), 404),
}


@pytest.fixture
def clerk(staff) -> str:
    """A member of staff who may run every transition sent here, so only the input is refused."""
    return staff("support", "warehouse", username="sam")


async def set_up(call, services, clerk: str) -> dict[str, Any]:
    """An open ticket (version 1), a shipped item (version 3) and one in stock, with what opening a ticket takes."""
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="Siège", address="1 rue de Rivoli", postcode="75001",
                city="Paris").insert(ACTOR)
    items = {}
    for number, serial in enumerate(["YL-0001", "YL-0002"], start=1):
        item = Equipment(serial=serial, mac=f"805ec0{number:06x}", vendor="yealink", model="T46U")
        issue_secrets(item, services.box)
        items[serial] = str(item.insert(ACTOR).pk)
    shipped = items["YL-0001"]
    for name, given in (("stage", {"site": str(site.pk)}), ("ship", {"carrier": "Colissimo", "tracking_number": "1"})):
        assert (await call("POST", f"/api/v1/equipment/{shipped}/transitions/{name}", given, clerk)).status == 200
    opening = {"customer": str(customer.pk), "site": str(site.pk), "service": "internet", "channel": "email",
               "notified_at": (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat(),
               "description": "the line is down"}
    ticket = await call("POST", "/api/v1/tickets", opening, clerk)
    assert ticket.status == 201, ticket.body
    return {"ticket": {"subject": ticket.body["id"]}, "equipment": {"subject": shipped, "in_stock": items["YL-0002"]},
            "opening": opening}


#: The path each request goes to, as the OpenAPI document names it.
TEMPLATES = {"ticket": "/api/v1/tickets/{ticket_id}/transitions/{name}",
             "equipment": "/api/v1/equipment/{record_id}/transitions/{move}", "opening": "/api/v1/tickets"}


async def send(call, token: str, what: str, sent: Sent, records: dict[str, Any]) -> tuple[str, Any]:
    """Send `sent` to a ticket's transition or an equipment move (`what`), as `token`: the path's template and
    the answer."""
    if what == "ticket" and not sent.move:
        return "opening", await call("POST", "/api/v1/tickets", {**records["opening"], sent.named: MISSING}, token)
    record = MISSING if sent.on == MISSING else records[what][sent.on]
    path = (f"/api/v1/tickets/{record}/transitions/{sent.move}" if what == "ticket"
            else f"/api/v1/equipment/{record}/transitions/{sent.move}")
    return what, await call("POST", path, sent.body, token, headers=sent.headers, raw=sent.raw)


@pytest.mark.parametrize("kind", list(CASES))
async def test_the_same_bad_input_gets_the_same_status_from_tickets_and_equipment(call, services, clerk, kind) -> None:
    records = await set_up(call, services, clerk)
    to_ticket, to_item, status = CASES[kind]
    described = ResponseSchemas(build_openapi())
    for what, sent in (("ticket", to_ticket), ("equipment", to_item)):
        template, answer = await send(call, clerk, what, sent, records)
        assert answer.status == status, (what, answer.body)
        described.validate(TEMPLATES[template], "post", answer.status, answer.body)
        assert (answer.body["status"], answer.body["error"]) == (status, REASONS[status]) and answer.body["message"]
        if sent.named:
            assert sent.named in answer.body["fields"], (what, answer.body)
    # Nothing written: the ticket and the items are as they were, and no other ticket was opened.
    assert [t.version for t in FailureTicket.objects] == [1]
    assert {item.serial: item.version for item in Equipment.objects} == {"YL-0001": 3, "YL-0002": 1}
