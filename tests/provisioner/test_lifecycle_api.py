"""The lifecycle endpoints over HTTP, on the real application and database: the table, an item's moves, a move
with its refusals and its idempotency key, and scan batches."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from inventory.charges import ChargeLine
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor, Event
from inventory.lifecycle import MOVES, RECORDS
from provisioner.provisioning.device_secrets import issue_secrets

pytestmark = pytest.mark.gen_test
ACTOR = Actor.system("tests")
SHIP = {"carrier": "Colissimo", "tracking_number": "6A0001", "accessories": ["cable", "psu"]}


@pytest.fixture
def fleet(mongo_db, services) -> dict[str, Any]:
    """A site in Metz (Moselle) and three items in stock; ids by serial."""
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="Entrepôt", address="3 rue des Messageries", postcode="57000",
                city="Metz").insert(ACTOR)
    ids = {}
    for number, serial in enumerate(["YL-0001", "YL-0002", "YL-0003"], start=1):
        item = Equipment(serial=serial, mac=f"805ec0{number:06x}", vendor="yealink", model="T46U")
        issue_secrets(item, services.box)
        ids[serial] = str(item.insert(ACTOR).pk)
    return {"site": str(site.pk), "ids": ids}


@pytest.fixture
def warehouse(staff) -> str:
    return staff("warehouse", username="wendy")


def transitions(item_id: str, move: str) -> str:
    return f"/api/v1/equipment/{item_id}/transitions/{move}"


def moves_of(item_id: str) -> list[str]:
    return [e.action for e in Event.objects(object_id=item_id).order_by("at") if e.action.startswith("transition:")]


async def test_the_table_lists_every_move(call, warehouse) -> None:
    answer = await call("GET", "/api/v1/lifecycle", token=warehouse)
    assert answer.status == 200
    assert [m["name"] for m in answer.body["moves"]] == list(MOVES)
    assert [m["name"] for m in answer.body["records"]] == list(RECORDS)
    ship = next(m for m in answer.body["moves"] if m["name"] == "ship")
    assert (ship["from"], ship["to"], ship["roles"], ship["requires"]) == (
        ["staged"], "shipped", ["admin", "warehouse"], ["carrier", "tracking_number"])
    assert answer.body["inputs"]["condition"]["choices"] == ["working", "damaged", "not_working"]
    assert (await call("GET", "/api/v1/lifecycle")).status == 401


async def test_a_move_over_http(call, fleet, warehouse, staff) -> None:
    item = fleet["ids"]["YL-0001"]
    moves = await call("GET", f"/api/v1/equipment/{item}/moves", token=warehouse)
    assert (moves.body["state"], [m["name"] for m in moves.body["moves"]]) == ("in_stock", ["stage"])
    assert (await call("GET", f"/api/v1/equipment/{item}/moves", token=staff("technician"))).body["moves"] == []

    staged = await call("POST", transitions(item, "stage"), {"site": fleet["site"]}, warehouse,
                        headers={"X-Request-ID": "scan-station-4"})
    assert staged.status == 200, staged.body
    assert (staged.body["item"]["state"], staged.body["item"]["site"], staged.body["item"]["version"]) == (
        "staged", fleet["site"], 2)
    assert staged.headers["ETag"] == '"2"' and staged.body["charges"] == [] and not staged.body["repeated"]
    event = Event.objects.get(pk=staged.body["event"])
    assert (event.action, event.actor, event.request_id) == ("transition:stage", "wendy", "scan-station-4")
    assert event.source == "api 127.0.0.1"  # the door it came through

    # The lifecycle's fields are the moves' alone.
    edit = await call("PATCH", f"/api/v1/equipment/{item}", {"staged_at": "2026-01-01T00:00:00Z"}, warehouse)
    assert edit.status == 422 and "set by the server" in edit.body["fields"]["staged_at"]


async def test_an_impossible_move_answers_409_with_the_state_and_the_allowed_moves(call, fleet, warehouse) -> None:
    item = fleet["ids"]["YL-0001"]
    answer = await call("POST", transitions(item, "deliver"), {"proof": "signed"}, warehouse)
    assert answer.status == 409
    assert (answer.body["state"], answer.body["allowed"]) == ("in_stock", ["stage"])
    assert "in_stock" in answer.body["message"]
    stale = await call("POST", transitions(item, "stage"), {"site": fleet["site"]}, warehouse, headers={"If-Match": '"7"'})
    assert (stale.status, stale.body["state"]) == (409, "in_stock")


async def test_refusals_for_roles_inputs_and_names(call, fleet, warehouse, staff) -> None:
    item = fleet["ids"]["YL-0001"]
    forbidden = await call("POST", transitions(item, "stage"), {"site": fleet["site"]}, staff("technician"))
    assert forbidden.status == 403 and "warehouse" in forbidden.body["message"]
    missing = await call("POST", transitions(item, "stage"), {}, warehouse)
    assert (missing.status, missing.body["fields"]) == (422, {"site": "required"})
    wrong = await call("POST", transitions(item, "stage"), {"site": "Metz", "colour": "red"}, warehouse)
    assert wrong.status == 422 and "24 hexadecimal" in wrong.body["fields"]["site"]
    await call("POST", transitions(item, "stage"), {"site": fleet["site"]}, warehouse)
    await call("POST", transitions(item, "ship"), SHIP, warehouse)
    bad_time = await call("POST", transitions(item, "deliver"), {"proof": "x", "delivered_at": "yesterday"}, warehouse)
    assert bad_time.status == 422 and "ISO 8601" in bad_time.body["fields"]["delivered_at"]
    no_zone = await call("POST", transitions(item, "deliver"), {"proof": "x", "delivered_at": "2026-06-01T10:00"},
                         warehouse)
    assert no_zone.status == 422 and "time zone" in no_zone.body["fields"]["delivered_at"]
    assert (await call("POST", transitions(item, "teleport"), {}, warehouse)).status == 404
    assert (await call("POST", transitions("0" * 24, "stage"), {"site": fleet["site"]}, warehouse)).status == 404
    key = await call("POST", transitions(item, "deliver"), {"proof": "x"}, warehouse, headers={"Idempotency-Key": "a b"})
    assert key.status == 400
    assert moves_of(item) == ["transition:stage", "transition:ship"]


async def test_an_idempotency_key_replayed_moves_once(call, fleet, warehouse) -> None:
    item = fleet["ids"]["YL-0001"]
    first = await call("POST", transitions(item, "stage"), {"site": fleet["site"]}, warehouse,
                       headers={"Idempotency-Key": "scan-42"})
    again = await call("POST", transitions(item, "stage"), {"site": fleet["site"]}, warehouse,
                       headers={"Idempotency-Key": "scan-42"})
    assert (first.status, again.status) == (200, 200)
    assert (first.body["repeated"], again.body["repeated"]) == (False, True)
    assert again.body["item"]["version"] == 2 and moves_of(item) == ["transition:stage"]


async def test_deadlines_follow_the_sites_calendar(call, fleet, staff, warehouse) -> None:
    support = staff("support")
    for serial in ("YL-0001", "YL-0002"):
        for name, given in [("stage", {"site": fleet["site"]}), ("ship", SHIP), ("deliver", {"proof": "signed"})]:
            assert (await call("POST", transitions(fleet["ids"][serial], name), given, warehouse)).status == 200
    item = fleet["ids"]["YL-0001"]
    bad_date = await call("POST", transitions(item, "end_contract"), {"contract_end": "02/04/2026"}, support)
    assert bad_date.status == 422 and "YYYY-MM-DD" in bad_date.body["fields"]["contract_end"]
    # Thursday 2 April 2026; Good Friday is a holiday in Moselle (not in Paris), then the week-end and Easter
    # Monday: due back on Tuesday 7 April.
    ended = await call("POST", transitions(item, "end_contract"), {"contract_end": "2026-04-02"}, support)
    assert ended.status == 200 and ended.body["item"]["return_due_on"] == "2026-04-07"
    # The 72 hours are calendar hours by default (calendar.replacement_hours).
    noted = await call("POST", transitions(fleet["ids"]["YL-0002"], "note_failure"), {"description": "dead"}, support)
    failed = noted.body["item"]
    noted_at = dt.datetime.fromisoformat(failed["failure_noted_at"])
    assert (failed["state"], failed["replacement"]) == ("failed", "due")
    assert dt.datetime.fromisoformat(failed["replacement_due_at"]) == noted_at + dt.timedelta(hours=72)


async def test_a_scan_batch(call, fleet, warehouse, staff) -> None:
    for serial in ("YL-0001", "YL-0002"):
        item = fleet["ids"][serial]
        for name, given in [("stage", {"site": fleet["site"]}), ("ship", SHIP), ("deliver", {"proof": "ok"})]:
            assert (await call("POST", transitions(item, name), given, warehouse)).status == 200
    support = await call("POST", transitions(fleet["ids"]["YL-0001"], "end_contract"),
                         {"contract_end": "2026-04-02"}, staff("support"))
    assert support.status == 200
    batch = {"scans": ["EQ:YL-0001", "NO-SUCH-SERIAL", "80:5e:c0:00:00:03"], "batch_key": "return-2026-06-10",
             "inputs": {"condition": "working", "accessories": ["cable"]}}
    answer = await call("POST", "/api/v1/scans/check_in", batch, warehouse)
    assert answer.status == 200, answer.body
    ok, unknown, wrong = answer.body["results"]
    assert (answer.body["done"], answer.body["refused"]) == (1, 2)
    assert (ok["ok"], ok["state"], ok["item"], ok["repeated"]) == (True, "returned", fleet["ids"]["YL-0001"], False)
    assert [c["reason"] for c in ok["charges"]] == ["missing accessory: psu"]
    assert (unknown["ok"], unknown["status"], unknown["item"]) == (False, 404, None)
    assert (wrong["ok"], wrong["status"], wrong["state"], wrong["item"]) == (False, 409, "in_stock", fleet["ids"]["YL-0003"])
    assert "in_stock" in wrong["message"] and wrong["allowed"] == ["stage"]

    again = await call("POST", "/api/v1/scans/check_in", batch, warehouse)
    assert [r["ok"] for r in again.body["results"]] == [True, False, False] and again.body["results"][0]["repeated"]
    assert again.body["results"][0]["charges"] == ok["charges"]
    assert moves_of(fleet["ids"]["YL-0001"]).count("transition:check_in") == 1
    assert len(list(ChargeLine.objects(item=fleet["ids"]["YL-0001"]))) == 1
    check_in = Event.objects.get(object_id=fleet["ids"]["YL-0001"], action="transition:check_in")
    assert check_in.source == "scan batch return-2026-06-10 from 127.0.0.1"
    stored = Equipment.objects.get(pk=fleet["ids"]["YL-0001"])
    assert (stored.state, stored.version) == ("returned", 6)


async def test_a_scan_batch_is_checked_before_anything_moves(call, fleet, warehouse, staff) -> None:
    scans = ["YL-0001"]
    too_many = await call("POST", "/api/v1/scans/stage", {"scans": ["x"] * 501, "batch_key": "b"}, warehouse)
    assert too_many.status == 422 and "scans" in too_many.body["fields"]
    no_key = await call("POST", "/api/v1/scans/stage", {"scans": scans, "inputs": {"site": fleet["site"]}}, warehouse)
    assert no_key.status == 422 and "batch_key" in no_key.body["fields"]
    bad_inputs = await call("POST", "/api/v1/scans/stage", {"scans": scans, "batch_key": "b", "inputs": {"site": 3}},
                            warehouse)
    assert bad_inputs.status == 422 and "site" in bad_inputs.body["fields"]
    forbidden = await call("POST", "/api/v1/scans/stage", {"scans": scans, "batch_key": "b"}, staff("technician"))
    assert forbidden.status == 403
    assert (await call("POST", "/api/v1/scans/teleport", {"scans": scans, "batch_key": "b"}, warehouse)).status == 404
    assert moves_of(fleet["ids"]["YL-0001"]) == []

