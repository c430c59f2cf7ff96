"""The inputs lifecycle moves take, one meaning per name across the table, and whether a value fits one.

Pure: inventory/lifecycle.py refuses a move whose inputs do not fit (422, naming each); records given by id
(`ref`, `ref_list`) are checked by whoever applies the plan (inventory/transitions.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from inventory.refusals import Reason, field_problem

#: The condition an item comes back in (the check-in's `condition`).
CONDITIONS = ("working", "damaged", "not_working")
#: What an inspection finds (the inspection's `result`).
INSPECTION_RESULTS = ("ok", "repair", "scrap")
#: Years a date or time given to a move may fall in: a typo like 0226 or 9999 is refused, not counted from.
YEARS = range(2000, 2200)


@dataclass(frozen=True)
class Input:
    """What one input of a move holds. Records (`ref`, `ref_list`) are checked by whoever applies the plan."""

    kind: str  # text, text_list, choice, date, datetime, amount (whole cents, >= 0), ref, ref_list
    description: str
    max_length: int = 200
    choices: tuple[str, ...] = ()


#: Every input any move takes, by name: one meaning per name across the table.
INPUTS: dict[str, Input] = {
    "site": Input("ref", "the site (id) the item goes to"),
    "lines": Input("ref_list", "the lines (ids) the item carries, of the site's customer"),
    "carrier": Input("text", "the carrier", 80),
    "tracking_number": Input("text", "the carrier's tracking number", 80),
    "accessories": Input("text_list", "accessories, one entry per piece (twice the same name for two)", 80),
    "replaces": Input("ref", "the failed item (id) this one replaces; it must be failed with a replacement due"),
    "proof": Input("text", "proof of delivery (signature reference, carrier's proof)", 500),
    "place": Input("text", "where it was delivered", 500),
    "delivered_at": Input("datetime", "when it was delivered (default: now; not in the future)"),
    "description": Input("text", "what fails", 2000),
    "noted_at": Input("datetime", "when the provider noted the failure (default: now; not in the future)"),
    "contract_end": Input("date", "the last day of the contract"),
    "agent": Input("text", "who repossesses it (the provider's agent)", 200),
    "costs_cents": Input("amount", "repossession costs charged to the customer, in cents"),
    "condition": Input("choice", "the condition it came back in", choices=CONDITIONS),
    "result": Input("choice", "what the inspection found", choices=INSPECTION_RESULTS),
    "notes": Input("text", "notes", 2000),
    "paid_at": Input("datetime", "when the set-up fees were paid in full (default: now; not in the future)"),
}


def input_problem(name: str, value: Any) -> Reason | None:
    """Why `value` does not fit the input `name` (None when it does); records are checked by the caller."""
    spec = INPUTS[name]
    if spec.kind in ("text", "choice"):
        if not isinstance(value, str):
            return field_problem("not_text", f"expected text, got {type(value).__name__}")
        if spec.choices and value not in spec.choices:
            return field_problem("not_a_choice", f"expected one of {', '.join(spec.choices)}", choices=spec.choices)
        if len(value) > spec.max_length:
            return field_problem("too_long", f"at most {spec.max_length} characters", max=spec.max_length)
        return None
    if spec.kind == "text_list":
        if not isinstance(value, (list, tuple)) or not all(isinstance(entry, str) and entry for entry in value):
            return field_problem("not_a_list", "expected a list of names")
        if any(len(entry) > spec.max_length for entry in value):
            return field_problem("entry_too_long", f"at most {spec.max_length} characters a name",
                                 max=spec.max_length)
        return field_problem("too_many_entries", "at most 64 entries", max=64) if len(value) > 64 else None
    if spec.kind == "date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            return field_problem("not_a_date", "expected a date")
        return None if value.year in YEARS else _year_problem()
    if spec.kind == "datetime":
        if not isinstance(value, dt.datetime) or value.utcoffset() is None:
            return field_problem("not_a_datetime", "expected a date and time with its time zone")
        return None if value.year in YEARS else _year_problem()
    if spec.kind == "amount":
        whole = isinstance(value, int) and not isinstance(value, bool)
        return None if whole and 0 <= value <= 10**9 else field_problem(
            "not_cents", "expected a whole number of cents, 0 or more")
    return None


def _year_problem() -> Reason:
    return field_problem("year_out_of_range", f"expected a year from {YEARS.start} to {YEARS.stop - 1}",
                         first=YEARS.start, last=YEARS.stop - 1)
