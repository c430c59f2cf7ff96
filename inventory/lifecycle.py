"""The equipment lifecycle, declared in one table: which move goes from which states to which, who may
run it, what it needs, and what it changes. Pure: no database; inventory/transitions.py applies a plan.

Failing closed: a move not in the table, from a state not listed, by a role not listed, or without what
it needs is refused with the reason and, for a wrong state, the moves the item allows. Clause 3 of the
contract shapes it (../shared/CONTRACT_RULES.md): delivery passes the risk to the customer and starts a
sold item's 12-month warranty; a failed item is replaced within 72 hours when lent, or sold and under
warranty (otherwise the customer gets a quote); a lent item is due back on the first business day
after the contract ends, then overdue, then repossessed; what comes back is checked against what was
shipped.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

WARRANTY_MONTHS = 12
CONDITIONS = ("working", "damaged", "not_working")
INSPECTION_RESULTS = ("ok", "repair", "scrap")
#: A failed item's replacement: due within 72 hours (lent, or sold under warranty), or a quote to the customer.
REPLACEMENTS = ("due", "quote")
#: States in which an item is at the customer's, with the risk on the customer (from delivery on).
AT_CUSTOMER = frozenset({"delivered", "installed", "in_service", "failed", "return_due", "overdue", "repossession"})
#: States out of our hands for good, or for now (lost and stolen items may be found again: not modelled).
GONE = frozenset({"scrapped", "lost", "stolen"})

WAREHOUSE, TECHNICIAN, SUPPORT, ADMIN = "warehouse", "technician", "support", "admin"
#: Years a date or time given to a move may fall in: a typo like 0226 or 9999 is refused, not counted from.
YEARS = range(2000, 2200)


@dataclass(frozen=True)
class Item:
    """What the rules read of an item."""

    state: str
    ownership: str  # lent or sold
    delivered_at: dt.datetime | None = None
    warranty_end: dt.datetime | None = None
    shipped_accessories: tuple[str, ...] = ()
    return_due_on: dt.date | None = None
    has_site: bool = False
    inspection_result: str | None = None
    setup_fees_paid_at: dt.datetime | None = None


@dataclass(frozen=True)
class Rules:
    """What the rules need from the calendar and the price list, given by the caller."""

    replacement_deadline: Callable[[dt.datetime], dt.datetime]  # 72 hours after a failure is noted
    return_due: Callable[[dt.date], dt.date]  # first business day after a contract's end, at the site
    today: Callable[[dt.datetime], dt.date]  # the calendar date of a moment where the items are
    accessory_charge_cents: int = 1500
    damage_charge_cents: int = 5000
    not_working_charge_cents: int = 10000


@dataclass(frozen=True)
class Charge:
    """A line to bill the customer for what came back short or broken."""

    reason: str
    amount_cents: int


@dataclass(frozen=True)
class Plan:
    """What a move does: the new state, the item's changed fields, and charges to record."""

    move: str
    state: str
    changes: dict[str, Any]
    charges: tuple[Charge, ...] = ()


