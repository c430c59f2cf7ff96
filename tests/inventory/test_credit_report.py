"""The credits due for a month: rents from the contracts running, restoration counted as the target is, the
30-day cap reaching back into the month before, and the tickets that give no credit."""

from __future__ import annotations

import datetime as dt

import pytest

from inventory.contracts import Contract
from inventory.credit_report import Restored, credits, credits_due, rent_on
from inventory.customers import Customer, Site
from inventory.events import Actor
from inventory.ticket_deadlines import Calendar
from inventory.ticket_rules import NO_ANSWER_REASON
from inventory.tickets import FailureTicket
from sip_core.fair_use import month_bounds

PARIS = dt.timezone(dt.timedelta(hours=1))  # November and October's end: CET
ACTOR = Actor.system("tests")
CONTRACTS = [
    {"go_live_date": dt.datetime(2026, 1, 1), "end_date": None, "monthly_service_fee_cents": 10_000,
     "monthly_equipment_fee_cents": 2_000},
    {"go_live_date": dt.datetime(2026, 11, 10), "end_date": dt.datetime(2026, 11, 20), "monthly_service_fee_cents": 5_000,
     "monthly_equipment_fee_cents": 0},
    {"go_live_date": None, "end_date": None, "monthly_service_fee_cents": 99_999},  # not live yet: never counts
]


@pytest.mark.parametrize("service, day, rent", [
    ("telephony", dt.date(2026, 11, 5), 10_000),
    ("internet", dt.date(2026, 11, 10), 15_000),  # both running: added up
    ("telephony", dt.date(2026, 11, 20), 15_000),  # the end day is still a day of the contract
    ("telephony", dt.date(2026, 11, 21), 10_000),
    ("equipment", dt.date(2026, 11, 15), 2_000),
    ("telephony", dt.date(2025, 12, 31), 0),  # before any go-live
])
def test_the_rent_of_a_service_is_the_fee_of_every_contract_running_that_day(service, day, rent):
    assert rent_on(CONTRACTS, service, day) == rent


def ticket(number: str, notified: dt.datetime, restored: dt.datetime, reason: str = "", service: str = "telephony"):
    return Restored(number, "c1", service, "75", notified, restored, reason)


@pytest.mark.parametrize("reading, credit", [("business", 0), ("calendar", 2_000)])
def test_a_weekend_counts_as_the_target_counts_it(reading, credit):
    # Friday 13 November 17:00 to Monday 16 November 10:00: 2 business hours, 65 hours on the clock.
    friday = ticket("INC-2026-000001", dt.datetime(2026, 11, 13, 17, tzinfo=PARIS), dt.datetime(2026, 11, 16, 10, tzinfo=PARIS))

    def measure(restored: Restored) -> dt.timedelta:
        if reading == "calendar":
            return restored.restored_at - restored.notified_at
        from inventory.business_calendar import business_hours_between
        return business_hours_between(restored.notified_at, restored.restored_at, restored.departement)

    [(_, earned, capped)] = credits([friday], {"c1": CONTRACTS[:1]}, measure)[("c1", "telephony")]
    assert (earned.credit_cents, capped.due_cents) == (credit, credit)


@pytest.fixture
def customer(mongo_db):
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="HQ", address="1 rue", postcode="75008", city="Paris").insert(ACTOR)
    Contract(customer=customer, reference="CT-0001", order_date=dt.date(2025, 12, 1), go_live_date=dt.date(2026, 1, 1),
             state="active", monthly_service_fee_cents=10_000, monthly_equipment_fee_cents=2_000).insert(ACTOR)
    return customer, site


def stored(customer, site, number: str, notified: dt.datetime, restored: dt.datetime, **extra) -> None:
    FailureTicket._get_collection().insert_one({
        "number": number, "customer": str(customer.pk), "site": str(site.pk), "service": "telephony",
        "channel": "phone", "notified_at": notified, "description": "no tone", "opened_by": "tests",
        "state": "closed", "restoration_due_at": notified + dt.timedelta(hours=4), "restored_at": restored,
        "version": 1, **extra})


