"""The reports and histories over HTTP, on the real application and database: items moved through the
lifecycle's API, then each report as JSON and CSV, the roles allowed, and the CLI's `report` command."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from typing import Any

import pytest

from inventory import report_queries, transitions
from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.insurance import InsuranceCertificate
from provisioner.api.lifecycle import parse_inputs
from provisioner.lifecycle_rules import rules_for
from provisioner.provisioning.device_secrets import issue_secrets

pytestmark = pytest.mark.gen_test
ACTOR = Actor.system("tests")
SHIP = {"carrier": "Colissimo", "tracking_number": "6A0001", "accessories": ["cable"]}


def ago(**delta: float) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(**delta)).isoformat(timespec="seconds")


def move(services, item: str, name: str, body: dict[str, Any] | None = None) -> None:
    """Run a move as the admin "boss", its inputs given as the API takes them."""
    transitions.run(item, name, parse_inputs(body or {}), Actor("boss"), ("admin",), dt.datetime.now(dt.UTC),
                    rules_for(services.settings))


@pytest.fixture
def fleet(mongo_db, services, admin) -> dict[str, Any]:
    """Acme's site in Metz holding YL-0001 (due back long ago), YL-0002 (failed 80 hours ago, lent) and
    YL-0003 (sold, delivered 350 days ago: warranty ending); YL-0004 stays in stock."""
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="Entrepôt", address="3 rue des Messageries", postcode="57000",
                city="Metz").insert(ACTOR)
    ids = {}
    for number, (serial, ownership) in enumerate(
            [("YL-0001", "lent"), ("YL-0002", "lent"), ("YL-0003", "sold"), ("YL-0004", "lent")], start=1):
        item = Equipment(serial=serial, mac=f"805ec0{number:06x}", vendor="yealink", model="T46U", ownership=ownership)
        issue_secrets(item, services.box)
        ids[serial] = str(item.insert(ACTOR).pk)
    for serial in ("YL-0001", "YL-0002", "YL-0003"):
        move(services, ids[serial], "stage", {"site": str(site.pk)})
        move(services, ids[serial], "ship", SHIP)
    move(services, ids["YL-0001"], "deliver", {"proof": "signed", "delivered_at": ago(days=400)})
    move(services, ids["YL-0001"], "end_contract", {"contract_end": "2026-01-30"})
    move(services, ids["YL-0002"], "deliver", {"proof": "signed", "delivered_at": ago(days=100)})
    move(services, ids["YL-0002"], "note_failure", {"description": "no tone", "noted_at": ago(hours=80)})
    move(services, ids["YL-0003"], "deliver", {"proof": "signed", "delivered_at": ago(days=350)})
    return {"customer": str(customer.pk), "site": str(site.pk), "ids": ids}


@pytest.fixture
def support(staff) -> str:
    return staff("support", username="sam")


def parse_csv(text: str, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


async def test_overdue_returns_as_json_and_csv(call, fleet, support, staff) -> None:
    answer = await call("GET", "/api/v1/reports/overdue-returns", token=support)
    assert answer.status == 200, answer.body
    rows = answer.body["items"]
    assert [(r["serial"], r["state"], r["return_due_on"], r["customer_name"], r["site_name"]) for r in rows] == [
        ("YL-0001", "return_due", "2026-02-02", "Acme", "Entrepôt")]  # the Monday after Friday 30 January
    assert rows[0]["days_late"] > 200 and rows[0]["mac"] == "805ec0000001" and answer.body["total"] == 1
    as_csv = await call("GET", "/api/v1/reports/overdue-returns?format=csv", token=support)
    assert as_csv.status == 200 and as_csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "overdue-returns-" in as_csv.headers["Content-Disposition"]
    lines = parse_csv(as_csv.body)
    assert list(lines[0]) == answer.body["columns"]
    assert (lines[0]["serial"], lines[0]["site_name"], lines[0]["overdue_since"]) == ("YL-0001", "Entrepôt", "")

    # The server keeps the report's items and names, and follows what changes (provisioner/report_cache.py).
    Customer.objects.get(pk=fleet["customer"]).update(ACTOR, {"name": "Acme SA"})
    ids = fleet["ids"]
    ended = await call("POST", f"/api/v1/equipment/{ids['YL-0002']}/transitions/end_contract",
                       {"contract_end": "2026-03-31"}, support)
    assert ended.status == 200, ended.body
    later = await call("GET", "/api/v1/reports/overdue-returns", token=support)
    assert [(r["serial"], r["customer_name"]) for r in later.body["items"]] == [("YL-0001", "Acme SA"),
                                                                                ("YL-0002", "Acme SA")]
    back = await call("POST", f"/api/v1/equipment/{ids['YL-0001']}/transitions/check_in", {"condition": "working"},
                      staff("warehouse"))
    assert back.status == 200, back.body
    latest = await call("GET", "/api/v1/reports/overdue-returns", token=support)
    assert [r["serial"] for r in latest.body["items"]] == ["YL-0002"]


async def test_excel_csv_has_a_bom_and_semicolons(call, fleet, support, http_client, base_url) -> None:
    response = await http_client.fetch(base_url + "/api/v1/reports/states?format=csv&excel=1",
                                       headers={"Authorization": f"Bearer {support}"})
    text = response.body.decode("utf-8")
    assert text.startswith("\ufeffcustomer;customer_name;site;site_name;in_stock;")
    rows = parse_csv(text[1:], ";")
    assert [(r["site_name"], r["return_due"], r["failed"], r["delivered"], r["in_stock"], r["total"]) for r in rows] == [
        ("Entrepôt", "1", "1", "1", "0", "3"), ("", "0", "0", "0", "1", "1")]


async def test_replacements_warranties_states_and_insurance(call, fleet, support, staff, monkeypatch) -> None:
    warehouse = staff("warehouse")
    replacements = (await call("GET", "/api/v1/reports/replacements", token=warehouse)).body["items"]
    assert [(r["serial"], r["status"], round(r["hours_left"])) for r in replacements] == [("YL-0002", "breached", -8)]

    warranties = (await call("GET", "/api/v1/reports/warranties", token=support)).body["items"]
    assert [(r["serial"], r["days_left"] in (14, 15, 16)) for r in warranties] == [("YL-0003", True)]
    assert (await call("GET", "/api/v1/reports/warranties?within_days=5", token=support)).body["items"] == []

    per_customer = (await call("GET", "/api/v1/reports/states?by=customer", token=support)).body
    assert [(r["customer_name"], r["total"]) for r in per_customer["items"]] == [("Acme", 3), ("", 1)]
    assert per_customer["parameters"] == {"by": "customer"}
    staged = await call("POST", f"/api/v1/equipment/{fleet['ids']['YL-0004']}/transitions/stage",
                        {"site": fleet["site"]}, warehouse)
    assert staged.status == 200, staged.body
    per_customer = (await call("GET", "/api/v1/reports/states?by=customer", token=support)).body
    assert [(r["customer_name"], r["staged"], r["total"]) for r in per_customer["items"]] == [("Acme", 1, 4)]

    insurance = (await call("GET", "/api/v1/reports/insurance", token=support)).body["items"]
    assert [(r["status"], r["site_name"], r["lent_items"]) for r in insurance] == [("missing", "Entrepôt", 2)]
    today = dt.date.today()
    InsuranceCertificate(customer=Customer.objects.get(pk=fleet["customer"]), insurer="AXA", policy_number="P-1",
                         starts_on=today - dt.timedelta(days=365),
                         expires_on=today - dt.timedelta(days=2)).insert(ACTOR)
    insurance = (await call("GET", "/api/v1/reports/insurance", token=support)).body["items"]
    assert [(r["status"], r["insurer"], r["expires_on"]) for r in insurance] == [
        ("expired", "AXA", (today - dt.timedelta(days=2)).isoformat())]
    # Many uninsured customers: their items are read state by state instead of customer by customer.
    monkeypatch.setattr(report_queries, "CUSTOMERS_ONE_BY_ONE", 0)
    assert (await call("GET", "/api/v1/reports/insurance", token=support)).body["items"] == insurance


async def test_histories(call, fleet, support, admin) -> None:
    item = fleet["ids"]["YL-0001"]
    overdue = await call("POST", f"/api/v1/equipment/{item}/transitions/mark_overdue", {}, support)
    assert overdue.status == 200, overdue.body
    answer = await call("GET", f"/api/v1/history/equipment/{item}", token=support)
    assert answer.status == 200, answer.body
    assert [r["action"] for r in answer.body["items"]] == [
        "create", "transition:stage", "transition:ship", "transition:deliver", "transition:end_contract",
        "transition:mark_overdue"]
    ended, last = answer.body["items"][-2:]
    assert (ended["actor"], ended["before"]["state"], ended["after"]["state"]) == ("boss", "delivered", "return_due")
    assert (last["actor"], last["after"]["state"]) == ("sam", "overdue") and "state" in last["changed"].split()
    page = await call("GET", f"/api/v1/history/equipment/{item}?page=2&per_page=2", token=support)
    assert ([r["action"] for r in page.body["items"]], page.body["total"]) == (
        ["transition:ship", "transition:deliver"], 6)
    as_csv = await call("GET", f"/api/v1/history/equipment/{item}?format=csv", token=support)
    assert [r["action"] for r in parse_csv(as_csv.body)][-1] == "transition:mark_overdue"
    assert "before" not in as_csv.body.splitlines()[0]

    customer = await call("GET", f"/api/v1/history/customers/{fleet['customer']}?per_page=500", token=support)
    collections = {(r["collection"], r["action"]) for r in customer.body["items"]}
    assert {("customers", "create"), ("sites", "create"), ("equipment", "transition:note_failure")} <= collections
    assert ("equipment", "create") in collections and customer.body["total"] == len(customer.body["items"])

    user = await call("GET", "/api/v1/history/users/boss?per_page=500", token=admin)
    assert user.status == 200 and {r["actor"] for r in user.body["items"]} == {"boss"}
    assert len(user.body["items"]) == 3 * 2 + 2 + 2 + 1  # stage and ship thrice, then the other moves


async def test_refusals(call, fleet, support, staff) -> None:
    assert (await call("GET", "/api/v1/reports/overdue-returns")).status == 401
    technician = staff("technician")
    for path in ("/api/v1/reports/overdue-returns", "/api/v1/reports/insurance",
                 f"/api/v1/history/equipment/{fleet['ids']['YL-0001']}"):
        assert (await call("GET", path, token=technician)).status == 403
    assert (await call("GET", "/api/v1/history/users/boss", token=support)).status == 403  # admin only
    bad = await call("GET", "/api/v1/reports/states?by=model&format=xml&colour=red", token=support)
    assert bad.status == 400 and set(bad.body["fields"]) == {"by", "format", "colour"}
    assert (await call("GET", "/api/v1/reports/replacements?at_risk_hours=0", token=support)).status == 400
    assert (await call("GET", "/api/v1/history/equipment/nope", token=support)).status == 404
    assert (await call("GET", "/api/v1/history/customers/" + "0" * 24, token=support)).status == 404


async def test_the_cli_prints_a_report(fleet, services, capsys) -> None:
    from provisioner.cli import build_parser
    from provisioner.report_command import render

    args = build_parser().parse_args(["report", "overdue-returns"])
    table = render(args, services.settings)
    assert table.splitlines()[0].split()[:3] == ["item", "serial", "mac"] and "YL-0001" in table
    args = build_parser().parse_args(["report", "equipment-history", fleet["ids"]["YL-0002"], "--csv"])
    actions = [r["action"] for r in parse_csv(render(args, services.settings))]
    assert actions[-1] == "transition:note_failure"


async def test_the_report_command(fleet, monkeypatch, capsys) -> None:
    from provisioner import cli

    # The database the command finds or starts is demo load's business (tests/provisioner/test_cli.py): here,
    # the test's own.
    monkeypatch.setattr(cli, "_with_storage", lambda args, work: work(None))
    assert cli.main(["report", "overdue-returns", "--csv"]) == 0
    assert [r["serial"] for r in parse_csv(capsys.readouterr().out)] == ["YL-0001"]
    assert cli.main(["report", "insurance", "--excel"]) == 0
    assert capsys.readouterr().out.startswith("\ufeffstatus;customer;")
    assert cli.main(["report", "equipment-history"]) == 2
    assert "needs a SUBJECT" in capsys.readouterr().err
    assert cli.main(["report", "states", "--within-days", "0"]) == 2


async def test_kept_replacements_and_insurance_match_fresh_ones_after_changes(fleet, services) -> None:
    kept, now, today, hours = services.reports, dt.datetime.now(dt.UTC), dt.date.today(), 12.0

    def same() -> list[dict[str, Any]]:
        replacements = kept.replacements(now, hours)
        assert replacements.rows == report_queries.replacements(now, hours).rows
        assert kept.insurance(today, 30).rows == report_queries.insurance(today, 30).rows
        assert kept.state_totals() == Counter(item["state"] for item in report_queries.placements())
        return replacements.rows

    assert [row["serial"] for row in same()] == ["YL-0002"]
    move(services, fleet["ids"]["YL-0004"], "stage", {"site": fleet["site"]})
    move(services, fleet["ids"]["YL-0004"], "ship", {**SHIP, "replaces": fleet["ids"]["YL-0002"]})
    assert same() == []  # its replacement is on its way
    InsuranceCertificate(customer=Customer.objects.get(pk=fleet["customer"]), insurer="AXA", policy_number="P-2",
                         starts_on=today - dt.timedelta(days=10), expires_on=today + dt.timedelta(days=300)).insert(ACTOR)
    assert kept.insurance(today, 30).rows == []
    same()
