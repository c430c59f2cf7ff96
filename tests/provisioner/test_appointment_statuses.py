"""The installation endpoints answer bad input by the API's one rule (test_transition_statuses.py): the same kind of
bad request gets the same status from an appointment's changes (reschedule, cancel, checklist), a booking and a
technician's record as from a transition, with the same error body, and writes nothing.

400: the request cannot be read (not JSON, not an object, a malformed If-Match); 415: not sent as JSON; 422: it
reads, but a field is wrong (unknown, of the wrong type or format, missing) or refused by the rules (a time in the
future, a value out of range, a record that does not exist); 409: the state or the version is not the one stored;
404: no such record or change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest
from openapi_responses import ResponseSchemas

from inventory.appointments import Appointment
from inventory.charges import ChargeLine
from inventory.contracts import Contract
from inventory.customers import Customer, Site
from inventory.events import Actor
from inventory.staff import User
from inventory.technicians import Technician
from provisioner.api.base import REASONS
from provisioner.api.openapi import build_openapi

pytestmark = pytest.mark.gen_test
ACTOR = Actor.system("tests")
MISSING = "0" * 24
TOMORROW = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat().replace("+00:00", "Z")
HOURS = {day: "08:00-18:00" for day in ("mon", "tue", "wed", "thu", "fri")}
MOVED = "2030-06-13T08:00:00Z"  # a Thursday, 10:00 in Paris: a time the technician can take
RESCHEDULE, CANCEL, CHECKLIST = ("/api/v1/appointments/{appointment_id}/reschedule",
                                 "/api/v1/appointments/{appointment_id}/cancel",
                                 "/api/v1/appointments/{appointment_id}/checklist")
BOOK, TECHNICIANS, TECHNICIAN = "/api/v1/appointments", "/api/v1/technicians", "/api/v1/technicians/{technician_id}"


@dataclass(frozen=True)
class Sent:
    """One request to `path` (an OpenAPI template and maybe a query, filled with the setup's records), with a JSON
    `body` (its "{site}"-like values filled too) or `raw` bytes and `headers`; `on` names the record ("booked",
    "cancelled" or MISSING); `named` is the field the answer must name in `fields`."""

    path: str
    body: Any = None
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    on: str = "booked"
    named: str | None = None
    method: str = "POST"


def booking(**changed: Any) -> dict[str, Any]:
    """A booking's body that is right but for `changed` (record ids are filled in by `send`)."""
    return {"site": "{site}", "technician": "{technician}", "contract": "{contract}", "start": MOVED,
            "duration_minutes": 60, **changed}


def patch(body: Any = None, **more: Any) -> Sent:
    """A change of the technician's record."""
    return Sent(TECHNICIAN, body, method="PATCH", **more)


#: The kind of bad input: the requests that send it, and the status each must answer. The kinds are those of
#: test_transition_statuses.py, and "a value the rules refuse". "A version in the body": an appointment's changes
#: take the version read there as well as in If-Match, so one that is not an integer is a wrong field; a
#: technician's change takes it in If-Match only, so there it is an unknown field, as in a transition's body.
CASES: dict[str, tuple[list[Sent], int]] = {
    "not JSON": ([Sent(RESCHEDULE, raw=b'{"start": '), Sent(BOOK, raw=b'{"site": '), patch(raw=b'{"name": ')], 400),
    "a lone surrogate": ([Sent(CANCEL, raw=b'{"by": "\\ud800"}'), Sent(TECHNICIANS, raw=b'{"name": "\\ud800"}')], 400),
    "not an object": ([Sent(CHECKLIST, raw=b'["tests"]'), Sent(BOOK, raw=b"[]"), Sent(TECHNICIANS, raw=b"[]")], 400),
    "a malformed If-Match": ([Sent(RESCHEDULE, {"start": MOVED}, headers={"If-Match": "latest"}),
                              Sent(CHECKLIST, {"items": ["tests"]}, headers={"If-Match": "W/3x"}),
                              patch({"name": "Alice M."}, headers={"If-Match": "latest"}),
                              # The technician has appointments: the header is read before that conflict.
                              Sent(TECHNICIAN, headers={"If-Match": "latest"}, method="DELETE")], 400),
    "a malformed If-Match and a wrong input": (
        [Sent(RESCHEDULE, {"start": 5}, headers={"If-Match": "latest"}),
         Sent(CANCEL, {"by": "customer", "colour": "red"}, headers={"If-Match": "latest"}),
         patch({"zones": 5}, headers={"If-Match": "latest"})], 400),
    "not sent as JSON": ([Sent(CANCEL, raw=b"by=customer", headers={"Content-Type": "text/plain"}),
                          Sent(BOOK, raw=b"site=x", headers={"Content-Type": "text/plain"})], 415),
    "an unknown field": ([Sent(RESCHEDULE, {"start": MOVED, "colour": "red"}, named="colour"),
                          Sent(CANCEL, {"by": "provider", "colour": "red"}, named="colour"),
                          Sent(BOOK, booking(colour="red"), named="colour"),
                          patch({"colour": "red"}, named="colour")], 422),
    "a version in the body": ([Sent(CANCEL, {"by": "provider", "version": "1"}, named="version"),
                               Sent(CHECKLIST, {"items": ["tests"], "version": True}, named="version"),
                               patch({"name": "Alice M.", "version": 1}, named="version")], 422),
    "the wrong type": ([Sent(RESCHEDULE, {"start": 5}, named="start"),
                        Sent(CHECKLIST, {"items": "tests"}, named="items"),
                        Sent(BOOK, booking(duration_minutes="60"), named="duration_minutes"),
                        patch({"active": "yes"}, named="active")], 422),
    "a time that is not one": ([Sent(RESCHEDULE, {"start": "tomorrow"}, named="start"),
                                Sent(CANCEL, {"by": "provider", "at": "yesterday"}, named="at"),
                                Sent(BOOK, booking(start="tomorrow"), named="start")], 422),
    "a time without its zone": ([Sent(RESCHEDULE, {"start": "2030-06-13T10:00"}, named="start"),
                                 Sent(CANCEL, {"by": "provider", "at": "2026-06-01T10:00"}, named="at")], 422),
    "a required input missing": ([Sent(RESCHEDULE, {}, named="start"), Sent(CANCEL, {}, named="by"),
                                  Sent(CHECKLIST, {}, named="items"), Sent(BOOK, {}, named="site"),
                                  Sent(TECHNICIANS, {}, named="user")], 422),
    "a required input empty": ([Sent(RESCHEDULE, {"start": ""}, named="start"),
                                Sent(CANCEL, {"by": ""}, named="by"),
                                Sent(CHECKLIST, {"items": []}, named="items")], 422),
    "a time in the future": ([Sent(CANCEL, {"by": "customer", "at": TOMORROW}, named="at")], 422),
    "a value the rules refuse": ([Sent(RESCHEDULE, {"start": MOVED, "duration_minutes": 5}, named="duration_minutes"),
                                  Sent(CANCEL, {"by": "neighbour"}, named="by"),
                                  Sent(CANCEL + "?dry_run=true", {"by": "provider", "reason": "x" * 501}, named="reason"),
                                  Sent(CHECKLIST, {"items": ["coffee"]}, named="items"),
                                  Sent(BOOK, booking(start="2030-12-25T09:00:00Z"), named="start"),
                                  patch({"zones": ["20"]}, named="zones")], 422),
    "a record that does not exist": ([Sent(RESCHEDULE, {"start": MOVED, "technician": MISSING}, named="technician"),
                                      Sent(BOOK, booking(site=MISSING), named="site"),
                                      Sent(BOOK, booking(equipment=[MISSING]), named="equipment"),
                                      Sent(TECHNICIANS, {"user": MISSING, "working_hours": HOURS, "zones": ["75"]},
                                           named="user")], 422),
    "a move the state does not allow": ([Sent(RESCHEDULE, {"start": MOVED}, on="cancelled"),
                                         Sent(CANCEL, {"by": "customer"}, on="cancelled"),
                                         Sent(CHECKLIST, {"items": ["tests"]}, on="cancelled")], 409),
    "a stale If-Match": ([Sent(RESCHEDULE, {"start": MOVED}, headers={"If-Match": '"7"'}),
                          Sent(CANCEL, {"by": "provider", "version": 7}),
                          Sent(CHECKLIST, {"items": ["tests"]}, headers={"If-Match": '"7"'}),
                          patch({"name": "Alice M."}, headers={"If-Match": '"7"'})], 409),
    "no such transition": ([Sent("/api/v1/appointments/{appointment_id}/teleport", {})], 404),
    "no such transition, with a wrong input": ([Sent("/api/v1/appointments/{appointment_id}/teleport",
                                                     {"start": "soon"})], 404),
    "no such record": ([Sent(RESCHEDULE, {"start": MOVED}, on=MISSING), Sent(CANCEL, {"by": "provider"}, on=MISSING),
                        patch({"name": "Alice M."}, on=MISSING)], 404),
}


async def set_up(call, staff, admin: str) -> dict[str, str]:
    """A technician (version 1), an appointment booked with them (version 1) and one cancelled by the provider
    (version 2), at a site of a customer with a contract."""
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="Siège", address="1 rue de la Paix", postcode="75002",
                city="Paris").insert(ACTOR)
    contract = Contract(customer=customer, reference="ACME-2026-01", order_date=dt.date(2026, 5, 4)).insert(ACTOR)
    staff("technician", username="alice")
    created = await call("POST", TECHNICIANS, {"user": str(User.objects(username="alice").first().pk),
                                               "working_hours": HOURS, "zones": ["75"]}, admin)
    assert created.status == 201, created.body
    records = {"site": str(site.pk), "contract": str(contract.pk), "technician": created.body["id"]}
    for name, start in (("booked", "2030-06-12T08:00:00Z"), ("cancelled", "2030-06-14T08:00:00Z")):
        answer = await call("POST", BOOK, filled(booking(start=start), records), admin)
        assert answer.status == 201, answer.body
        records[name] = answer.body["id"]
    cancelled = await call("POST", f"/api/v1/appointments/{records['cancelled']}/cancel", {"by": "provider"}, admin)
    assert cancelled.status == 200, cancelled.body
    return records