def test_the_month_report_caps_over_30_days_reaching_into_the_month_before(customer):
    customer, site = customer
    # 20 October: more than 24 business hours, 20 % of 100 EUR, the whole cap of its 30 days.
    stored(customer, site, "INC-2026-000001", dt.datetime(2026, 10, 20, 9, tzinfo=PARIS),
           dt.datetime(2026, 10, 26, 9, tzinfo=PARIS))
    # 5 November, 5 business hours: 5 EUR earned, all capped off (26 October + 30 days reaches 24 November).
    stored(customer, site, "INC-2026-000002", dt.datetime(2026, 11, 5, 9, tzinfo=PARIS),
           dt.datetime(2026, 11, 5, 14, tzinfo=PARIS))
    # 26 November, 5 business hours: the October credit is out of its window, 5 EUR due.
    stored(customer, site, "INC-2026-000003", dt.datetime(2026, 11, 26, 9, tzinfo=PARIS),
           dt.datetime(2026, 11, 26, 14, tzinfo=PARIS))
    # Excused, and closed for want of an answer: no credit whatever their length.
    stored(customer, site, "INC-2026-000004", dt.datetime(2026, 11, 2, 9, tzinfo=PARIS),
           dt.datetime(2026, 11, 9, 9, tzinfo=PARIS), excuse="planned_maintenance")
    stored(customer, site, "INC-2026-000005", dt.datetime(2026, 11, 2, 9, tzinfo=PARIS),
           dt.datetime(2026, 11, 9, 9, tzinfo=PARIS), closing_reason=NO_ANSWER_REASON)

    report = credits_due(*month_bounds("2026-11"), Calendar(), per="ticket")
    rows = {row["number"]: row for row in report.rows}
    assert sorted(rows) == ["INC-2026-000002", "INC-2026-000003", "INC-2026-000004", "INC-2026-000005"]
    assert (rows["INC-2026-000002"]["credit_cents"], rows["INC-2026-000002"]["due_cents"]) == (500, 0)
    assert rows["INC-2026-000002"]["capped_off_cents"] == 500 and rows["INC-2026-000002"]["restoration_hours"] == 5.0
    assert (rows["INC-2026-000003"]["rate_percent"], rows["INC-2026-000003"]["due_cents"]) == (5, 500)
    assert rows["INC-2026-000004"]["due_cents"] == 0 and rows["INC-2026-000004"]["no_credit_reason"].startswith("excused")
    assert rows["INC-2026-000005"]["due_cents"] == 0 and "answer" in rows["INC-2026-000005"]["no_credit_reason"]

    [total] = credits_due(*month_bounds("2026-11"), Calendar()).rows
    assert (total["customer_name"], total["tickets"], total["credit_cents"], total["due_cents"]) == ("Acme", 4, 1_000, 500)
    assert credits_due(*month_bounds("2026-10"), Calendar()).rows[0]["due_cents"] == 2_000


def test_bounds_that_are_no_period_and_an_unknown_grouping_are_refused(mongo_db):
    first, after = month_bounds("2026-11")
    with pytest.raises(ValueError, match="the first before the second"):
        credits_due(after, first, Calendar())
    with pytest.raises(ValueError, match="aware"):
        credits_due(first.replace(tzinfo=None), after, Calendar())
    with pytest.raises(ValueError, match="customer or ticket"):
        credits_due(first, after, Calendar(), per="site")


def test_the_cli_prints_the_credits_due(customer):
    from provisioner.cli import build_parser
    from provisioner.report_command import problem, render
    from provisioner.settings import load_settings

    customer, site = customer
    stored(customer, site, "INC-2026-000007", dt.datetime(2026, 11, 5, 9, tzinfo=PARIS),
           dt.datetime(2026, 11, 5, 14, tzinfo=PARIS))
    args = build_parser().parse_args(["report", "credits-due", "--month", "2026-11", "--per", "ticket", "--csv"])
    assert problem(args) is None
    lines = render(args, load_settings(None, {}, {})).splitlines()
    assert lines[0].startswith("customer,customer_name,number") and "INC-2026-000007" in lines[1]
    assert ",500,0,500," in lines[1]  # 5 % of 100 EUR, nothing capped off
    table = render(build_parser().parse_args(["report", "credits-due", "--month", "2026-11"]), load_settings(None, {}, {}))
    assert "Acme" in table and "(1 of 1 row(s))" in table