class Refused(Exception):
    """A move that may not run: `status` 403 (role), 409 (state) or 422 (inputs), and why."""

    def __init__(self, status: int, message: str, allowed: tuple[str, ...] = (), fields: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.allowed, self.fields = status, message, allowed, dict(fields or {})


Effect = Callable[[Item, Mapping[str, Any], dt.datetime, Rules], "dict[str, Any] | Plan"]
#: Why a move may not run on this item now (None: it may), beyond its source states and ownership.
Guard = Callable[[Item], "str | None"]


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


@dataclass(frozen=True)
class Move:
    """One row of the table."""

    name: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    requires: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    ownership: str | None = None  # only items lent, or only items sold
    effect: Effect = field(default=lambda item, given, now, rules: {})
    summary: str = ""
    guard: Guard | None = None


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day `months` later, or the month's last day when it has no such day (31 January + 1 month)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def under_warranty(item: Item, moment: dt.datetime) -> bool:
    """Whether a sold item's warranty covers `moment` (12 months from delivery)."""
    return item.warranty_end is not None and moment < item.warranty_end


# -- effects ----------------------------------------------------------------------------------------


def _stage(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    return {"site": given["site"], "lines": list(given.get("lines") or []), "staged_at": now}


def _ship(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    return {"carrier": given["carrier"], "tracking_number": given["tracking_number"], "shipped_at": now,
            "shipped_accessories": sorted(given.get("accessories") or []), "replaces": given.get("replaces")}


def _not_later_than(now: dt.datetime, given: Mapping[str, Any], name: str) -> dt.datetime:
    moment = given.get(name) or now
    if moment > now:
        raise Refused(422, f"{name} cannot be in the future", fields={name: "later than now"})
    return moment


def _deliver(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    delivered_at = _not_later_than(now, given, "delivered_at")
    changes = {"delivered_at": delivered_at, "delivery_proof": given["proof"], "delivery_place": given.get("place")}
    if item.ownership == "sold":
        changes["warranty_end"] = add_months(delivered_at, WARRANTY_MONTHS)
    return changes


def _note_failure(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    noted_at = _not_later_than(now, given, "noted_at")
    covered = item.ownership == "lent" or under_warranty(item, noted_at)
    return {"failure_noted_at": noted_at, "failure_description": given["description"],
            "replacement": "due" if covered else "quote",
            "replacement_due_at": rules.replacement_deadline(noted_at) if covered else None}


def _end_contract(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    return {"contract_ended_on": given["contract_end"], "return_due_on": rules.return_due(given["contract_end"])}


def _mark_overdue(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    if item.return_due_on is None or rules.today(now) <= item.return_due_on:
        raise Refused(409, f"not overdue yet: due back on {item.return_due_on or 'no date'}")
    return {"overdue_since": now}


def _repossess(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    return {"repossession_opened_at": now, "repossession_agent": given.get("agent"),
            "repossession_costs_cents": given.get("costs_cents") or 0}


def check_in_charges(item: Item, returned: list[str], condition: str, rules: Rules) -> tuple[Charge, ...]:
    """What a lent item's return costs the customer (clause 3.5): each accessory shipped and not back, and its
    condition. A sold item's accessories are the customer's own: nothing is charged."""
    if item.ownership != "lent":
        return ()
    charges = []
    missing = list(item.shipped_accessories)
    for accessory in returned:
        if accessory in missing:
            missing.remove(accessory)
    charges += [Charge(f"missing accessory: {name}", rules.accessory_charge_cents) for name in missing]
    if condition == "damaged":
        charges.append(Charge("returned damaged", rules.damage_charge_cents))
    if condition == "not_working" and item.state != "failed":
        charges.append(Charge("returned not working, no failure reported", rules.not_working_charge_cents))
    return tuple(charges)


def _check_in(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> Plan:
    returned = sorted(given.get("accessories") or [])
    condition = given["condition"]
    changes = {"returned_at": now, "returned_accessories": returned, "return_condition": condition}
    return Plan("check_in", "returned", changes, check_in_charges(item, returned, condition, rules))


def _inspect(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    return {"inspected_at": now, "inspection_result": given["result"], "inspection_notes": given.get("notes")}


#: Fields of one trip to a customer: a restocked item starts a new trip with none of them.
TRIP_FIELDS = (
    "site", "lines", "staged_at", "carrier", "tracking_number", "shipped_at", "shipped_accessories", "replaces",
    "delivered_at", "delivery_proof", "delivery_place", "installed_at", "in_service_at",
    "failure_noted_at", "failure_description", "replacement", "replacement_due_at",
    "contract_ended_on", "return_due_on", "overdue_since",
    "repossession_opened_at", "repossession_agent", "repossession_costs_cents",
    "returned_at", "returned_accessories", "return_condition", "inspected_at", "inspection_result", "inspection_notes",
    "refurbishing_since",
)


def _restock(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    # A sold item's warranty and title stay with it; a trip's facts start afresh (the events keep them).
    return {**{name: None for name in TRIP_FIELDS}, "lines": [], "restocked_at": now}


def _written_off(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    return {"written_off_at": now, "write_off_notes": given["notes"]}


def _pay_setup_fees(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    paid_at = _not_later_than(now, given, "paid_at")
    return {"setup_fees_paid_at": paid_at, "title_transferred_at": paid_at}


def _stamp(name: str) -> Effect:
    return lambda item, given, now, rules: {name: now}


# -- guards -----------------------------------------------------------------------------------------


def _restockable(item: Item) -> str | None:
    if item.state == "inspected" and item.inspection_result != "ok":
        return f"it was inspected as {item.inspection_result or 'nothing'}: refurbish or scrap it first"
    return None


def _repairable(item: Item) -> str | None:
    return "it was inspected as scrap" if item.inspection_result == "scrap" else None


def _fees_unpaid(item: Item) -> str | None:
    return "the set-up fees are already paid" if item.setup_fees_paid_at is not None else None


_EVERYONE_AT_WAREHOUSE = frozenset({WAREHOUSE, ADMIN})
_SERVICE = frozenset({TECHNICIAN, SUPPORT, ADMIN})
_SUPPORT = frozenset({SUPPORT, ADMIN})

MOVES: dict[str, Move] = {move.name: move for move in (
    Move("stage", frozenset({"in_stock"}), "staged", _EVERYONE_AT_WAREHOUSE, ("site",), ("lines",),
         effect=_stage, summary="bind to a site and its lines; the configuration is ready"),
    Move("ship", frozenset({"staged"}), "shipped", _EVERYONE_AT_WAREHOUSE, ("carrier", "tracking_number"),
         ("accessories", "replaces"), effect=_ship, summary="hand to a carrier, with the accessories shipped"),
    Move("deliver", frozenset({"shipped"}), "delivered", _EVERYONE_AT_WAREHOUSE | _SERVICE, ("proof",),
         ("place", "delivered_at"), effect=_deliver,
         summary="delivered on the customer's premises: the risk passes; a sold item's warranty starts"),
    Move("install", frozenset({"delivered"}), "installed", _SERVICE, effect=_stamp("installed_at"),
         summary="installed on the site"),
    Move("put_in_service", frozenset({"installed"}), "in_service", _SERVICE, effect=_stamp("in_service_at"),
         summary="in service"),
    Move("note_failure", frozenset({"delivered", "installed", "in_service"}), "failed", _SERVICE, ("description",),
         ("noted_at",), effect=_note_failure,
         summary="failure noted: replacement due within 72 hours (lent, or sold under warranty), else a quote"),
    Move("end_contract", frozenset({"delivered", "installed", "in_service", "failed"}), "return_due", _SUPPORT,
         ("contract_end",), ownership="lent", effect=_end_contract,
         summary="contract ended: due back on the first business day after"),
    Move("mark_overdue", frozenset({"return_due"}), "overdue", _SUPPORT | _EVERYONE_AT_WAREHOUSE, effect=_mark_overdue,
         summary="not back on its due date"),
    Move("repossess", frozenset({"overdue"}), "repossession", _SUPPORT, (), ("agent", "costs_cents"),
         effect=_repossess, summary="repossession case opened, its costs to the customer"),
    Move("check_in", frozenset({"failed", "return_due", "overdue", "repossession"}), "returned",
         _EVERYONE_AT_WAREHOUSE, ("condition",), ("accessories",), effect=_check_in,
         summary="back at the warehouse, checked against what was shipped"),
    Move("inspect", frozenset({"returned"}), "inspected", _EVERYONE_AT_WAREHOUSE, ("result",), ("notes",),
         effect=_inspect, summary="inspected: ok, to repair, or to scrap"),
    Move("refurbish", frozenset({"inspected"}), "refurbishing", _EVERYONE_AT_WAREHOUSE,
         effect=_stamp("refurbishing_since"), guard=_repairable,
         summary="sent for repair or refurbishment (not when inspected as scrap)"),
    Move("restock", frozenset({"inspected", "refurbishing"}), "in_stock", _EVERYONE_AT_WAREHOUSE, effect=_restock,
         guard=_restockable, summary="back in stock for another customer (straight from inspection only when ok)"),
    Move("scrap", frozenset({"inspected", "refurbishing"}), "scrapped", _EVERYONE_AT_WAREHOUSE, ("notes",),
         effect=_written_off, summary="scrapped"),
    Move("declare_lost", AT_CUSTOMER | {"shipped"}, "lost", _SUPPORT | _EVERYONE_AT_WAREHOUSE, ("notes",),
         effect=_written_off, summary="lost (in transit or at the customer's)"),
    Move("declare_stolen", AT_CUSTOMER | {"shipped"}, "stolen", _SUPPORT | _EVERYONE_AT_WAREHOUSE, ("notes",),
         effect=_written_off, summary="stolen"),
)}

#: Facts recorded on an item without changing its state: allowed in any state but those listed.
RECORDS: dict[str, Move] = {move.name: move for move in (
    Move("pay_setup_fees", frozenset(), "", _SUPPORT, (), ("paid_at",), ownership="sold", effect=_pay_setup_fees,
         guard=_fees_unpaid, summary="set-up fees paid: title passes to the customer"),
)}


def allowed_moves(item: Item, roles: frozenset[str] | set[str] | tuple[str, ...] = (ADMIN,)) -> tuple[str, ...]:
    """The moves and records `roles` may run on `item` now, by name (a move may still refuse its inputs)."""
    return tuple(name for name, move in {**MOVES, **RECORDS}.items()
                 if (name in RECORDS or item.state in move.sources) and _fits(move, item)
                 and set(roles) & move.roles and not (move.guard and move.guard(item)))


def _fits(move: Move, item: Item) -> bool:
    return move.ownership is None or move.ownership == item.ownership


def input_problem(name: str, value: Any) -> str | None:
    """Why `value` does not fit the input `name` (None when it does); records are checked by the caller."""
    spec = INPUTS[name]
    if spec.kind in ("text", "choice"):
        if not isinstance(value, str):
            return f"expected text, got {type(value).__name__}"
        if spec.choices and value not in spec.choices:
            return f"expected one of {', '.join(spec.choices)}"
        return f"at most {spec.max_length} characters" if len(value) > spec.max_length else None
    if spec.kind == "text_list":
        if not isinstance(value, (list, tuple)) or not all(isinstance(entry, str) and entry for entry in value):
            return "expected a list of names"
        too_long = [entry for entry in value if len(entry) > spec.max_length]
        return f"at most {spec.max_length} characters a name" if too_long else (
            "at most 64 entries" if len(value) > 64 else None)
    if spec.kind == "date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            return "expected a date"
        return None if value.year in YEARS else f"expected a year from {YEARS.start} to {YEARS.stop - 1}"
    if spec.kind == "datetime":
        if not isinstance(value, dt.datetime) or value.utcoffset() is None:
            return "expected a date and time with its time zone"
        return None if value.year in YEARS else f"expected a year from {YEARS.start} to {YEARS.stop - 1}"
    if spec.kind == "amount":
        whole = isinstance(value, int) and not isinstance(value, bool)
        return None if whole and 0 <= value <= 10**9 else "expected a whole number of cents, 0 or more"
    return None


def plan(item: Item, name: str, given: Mapping[str, Any], roles: frozenset[str] | set[str] | tuple[str, ...],
         now: dt.datetime, rules: Rules) -> Plan:
    """What move `name` does to `item` with inputs `given`; Refused when it may not run."""
    move = MOVES.get(name) or RECORDS.get(name)
    if move is None:
        raise Refused(422, f"no move named {name!r}: expected one of {', '.join([*MOVES, *RECORDS])}")
    if not set(roles) & move.roles:
        raise Refused(403, f"{name} needs one of the roles {', '.join(sorted(move.roles))}")
    if not _fits(move, item):
        raise Refused(409, f"{name} applies to {move.ownership} items only; this one is {item.ownership}",
                      allowed_moves(item, roles))
    if move.name in MOVES and item.state not in move.sources:
        allowed = allowed_moves(item, roles)
        raise Refused(409, f"cannot {name} an item that is {item.state}; allowed now: "
                           f"{', '.join(allowed) if allowed else 'none'}", allowed)
    why_not = move.guard(item) if move.guard else None
    if why_not:
        raise Refused(409, f"cannot {name} this item: {why_not}", allowed_moves(item, roles))
    problems = {key: "required" for key in move.requires if given.get(key) in (None, "", [])}
    unknown = set(given) - set(move.requires) - set(move.optional)
    problems.update({key: f"not an input of {name}" for key in sorted(unknown)})
    for key in set(given) - set(problems):
        why = None if given[key] is None else input_problem(key, given[key])
        if why:
            problems[key] = why
    if problems:
        raise Refused(422, f"{name} needs other inputs", fields=problems)
    try:
        outcome = move.effect(item, given, now, rules)
    except Refused as refused:
        if refused.status == 409 and not refused.allowed:
            refused.allowed = tuple(n for n in allowed_moves(item, roles) if n != name)
        raise
    if isinstance(outcome, Plan):
        return outcome
    return Plan(name, move.target or item.state, outcome)
