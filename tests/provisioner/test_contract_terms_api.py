"""A contract's terms over HTTP: its current period and the fee of an early termination, with their errors."""

from __future__ import annotations

import datetime as dt

import pytest

from inventory.contracts import Contract
from inventory.customers import Customer
from inventory.events import Actor

pytestmark = pytest.mark.gen_test
ACTOR = Actor.system("tests")


@pytest.fixture
def contracts(mongo_db) -> dict[str, str]:
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    live = Contract(customer=customer, reference="CT-0001", order_date=dt.date(2025, 12, 1), state="active",
                    go_live_date=dt.date(2026, 1, 31), initial_period_months=36, monthly_service_fee_cents=10_000,
                    monthly_equipment_fee_cents=2_000, order_form_amount_cents=30_000).insert(ACTOR)
    draft = Contract(customer=customer, reference="CT-0002", order_date=dt.date(2026, 11, 1)).insert(ACTOR)
    return {"live": str(live.pk), "draft": str(draft.pk)}


async def test_the_period_and_the_fee_of_ending_early(call, contracts, staff) -> None:
    support = staff("support")
    answer = await call("GET", f"/api/v1/contracts/{contracts['live']}/terms?on=2026-11-26&terminate_on=2026-12-31"
                               "&penalty_cents=5000", token=support)
    assert answer.status == 200, answer.body
    period, fee = answer.body["period"], answer.body["early_termination"]
    assert (period["start"], period["end"], period["index"], period["initial"]) == ("2026-01-31", "2029-01-30", 0, True)
    # The last day of service 31 December 2026: December started, so 25 months remain (January 2027 to the end).
    assert fee["remaining_months"] == 25 and fee["monthly_rents_cents"] == 12_000
    assert fee["rent_share_cents"] == 25 * 12_000 * 95 // 100
    assert fee["total_cents"] == fee["rent_share_cents"] + 30_000 + 5_000
    renewed = await call("GET", f"/api/v1/contracts/{contracts['live']}/terms?on=2029-03-01", token=support)
    assert (renewed.body["period"]["index"], renewed.body["period"]["initial"]) == (1, False)
    assert renewed.body["early_termination"]["order_form_amount_cents"] == 0  # only in the initial period


@pytest.mark.parametrize("query, status", [
    ("?on=2026-02-30", 400), ("?penalty_cents=-1", 400), ("?colour=red", 400),
    ("?on=2025-06-01", 400),  # before the go-live date
])
async def test_bad_queries_are_400(call, contracts, staff, query, status) -> None:
    answer = await call("GET", f"/api/v1/contracts/{contracts['live']}/terms{query}", token=staff("support"))
    assert answer.status == status, answer.body


async def test_a_contract_without_go_live_is_409_an_unknown_one_404_and_a_technician_403(call, contracts, staff) -> None:
    support = staff("support")
    assert (await call("GET", f"/api/v1/contracts/{contracts['draft']}/terms", token=support)).status == 409
    assert (await call("GET", f"/api/v1/contracts/{'0' * 24}/terms", token=support)).status == 404
    assert (await call("GET", f"/api/v1/contracts/{contracts['live']}/terms", token=staff("technician"))).status == 403
