"""The equipment lifecycle, declared in one table: which move goes from which states to which, who may
run it, what it needs, and what it changes; and the planning of one move against it. Pure: no database;
inventory/transitions.py applies a plan.

Failing closed: a move not in the table, from a state not listed, by a role not listed, or without what
it needs is refused with the reason and, for a wrong state, the moves the item allows. What each move
changes is inventory/lifecycle_effects.py; its inputs and their checks, inventory/lifecycle_inputs.py; the
values a plan reads and answers (`Item`, `Rules`, `Plan`, `Refused`), inventory/lifecycle_plans.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inventory.lifecycle_effects import (
    check_in,
    deliver,
    end_contract,
    inspect,
    mark_overdue,
    note_failure,
    pay_setup_fees,
    repossess,
    restock,
    ship,
    stage,
    stamp,
    write_off,
)
from inventory.lifecycle_inputs import input_problem
from inventory.lifecycle_plans import Effect, Item, Plan, Refused, Rules
from inventory.refusals import Reason, because, field_problem

#: States in which an item is at the customer's, with the risk on the customer (from delivery on).
AT_CUSTOMER = frozenset({"delivered", "installed", "in_service", "failed", "return_due", "overdue", "repossession"})
#: States out of our hands for good, or for now (lost and stolen items may be found again: not modelled).
GONE = frozenset({"scrapped", "lost", "stolen"})

WAREHOUSE, TECHNICIAN, SUPPORT, ADMIN = "warehouse", "technician", "support", "admin"

#: Why a move may not run on this item now (None: it may), beyond its source states and ownership.
Guard = Callable[[Item], "Reason | None"]


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


# -- guards -----------------------------------------------------------------------------------------


def _restockable(item: Item) -> Reason | None:
    if item.state == "inspected" and item.inspection_result != "ok":
        return because("inspected_not_ok", f"it was inspected as {item.inspection_result or 'nothing'}: refurbish "
                                           "or scrap it first", result=item.inspection_result)
    return None


def _repairable(item: Item) -> Reason | None:
    return because("inspected_scrap", "it was inspected as scrap") if item.inspection_result == "scrap" else None


def _fees_unpaid(item: Item) -> Reason | None:
    return because("fees_paid", "the set-up fees are already paid") if item.setup_fees_paid_at is not None else None


_EVERYONE_AT_WAREHOUSE = frozenset({WAREHOUSE, ADMIN})
_SERVICE = frozenset({TECHNICIAN, SUPPORT, ADMIN})
_SUPPORT = frozenset({SUPPORT, ADMIN})

MOVES: dict[str, Move] = {move.name: move for move in (
    Move("stage", frozenset({"in_stock"}), "staged", _EVERYONE_AT_WAREHOUSE, ("site",), ("lines",),
         effect=stage, summary="bind to a site and its lines; the configuration is ready"),
    Move("ship", frozenset({"staged"}), "shipped", _EVERYONE_AT_WAREHOUSE, ("carrier", "tracking_number"),
         ("accessories", "replaces"), effect=ship, summary="hand to a carrier, with the accessories shipped"),
    Move("deliver", frozenset({"shipped"}), "delivered", _EVERYONE_AT_WAREHOUSE | _SERVICE, ("proof",),
         ("place", "delivered_at"), effect=deliver,
         summary="delivered on the customer's premises: the risk passes; a sold item's warranty starts"),
    Move("install", frozenset({"delivered"}), "installed", _SERVICE, effect=stamp("installed_at"),
         summary="installed on the site"),
    Move("put_in_service", frozenset({"installed"}), "in_service", _SERVICE, effect=stamp("in_service_at"),
         summary="in service"),
    Move("note_failure", frozenset({"delivered", "installed", "in_service"}), "failed", _SERVICE, ("description",),
         ("noted_at",), effect=note_failure,
         summary="failure noted: replacement due within 72 hours (lent, or sold under warranty), else a quote"),
    Move("end_contract", frozenset({"delivered", "installed", "in_service", "failed"}), "return_due", _SUPPORT,
         ("contract_end",), ownership="lent", effect=end_contract,
         summary="contract ended: due back on the first business day after"),
    Move("mark_overdue", frozenset({"return_due"}), "overdue", _SUPPORT | _EVERYONE_AT_WAREHOUSE, effect=mark_overdue,
         summary="not back on its due date"),
    Move("repossess", frozenset({"overdue"}), "repossession", _SUPPORT, (), ("agent", "costs_cents"),
         effect=repossess, summary="repossession case opened, its costs to the customer"),
    Move("check_in", frozenset({"failed", "return_due", "overdue", "repossession"}), "returned",
         _EVERYONE_AT_WAREHOUSE, ("condition",), ("accessories",), effect=check_in,
         summary="back at the warehouse, checked against what was shipped"),
    Move("inspect", frozenset({"returned"}), "inspected", _EVERYONE_AT_WAREHOUSE, ("result",), ("notes",),
         effect=inspect, summary="inspected: ok, to repair, or to scrap"),
    Move("refurbish", frozenset({"inspected"}), "refurbishing", _EVERYONE_AT_WAREHOUSE,
         effect=stamp("refurbishing_since"), guard=_repairable,
         summary="sent for repair or refurbishment (not when inspected as scrap)"),
    Move("restock", frozenset({"inspected", "refurbishing"}), "in_stock", _EVERYONE_AT_WAREHOUSE, effect=restock,
         guard=_restockable, summary="back in stock for another customer (straight from inspection only when ok)"),
    Move("scrap", frozenset({"inspected", "refurbishing"}), "scrapped", _EVERYONE_AT_WAREHOUSE, ("notes",),
         effect=write_off, summary="scrapped"),
    Move("declare_lost", AT_CUSTOMER | {"shipped"}, "lost", _SUPPORT | _EVERYONE_AT_WAREHOUSE, ("notes",),
         effect=write_off, summary="lost (in transit or at the customer's)"),
    Move("declare_stolen", AT_CUSTOMER | {"shipped"}, "stolen", _SUPPORT | _EVERYONE_AT_WAREHOUSE, ("notes",),
         effect=write_off, summary="stolen"),
)}

#: Facts recorded on an item without changing its state: allowed in any state but those listed.
RECORDS: dict[str, Move] = {move.name: move for move in (
    Move("pay_setup_fees", frozenset(), "", _SUPPORT, (), ("paid_at",), ownership="sold", effect=pay_setup_fees,
         guard=_fees_unpaid, summary="set-up fees paid: title passes to the customer"),
)}


def allowed_moves(item: Item, roles: frozenset[str] | set[str] | tuple[str, ...] = (ADMIN,)) -> tuple[str, ...]:
    """The moves and records `roles` may run on `item` now, by name (a move may still refuse its inputs)."""
    return tuple(name for name, move in {**MOVES, **RECORDS}.items()
                 if (name in RECORDS or item.state in move.sources) and _fits(move, item)
                 and set(roles) & move.roles and not (move.guard and move.guard(item)))


def _fits(move: Move, item: Item) -> bool:
    return move.ownership is None or move.ownership == item.ownership


def plan(item: Item, name: str, given: Mapping[str, Any], roles: frozenset[str] | set[str] | tuple[str, ...],
         now: dt.datetime, rules: Rules) -> Plan:
    """What move `name` does to `item` with inputs `given`; Refused when it may not run."""
    move = MOVES.get(name) or RECORDS.get(name)
    if move is None:
        raise Refused(422, because("no_move", f"no move named {name!r}: expected one of "
                                              f"{', '.join([*MOVES, *RECORDS])}", name=name[:40]))
    if not set(roles) & move.roles:
        raise Refused(403, because("role", f"{name} needs one of the roles {', '.join(sorted(move.roles))}",
                                   move=name, roles=tuple(sorted(move.roles))))
    if not _fits(move, item):
        raise Refused(409, because("ownership", f"{name} applies to {move.ownership} items only; this one is "
                                                f"{item.ownership}", move=name, ownership=move.ownership,
                                   actual=item.ownership), allowed_moves(item, roles))
    if move.name in MOVES and item.state not in move.sources:
        allowed = allowed_moves(item, roles)
        raise Refused(409, because("wrong_state", f"cannot {name} an item that is {item.state}; allowed now: "
                                                  f"{', '.join(allowed) if allowed else 'none'}",
                                   move=name, state=item.state, allowed=allowed), allowed)
    why_not = move.guard(item) if move.guard else None
    if why_not:
        raise Refused(409, because("not_now", f"cannot {name} this item: {why_not}", move=name, why=why_not),
                      allowed_moves(item, roles))
    problems: dict[str, str | Reason] = {key: field_problem("required", "required") for key in move.requires
                                         if given.get(key) in (None, "", [])}
    unknown = set(given) - set(move.requires) - set(move.optional)
    problems.update({key: field_problem("not_an_input", f"not an input of {name}", move=name)
                     for key in sorted(unknown)})
    for key in set(given) - set(problems):
        why = None if given[key] is None else input_problem(key, given[key])
        if why:
            problems[key] = why
    if problems:
        in_order = tuple(key for key in (*move.requires, *move.optional, *sorted(unknown)) if key in problems)
        raise Refused(422, because("needs_inputs", f"{name} needs other inputs", move=name, fields=in_order),
                      fields=problems)
    try:
        outcome = move.effect(item, given, now, rules)
    except Refused as refused:
        if refused.status == 409 and not refused.allowed:
            refused.allowed = tuple(n for n in allowed_moves(item, roles) if n != name)
        raise
    if isinstance(outcome, Plan):
        return outcome
    return Plan(name, move.target or item.state, outcome)
