"""Clause 5: periods counted from the go-live date (month ends and leap years included), tacit renewals,
and the early-termination fee with its breakdown."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.contract_terms import (
    ContractTerms,
    add_months,
    current_period,
    early_termination_fee,
    remaining_months,
)

D = date


# --- month arithmetic ----------------------------------------------------------------------------------

ADD_MONTHS = [
    (D(2026, 1, 15), 1, D(2026, 2, 15)),
    (D(2026, 1, 31), 1, D(2026, 2, 28)),
    (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year
    (D(2026, 1, 31), 2, D(2026, 3, 31)),  # counted from the 31st, not from 28 February
    (D(2026, 1, 31), 3, D(2026, 4, 30)),
    (D(2024, 2, 29), 12, D(2025, 2, 28)),
    (D(2024, 2, 29), 48, D(2028, 2, 29)),
    (D(2026, 11, 30), 3, D(2027, 2, 28)),
    (D(2026, 12, 31), 1, D(2027, 1, 31)),
    (D(2026, 3, 31), -1, D(2026, 2, 28)),
    (D(2026, 5, 10), 0, D(2026, 5, 10)),
    (D(2026, 5, 10), 120, D(2036, 5, 10)),
]


@pytest.mark.parametrize(("day", "months", "expected"), ADD_MONTHS)
def test_add_months_clamps_to_the_month_end(day, months, expected):
    assert add_months(day, months) == expected


# --- periods -------------------------------------------------------------------------------------------

# (go-live, initial months, renewal months, on, (start, end, index))
PERIODS = [
    (D(2024, 1, 15), 36, 12, D(2024, 1, 15), (D(2024, 1, 15), D(2027, 1, 14), 0)),
    (D(2024, 1, 15), 36, 12, D(2027, 1, 14), (D(2024, 1, 15), D(2027, 1, 14), 0)),
    (D(2024, 1, 15), 36, 12, D(2027, 1, 15), (D(2027, 1, 15), D(2028, 1, 14), 1)),
    (D(2024, 1, 15), 36, 12, D(2028, 1, 14), (D(2027, 1, 15), D(2028, 1, 14), 1)),
    (D(2024, 1, 15), 36, 12, D(2028, 1, 15), (D(2028, 1, 15), D(2029, 1, 14), 2)),
    (D(2024, 1, 15), 36, 12, D(2026, 11, 26), (D(2024, 1, 15), D(2027, 1, 14), 0)),
    (D(2010, 6, 1), 12, 12, D(2026, 11, 26), (D(2026, 6, 1), D(2027, 5, 31), 16)),
    # A period starting 31 January: one month later is 28 February, the 31st comes back in March.
    (D(2026, 1, 31), 1, 12, D(2026, 2, 27), (D(2026, 1, 31), D(2026, 2, 27), 0)),
    (D(2026, 1, 31), 1, 12, D(2026, 2, 28), (D(2026, 2, 28), D(2027, 2, 27), 1)),
    (D(2026, 1, 31), 2, 12, D(2026, 3, 30), (D(2026, 1, 31), D(2026, 3, 30), 0)),
    (D(2026, 1, 31), 2, 12, D(2026, 3, 31), (D(2026, 3, 31), D(2027, 3, 30), 1)),
    (D(2023, 1, 31), 13, 12, D(2024, 2, 28), (D(2023, 1, 31), D(2024, 2, 28), 0)),  # leap: next starts 29 Feb
    (D(2023, 1, 31), 13, 12, D(2024, 2, 29), (D(2024, 2, 29), D(2025, 2, 27), 1)),
    # Gone live on 29 February: renewals start on 28 February, and on the 29th again in leap years.
    (D(2024, 2, 29), 12, 12, D(2025, 2, 27), (D(2024, 2, 29), D(2025, 2, 27), 0)),
    (D(2024, 2, 29), 12, 12, D(2025, 2, 28), (D(2025, 2, 28), D(2026, 2, 27), 1)),
    (D(2024, 2, 29), 12, 12, D(2028, 2, 28), (D(2027, 2, 28), D(2028, 2, 28), 3)),
    (D(2024, 2, 29), 12, 12, D(2028, 2, 29), (D(2028, 2, 29), D(2029, 2, 27), 4)),
    # Renewals of another length than 12 months (the contract allows it).
    (D(2026, 1, 1), 6, 3, D(2026, 7, 1), (D(2026, 7, 1), D(2026, 9, 30), 1)),
    (D(2026, 1, 1), 6, 3, D(2026, 12, 31), (D(2026, 10, 1), D(2026, 12, 31), 2)),
    (D(2026, 1, 1), 1, 1, D(2026, 12, 31), (D(2026, 12, 1), D(2026, 12, 31), 11)),
]


@pytest.mark.parametrize(("go_live", "initial", "renewal", "on", "expected"), PERIODS)
def test_current_period(go_live, initial, renewal, on, expected):
    period = current_period(go_live, initial, renewal, on)
    assert (period.start, period.end, period.index) == expected
    assert period.is_initial == (expected[2] == 0)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((D(2026, 5, 1), 36, 12, D(2026, 4, 30)), "before the go-live date"),
        ((D(2026, 5, 1), 0, 12, D(2026, 6, 1)), "Initial period months"),
        ((D(2026, 5, 1), 36, 0, D(2026, 6, 1)), "Renewal period months"),
        ((D(2026, 5, 1), 36, True, D(2026, 6, 1)), "Renewal period months"),
        (("2026-05-01", 36, 12, D(2026, 6, 1)), "Go-live date"),
    ],
)
def test_current_period_refuses_bad_values(arguments, message):
    with pytest.raises(ValueError, match=message):
        current_period(*arguments)


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=D(2000, 1, 1), max_value=D(2040, 12, 31)),
    st.integers(1, 120),
    st.integers(1, 60),
    st.integers(0, 8000),
)
def test_periods_tile_the_calendar(go_live, initial, renewal, offset):
    on = go_live + timedelta(days=offset)
    period = current_period(go_live, initial, renewal, on)
    assert period.start <= on <= period.end
    assert period.start == add_months(go_live, period.first_month)
    assert period.end + timedelta(days=1) == add_months(go_live, period.first_month + period.months)
    if period.index:
        before = current_period(go_live, initial, renewal, period.start - timedelta(days=1))
        assert before.index == period.index - 1 and before.end + timedelta(days=1) == period.start
    else:
        assert period.start == go_live


# --- remaining months ----------------------------------------------------------------------------------

GO_LIVE = D(2024, 1, 15)

# (last day of service, started months, complete months) in the initial period 2024-01-15 to 2027-01-14.
REMAINING = [
    (D(2024, 1, 15), 36, 35),  # the go-live day itself: the first month has started
    (D(2026, 12, 14), 1, 1),  # the last month is untouched
    (D(2026, 12, 15), 1, 0),
    (D(2027, 1, 13), 1, 0),
    (D(2027, 1, 14), 0, 0),
    (D(2026, 11, 14), 2, 2),
    (D(2026, 11, 26), 2, 1),
]


@pytest.mark.parametrize(("last_day", "started", "complete"), REMAINING)
def test_remaining_months(last_day, started, complete):
    period = current_period(GO_LIVE, 36, 12, last_day)
    assert remaining_months(GO_LIVE, period, last_day, "started") == started
    assert remaining_months(GO_LIVE, period, last_day, "complete") == complete


def test_remaining_months_follow_month_ends():
    # Gone live 31 January 2026 for 3 months: months end 27 Feb, 30 Mar, 29 Apr (next starts 28 Feb, 31 Mar, 30 Apr).
    go_live = D(2026, 1, 31)
    period = current_period(go_live, 3, 12, go_live)
    assert period.end == D(2026, 4, 29)
    assert remaining_months(go_live, period, D(2026, 2, 27), "complete") == 2
    assert remaining_months(go_live, period, D(2026, 2, 28), "complete") == 1
    assert remaining_months(go_live, period, D(2026, 2, 28), "started") == 2
    assert remaining_months(go_live, period, D(2026, 3, 30), "started") == 1


def test_an_unknown_partial_month_reading_is_refused():
    period = current_period(GO_LIVE, 36, 12, GO_LIVE)
    with pytest.raises(ValueError, match="Partial month reading"):
        remaining_months(GO_LIVE, period, GO_LIVE, "prorata")


# --- early-termination fee -----------------------------------------------------------------------------

TERMS = ContractTerms(GO_LIVE, 36, 12, 3_000, 1_001, 50_000)

# (last day of service, penalty, reading, (remaining months, 95 % amount, order-form amount, total))
FEES = [
    # Initial period: 4,001 cents of rents, 95 % = 3,800.95 per month, rounded down on the product.
    (D(2026, 12, 14), 2_500, "started", (1, 3_800, 50_000, 56_300)),
    (D(2026, 11, 26), 2_500, "started", (2, 7_601, 50_000, 60_101)),  # 7,601.9
    (D(2026, 11, 26), 0, "complete", (1, 3_800, 50_000, 53_800)),
    (D(2024, 1, 15), 0, "started", (36, 136_834, 50_000, 186_834)),  # 136,834.2
    (D(2027, 1, 14), 2_500, "started", (0, 0, 0, 0)),  # the period's last day: not early
    # Renewal period: no order-form amount (the French text lists it for the initial period only).
    (D(2027, 1, 15), 2_500, "started", (12, 45_611, 0, 48_111)),  # 45,611.4
    (D(2027, 6, 1), 0, "started", (8, 30_407, 0, 30_407)),  # 30,407.6
    (D(2027, 6, 1), 0, "complete", (7, 26_606, 0, 26_606)),  # 26,606.65
    (D(2028, 1, 14), 1_000, "started", (0, 0, 0, 0)),
    (D(2028, 1, 15), 0, "started", (12, 45_611, 0, 45_611)),
]


@pytest.mark.parametrize(("last_day", "penalty", "reading", "expected"), FEES)
def test_early_termination_fee(last_day, penalty, reading, expected):
    fee = early_termination_fee(TERMS, last_day, penalty, reading)
    assert (fee.remaining_months, fee.rent_share_cents, fee.order_form_amount_cents, fee.total_cents) == expected
    assert fee.monthly_rents_cents == 4_001
    assert fee.termination_date == last_day
    if expected[0]:
        assert fee.procedure_penalty_cents == penalty
        assert fee.total_cents == fee.rent_share_cents + fee.order_form_amount_cents + fee.procedure_penalty_cents


def test_the_breakdown_names_the_period():
    fee = early_termination_fee(TERMS, D(2027, 6, 1))
    assert (fee.period.start, fee.period.end, fee.period.index) == (D(2027, 1, 15), D(2028, 1, 14), 1)


def test_terms_from_a_contract_record():
    record = SimpleNamespace(
        go_live_date=D(2025, 3, 31),
        initial_period_months=24,
        renewal_period_months=12,
        monthly_service_fee_cents=2_000,
        monthly_equipment_fee_cents=None,
        order_form_amount_cents=0,
    )
    terms = ContractTerms.from_record(record)
    assert terms == ContractTerms(D(2025, 3, 31), 24, 12, 2_000, 0, 0)
    with pytest.raises(ValueError, match="no go-live date"):
        ContractTerms.from_record(SimpleNamespace(**{**vars(record), "go_live_date": None}))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: early_termination_fee(TERMS, D(2024, 1, 14)), "before the go-live date"),
        (lambda: early_termination_fee(TERMS, D(2026, 1, 1), -1), "Procedure penalty"),
        (lambda: early_termination_fee(TERMS, "2026-01-01"), "Termination date"),
        (lambda: ContractTerms(GO_LIVE, 36, 12, -1), "Monthly service fee cents"),
        (lambda: ContractTerms(GO_LIVE, 36, 12, 0, 0, 1.5), "Order form amount cents"),
    ],
)
def test_bad_values_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@settings(max_examples=200, deadline=None)
@given(
    st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31)),
    st.integers(1, 60),
    st.integers(0, 5000),
    st.integers(0, 100_000),
    st.integers(0, 100_000),
)
def test_fee_properties(go_live, initial, offset, service, equipment):
    terms = ContractTerms(go_live, initial, 12, service, equipment, 0)
    last_day = go_live + timedelta(days=offset)
    started = early_termination_fee(terms, last_day, 0, "started")
    complete = early_termination_fee(terms, last_day, 0, "complete")
    assert 0 <= complete.remaining_months <= started.remaining_months <= complete.remaining_months + 1
    assert started.remaining_months <= started.period.months
    rents = service + equipment
    for fee in (started, complete):
        assert fee.rent_share_cents * 100 <= fee.remaining_months * rents * 95  # never rounded up
        assert fee.rent_share_cents * 100 > fee.remaining_months * rents * 95 - 100
