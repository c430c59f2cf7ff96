"""Contract periods and the early-termination fee of clause 5.

Readings (see ``docs/failures.rst``, "Credits and fees"):

* Periods. The initial period starts on the go-live date (Date de Mise en Service); renewals follow it
  back to back. Every boundary is counted from the go-live date, a month later being the same day of the
  month, or the month's last day when it has no such day (31 January + 1 month = 28 or 29 February);
  so a contract gone live on 29 February finds 29 February again in leap years. A period ends the day
  before the next one starts.
* Termination date. The last day of service, like ``Contract.end_date``; ending on a period's last day
  is not early and costs nothing.
* Remaining months. The contract's months (from one monthly boundary to the next) after the termination
  date; by default a month already started counts as a whole one (``partial_month="started"``),
  ``"complete"`` counts only the months that have not started.
* The order-form amount applies only when the termination takes effect in the initial period: the
  French text lists it (b) for the initial period and not for a renewal period.
* Rounding. The 95 % amount is rounded down to the cent, once, on the whole product.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

#: Clause 5: the early-termination fee counts 95 % of the monthly rents for each remaining month.
RENT_SHARE_PERCENT = 95
#: The two ways a month already started at termination can count (default "started").
PARTIAL_MONTH_READINGS = ("started", "complete")


def _check_day(value: date, what: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"{what} {value!r} is not valid: expected a datetime.date")
    return value


def _check_count(value: int, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{what} {value!r} is not valid: expected a whole number, {minimum} or more")
    return value


def add_months(day: date, months: int) -> date:
    """Return the same day of the month `months` later, or that month's last day when it is shorter."""
    _check_day(day, "Day")
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class ContractPeriod:
    """One period of a contract: `start` and `end` both included; `index` 0 is the initial period,
    1 the first renewal. `first_month` counts the months from go-live to `start`, `months` its length."""

    start: date
    end: date
    index: int
    first_month: int
    months: int

    @property
    def is_initial(self) -> bool:
        return self.index == 0


def current_period(go_live: date, initial_months: int, renewal_months: int, on: date) -> ContractPeriod:
    """Return the contract period that `on` falls in; raise ValueError when `on` is before the go-live date."""
    _check_day(go_live, "Go-live date")
    _check_day(on, "Date")
    _check_count(initial_months, "Initial period months", 1)
    _check_count(renewal_months, "Renewal period months", 1)
    if on < go_live:
        raise ValueError(f"Date {on} is before the go-live date {go_live}: no contract period has started")
    if on < add_months(go_live, initial_months):
        return ContractPeriod(go_live, add_months(go_live, initial_months) - timedelta(days=1), 0, 0, initial_months)
    whole_months = (on.year - go_live.year) * 12 + on.month - go_live.month
    if add_months(go_live, whole_months) > on:
        whole_months -= 1
    index = (whole_months - initial_months) // renewal_months + 1
    first_month = initial_months + (index - 1) * renewal_months
    next_start = add_months(go_live, first_month + renewal_months)
    return ContractPeriod(
        add_months(go_live, first_month), next_start - timedelta(days=1), index, first_month, renewal_months
    )


def remaining_months(go_live: date, period: ContractPeriod, last_day: date, partial_month: str = "started") -> int:
    """Return the contract months of `period` left after `last_day` of service, as `partial_month` reads them."""
    if partial_month not in PARTIAL_MONTH_READINGS:
        raise ValueError(
            f"Partial month reading {partial_month!r} is not valid: expected one of {', '.join(PARTIAL_MONTH_READINGS)}"
        )
    first_unserved = last_day + timedelta(days=1)
    count = 0
    for month in range(period.first_month, period.first_month + period.months):
        month_start, month_end = add_months(go_live, month), add_months(go_live, month + 1)
        if partial_month == "started" and month_end > first_unserved:
            count += 1
        elif partial_month == "complete" and month_start >= first_unserved:
            count += 1
    return count


@dataclass(frozen=True)
class ContractTerms:
    """The plain values of a contract that clause 5 needs, named like the ``Contract`` fields."""

    go_live_date: date
    initial_period_months: int
    renewal_period_months: int
    monthly_service_fee_cents: int = 0
    monthly_equipment_fee_cents: int = 0
    order_form_amount_cents: int = 0

    def __post_init__(self) -> None:
        for name in ("monthly_service_fee_cents", "monthly_equipment_fee_cents", "order_form_amount_cents"):
            _check_count(getattr(self, name), name.replace("_", " ").capitalize(), 0)

    @classmethod
    def from_record(cls, record: Any) -> ContractTerms:
        """Copy the same-named attributes of `record` (a ``Contract`` or anything shaped like one)."""
        if record.go_live_date is None:
            raise ValueError("The contract has no go-live date: its periods cannot be counted")
        return cls(
            record.go_live_date,
            record.initial_period_months,
            record.renewal_period_months,
            record.monthly_service_fee_cents or 0,
            record.monthly_equipment_fee_cents or 0,
            record.order_form_amount_cents or 0,
        )


@dataclass(frozen=True)
class EarlyTerminationFee:
    """The early-termination fee of clause 5.3 with each of its parts, in cents."""

    period: ContractPeriod
    termination_date: date
    remaining_months: int
    monthly_rents_cents: int
    rent_share_cents: int
    order_form_amount_cents: int
    procedure_penalty_cents: int
    total_cents: int


def early_termination_fee(
    terms: ContractTerms,
    termination_date: date,
    procedure_penalty_cents: int = 0,
    partial_month: str = "started",
) -> EarlyTerminationFee:
    """Return the fee for a contract whose last day of service is `termination_date`: remaining months of
    the current period x 95 % of the monthly rents, plus the order-form amount (initial period only),
    plus `procedure_penalty_cents` (the general terms' penalty, when the procedure was not followed)."""
    _check_day(termination_date, "Termination date")
    _check_count(procedure_penalty_cents, "Procedure penalty cents", 0)
    period = current_period(
        terms.go_live_date, terms.initial_period_months, terms.renewal_period_months, termination_date
    )
    rents = terms.monthly_service_fee_cents + terms.monthly_equipment_fee_cents
    if termination_date == period.end:
        return EarlyTerminationFee(period, termination_date, 0, rents, 0, 0, 0, 0)
    months = remaining_months(terms.go_live_date, period, termination_date, partial_month)
    rent_share = months * rents * RENT_SHARE_PERCENT // 100
    order_form = terms.order_form_amount_cents if period.is_initial else 0
    total = rent_share + order_form + procedure_penalty_cents
    return EarlyTerminationFee(
        period, termination_date, months, rents, rent_share, order_form, procedure_penalty_cents, total
    )
