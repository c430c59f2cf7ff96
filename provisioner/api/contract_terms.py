"""``GET /api/v1/contracts/{id}/terms``: where a contract stands (clause 5) and what ending it early would cost.

The period running on ``?on=`` (today by default, in calendar.timezone): the initial one from the go-live
date, then the tacit renewals; and the early-termination fee of ``?terminate_on=`` (the last day of service,
``on`` by default) with its breakdown, ``?penalty_cents=`` being the procedure penalty of the case (0 by
default). The rules are inventory/contract_terms.py's; this only reads the query and the contract.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from inventory.contract_terms import ContractTerms, current_period, early_termination_fee
from inventory.contracts import Contract
from provisioner.api.base import ApiError, BaseHandler, record_or_404
from provisioner.api.fields import bounded_int, query_day
from provisioner.ticket_calendar import calendar_today

ARGUMENTS = ("on", "terminate_on", "penalty_cents")
#: The largest procedure penalty taken, in cents (10 million euros: anything more is a typing error).
MAX_PENALTY_CENTS = 1_000_000_000


def _plain(value: Any) -> Any:
    """Dates as ISO text, dataclasses as objects: what the JSON answer holds."""
    if dataclasses.is_dataclass(value):
        return {field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    return value.isoformat() if isinstance(value, dt.date) else value


class ContractTermsHandler(BaseHandler):
    """GET: the contract's current period and the fee of an early termination, with its breakdown."""

    roles = ("support",)  # and admin
    route = "/api/v1/contracts/{id}/terms"

    def get(self, contract_id: str) -> None:
        problems = {name: f"unknown argument: expected one of {', '.join(ARGUMENTS)}"
                    for name in self.request.query_arguments if name not in ARGUMENTS}
        today = calendar_today(self.services.settings, dt.datetime.now(dt.UTC))
        on = query_day(self.get_query_argument("on", None), today, "on", problems)
        terminate_on = query_day(self.get_query_argument("terminate_on", None), on, "terminate_on", problems)
        penalty = bounded_int(self.get_query_argument("penalty_cents", "0"), 0, MAX_PENALTY_CENTS,
                              "penalty_cents", problems)
        if problems:
            raise ApiError(400, "the query is not valid", problems)
        contract = record_or_404(Contract, contract_id, "contract")
        if contract.go_live_date is None:
            raise ApiError(409, "the contract has no go-live date yet (Date de Mise en Service): it has no period")
        terms = ContractTerms.from_record(contract)
        try:
            period = current_period(terms.go_live_date, terms.initial_period_months, terms.renewal_period_months, on)
            fee = early_termination_fee(terms, terminate_on, penalty)
        except ValueError as error:  # a day before the go-live date
            raise ApiError(400, str(error), {"on": str(error)}) from None
        self.send({"contract": str(contract.pk), "reference": contract.reference, "on": on.isoformat(),
                   "period": {**_plain(period), "initial": period.is_initial},
                   "early_termination": _plain(fee)})