def filled(body: Any, records: dict[str, str]) -> Any:
    """`body` with its "{site}"-like values replaced by the ids of the setup's records."""
    if not isinstance(body, dict):
        return body
    return {key: records[value[1:-1]] if isinstance(value, str) and value.startswith("{") else value
            for key, value in body.items()}


async def send(call, token: str, sent: Sent, records: dict[str, str]) -> Any:
    """Send `sent` as `token`, its path's record and its body's ids taken from `records`."""
    subject = MISSING if sent.on == MISSING else records[sent.on]
    path = sent.path.format(appointment_id=subject,
                            technician_id=MISSING if sent.on == MISSING else records["technician"])
    return await call(sent.method, path, filled(sent.body, records), token, headers=sent.headers, raw=sent.raw)


def stored() -> dict[str, Any]:
    """What the requests must leave as it was."""
    return {"appointments": {(a.state, a.version, a.sequence) for a in Appointment.objects},
            "technicians": [(t.name, t.version, list(t.zones)) for t in Technician.objects],
            "charges": ChargeLine.objects.count()}


@pytest.mark.parametrize("kind", list(CASES))
async def test_bad_input_to_the_installation_endpoints_gets_the_rules_status(call, staff, admin, kind) -> None:
    records = await set_up(call, staff, admin)
    before = stored()
    requests, status = CASES[kind]
    document = build_openapi()
    described = ResponseSchemas(document)
    for sent in requests:
        answer = await send(call, admin, sent, records)
        assert answer.status == status, (sent, answer.body)
        template = sent.path.partition("?")[0]
        if template in document["paths"]:  # not a path that names no change
            described.validate(template, sent.method.lower(), answer.status, answer.body)
        assert (answer.body["status"], answer.body["error"]) == (status, REASONS[status]) and answer.body["message"]
        if sent.named:
            assert sent.named in answer.body.get("fields", {}), (sent, answer.body)
    assert stored() == before
    assert before["appointments"] == {("booked", 1, 0), ("cancelled", 2, 1)} and before["charges"] == 0
