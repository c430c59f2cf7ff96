"""The rules of failure tickets (contract clause 4), as pure functions: the vocabulary (states, services,
channels, the seven excusable events), what a ticket is opened with, and the declared table of transitions
between states, with who may run each and what it needs. No database: inventory/ticket_moves.py applies a
plan; the deadlines are inventory/ticket_deadlines.py; docs/failures.rst says which reading each rule takes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inventory.refusals import Reason, Refusal, because, field_problem

STATES = ("open", "in_progress", "waiting_customer", "restored", "closed")
#: States in which the failure is not restored yet: the restoration target runs.
ACTIVE = frozenset({"open", "in_progress", "waiting_customer"})
#: What failed; "equipment" is a device of ours (the ticket then names it).
SERVICES = ("telephony", "internet", "equipment")
#: How the failure reached us: the customer's three channels of clause 4, or the provider itself.
CHANNELS = ("email", "web", "phone", "detected")
#: The seven excusable events of clause 4, in its order (the French text is in docs/failures.rst).
EXCUSES = (
    "operator_delay",  # 1) the main operator, our supplier, takes longer
    "equipment_not_supplied",  # 2) equipment or service not supplied by the provider
    "customer_act",  # 3) acts or omissions of the customer
    "planned_maintenance",  # 4) planned maintenance
    "traffic_over_capacity",  # 5) traffic over the service's capacity
    "other_operator_act",  # 6) acts or omissions of France Télécom or any other operator
    "customer_unavailable",  # 7) the customer unavailable, or not cooperating reasonably
)
NO_ANSWER_REASON = "no answer from the customer (clause 4)"
RESTORED_REASON = "restoration confirmed"

TECHNICIAN, SUPPORT, ADMIN = "technician", "support", "admin"
#: The server's own role, for the no-answer closing: no member of staff holds it.
SYSTEM = "@system"
TEXT_LIMIT = 2000
#: Years a time given may fall in: a typo such as 0226 is refused, not counted from.
YEARS = range(2000, 2200)


# -- opening -----------------------------------------------------------------------------------------

#: What a ticket is opened with: required, then optional.
OPENING_REQUIRED = ("customer", "site", "service", "channel", "notified_at", "description")
OPENING_OPTIONAL = ("equipment",)


def opening_problems(given: Mapping[str, Any], now: dt.datetime) -> dict[str, Reason]:
    """What is wrong with the values a ticket is opened with (records are checked by the caller), by field."""
    problems = {name: field_problem("required", "required") for name in OPENING_REQUIRED
                if given.get(name) in (None, "")}
    expected = (*OPENING_REQUIRED, *OPENING_OPTIONAL)
    problems.update({name: field_problem("unknown_field", f"unknown field: expected {', '.join(expected)}",
                                         expected=expected)
                     for name in sorted(set(given) - set(OPENING_REQUIRED) - set(OPENING_OPTIONAL))})
    present = {name: value for name, value in given.items() if name not in problems and value is not None}
    for name, choices in (("service", SERVICES), ("channel", CHANNELS)):
        if name in present and present[name] not in choices:
            problems[name] = field_problem("not_a_choice", f"expected one of {', '.join(choices)}", choices=choices)
    notified_at = present.get("notified_at")
    if notified_at is not None:
        why = input_problem("restored_at", notified_at)  # the same kind: an aware date and time
        if why:
            problems["notified_at"] = why
        elif notified_at > now:
            problems["notified_at"] = field_problem(
                "later_than_now", "later than now: the time the notification was received, never in the future")
    description = present.get("description")
    if description is not None:
        why = input_problem("note", description)
        if why:
            problems["description"] = why
    if present.get("service") == "equipment" and not present.get("equipment"):
        problems["equipment"] = field_problem("required_for_equipment",
                                              "required when the service is equipment: the failed device")
    return problems


def gives_credit(excuse: str | None, closing_reason: str | None) -> bool:
    """Whether a ticket may give a service credit: not when excused, nor when closed for want of an answer
    (the customer "ne pourra tenir le Prestataire pour responsable")."""
    return not excuse and closing_reason != NO_ANSWER_REASON



# -- the table ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ticket:
    """What the rules read of a ticket."""

    state: str
    notified_at: dt.datetime
    restoration_due_at: dt.datetime
    restored_at: dt.datetime | None = None
    waiting_since: dt.datetime | None = None
    auto_close_at: dt.datetime | None = None
    excuse: str | None = None


@dataclass(frozen=True)
class Rules:
    """What the table needs from the calendar of the ticket's site, given by the caller."""

    no_answer_deadline: Callable[[dt.datetime], dt.datetime]


class Refused(Refusal):
    """A transition that may not run: `status` 403 (role), 404 (no such move), 409 (state) or 422 (inputs), and
    why (inventory/refusals.py)."""

    subject = "ticket"

    def __init__(self, status: int, why: str | Reason, allowed: tuple[str, ...] = (),
                 fields: Mapping[str, str | Reason] | None = None):
        super().__init__(status, why, None, allowed, fields)


@dataclass(frozen=True)
class Input:
    """One input of a transition: "text" (up to TEXT_LIMIT characters), "choice" or "datetime" (aware)."""

    kind: str
    description: str
    choices: tuple[str, ...] = ()


INPUTS: dict[str, Input] = {
    "question": Input("text", "what the customer is asked (the clock of 48 hours without an answer starts)"),
    "confirmation": Input("text", "who confirmed the service works again, and how"),
    "restored_at": Input("datetime", "when the restoration was confirmed (default: now; not in the future, "
                                     "not before the notification)"),
    "reason": Input("text", "why the ticket is reopened"),
    "note": Input("text", "a note"),
    "excuse": Input("choice", "the excusable event of clause 4", EXCUSES),
}

Effect = Callable[[Ticket, Mapping[str, Any], dt.datetime, Rules], dict[str, Any]]
Guard = Callable[[Ticket, dt.datetime], "Reason | None"]


@dataclass(frozen=True)
class Move:
    """One row of the table; `sources` empty and `target` "" for a record that leaves the state alone."""

    name: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    requires: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    effect: Effect = field(default=lambda ticket, given, now, rules: {})
    guard: Guard | None = None
    summary: str = ""


_NOT_WAITING = {"waiting_since": None, "waiting_for": None, "auto_close_at": None}


def _ask(ticket: Ticket, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    return {"waiting_since": now, "waiting_for": given["question"], "auto_close_at": rules.no_answer_deadline(now)}


def _restore(ticket: Ticket, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    restored_at = given.get("restored_at") or now
    if restored_at > now:
        raise Refused(422, because("in_future", "restored_at cannot be in the future", field="restored_at"),
                      fields={"restored_at": field_problem("later_than_now", "later than now")})
    if restored_at < ticket.notified_at:
        raise Refused(422, because("before_notification", "restored_at cannot be before the notification was "
                                                          "received", field="restored_at"),
                      fields={"restored_at": field_problem("earlier_than_notified", "earlier than notified_at")})
    return {**_NOT_WAITING, "restored_at": restored_at, "restoration_confirmation": given["confirmation"]}


def _reopen(ticket: Ticket, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    return {"restored_at": None, "restoration_confirmation": None, "reopen_reason": given["reason"]}


def _close(ticket: Ticket, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    note = given.get("note")
    return {"closed_at": now, "closing_reason": f"{RESTORED_REASON}: {note}" if note else RESTORED_REASON}


def _auto_close(ticket: Ticket, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    # Closed at the moment the rule says, not when the job got to it (after a restart, say).
    return {**_NOT_WAITING, "closed_at": ticket.auto_close_at, "closing_reason": NO_ANSWER_REASON}


def _no_answer_yet(ticket: Ticket, now: dt.datetime) -> Reason | None:
    if ticket.auto_close_at is None or now < ticket.auto_close_at:
        until = ticket.auto_close_at.isoformat() if ticket.auto_close_at else "-"
        return because("customer_may_answer", f"the customer has until {until} to answer", until=ticket.auto_close_at)
    return None


def _excused(ticket: Ticket, now: dt.datetime) -> Reason | None:
    return None if ticket.excuse else because("not_excused", "it is not excused")


_SUPPORT = frozenset({SUPPORT, ADMIN})
_RESTORERS = frozenset({TECHNICIAN, SUPPORT, ADMIN})

MOVES: dict[str, Move] = {move.name: move for move in (
    Move("take_charge", frozenset({"open"}), "in_progress", _SUPPORT,
         effect=lambda ticket, given, now, rules: {"taken_at": now}, summary="support takes the failure in charge"),
    Move("ask_customer", frozenset({"open", "in_progress"}), "waiting_customer", _SUPPORT, ("question",),
         effect=_ask, summary="waiting on the customer's answer; without one within 48 hours the ticket closes"),
    Move("customer_answered", frozenset({"waiting_customer"}), "in_progress", _SUPPORT,
         effect=lambda ticket, given, now, rules: dict(_NOT_WAITING), summary="the customer answered"),
    Move("restore", ACTIVE, "restored", _RESTORERS, ("confirmation",), ("restored_at",), effect=_restore,
         summary="the service works again, confirmed: the restoration time of the credits"),
    Move("reopen", frozenset({"restored"}), "in_progress", _SUPPORT, ("reason",), effect=_reopen,
         summary="not fixed after all: the restoration is cleared and the target runs again"),
    Move("close", frozenset({"restored"}), "closed", _SUPPORT, (), ("note",), effect=_close,
         summary="closed after the restoration"),
    Move("auto_close", frozenset({"waiting_customer"}), "closed", frozenset({SYSTEM}), effect=_auto_close,
         guard=_no_answer_yet, summary="no answer from the customer within 48 hours: deemed resolved"),
)}

#: Facts recorded on a ticket without changing its state, in any state.
RECORDS: dict[str, Move] = {move.name: move for move in (
    Move("excuse", frozenset(), "", _SUPPORT, ("excuse",), ("note",),
         effect=lambda ticket, given, now, rules: {"excuse": given["excuse"], "excuse_note": given.get("note")},
         summary="an excusable event of clause 4: the ticket gives no credit"),
    Move("withdraw_excuse", frozenset(), "", _SUPPORT, guard=_excused,
         effect=lambda ticket, given, now, rules: {"excuse": None, "excuse_note": None},
         summary="the excuse did not hold: the ticket may give a credit again"),
)}


@dataclass(frozen=True)
class Plan:
    """What a transition does: the new state and the ticket's changed fields."""

    move: str
    state: str
    changes: dict[str, Any]


def allowed_moves(ticket: Ticket, roles: frozenset[str] | set[str] | tuple[str, ...], now: dt.datetime
                  ) -> tuple[str, ...]:
    """The transitions `roles` may run on `ticket` now, by name (one may still refuse its inputs)."""
    return tuple(name for name, move in {**MOVES, **RECORDS}.items()
                 if (name in RECORDS or ticket.state in move.sources) and set(roles) & move.roles
                 and not (move.guard and move.guard(ticket, now)))


def input_problem(name: str, value: Any) -> Reason | None:
    """Why `value` does not fit the input `name`, or None when it does."""
    spec = INPUTS[name]
    if spec.kind == "datetime":
        if not isinstance(value, dt.datetime) or value.utcoffset() is None:
            return field_problem("not_a_datetime", "expected a date and time with its time zone, such as "
                                                   "2026-11-26T14:30:00Z")
        return None if value.year in YEARS else field_problem(
            "year_out_of_range", f"expected a year from {YEARS.start} to {YEARS.stop - 1}",
            first=YEARS.start, last=YEARS.stop - 1)
    if not isinstance(value, str) or not value.strip():
        return field_problem("empty_text", "expected non-empty text")
    if spec.choices and value not in spec.choices:
        return field_problem("not_a_choice", f"expected one of {', '.join(spec.choices)}", choices=spec.choices)
    if len(value) > TEXT_LIMIT:
        return field_problem("too_long", f"at most {TEXT_LIMIT} characters", max=TEXT_LIMIT)
    return None


def plan(ticket: Ticket, name: str, given: Mapping[str, Any], roles: frozenset[str] | set[str] | tuple[str, ...],
         now: dt.datetime, rules: Rules) -> Plan:
    """What transition `name` does to `ticket` with inputs `given`; Refused, saying why, when it may not run."""
    move = MOVES.get(name) or RECORDS.get(name)
    if move is None:
        raise Refused(404, because("no_move", f"no ticket transition named {name[:40]!r}: expected one of "
                                              f"{', '.join([*MOVES, *RECORDS])}", name=name[:40]))
    if not set(roles) & move.roles:
        raise Refused(403, because("role", f"{name} needs one of the roles {', '.join(sorted(move.roles))}",
                                   move=name, roles=tuple(sorted(move.roles))))
    if name in MOVES and ticket.state not in move.sources:
        allowed = allowed_moves(ticket, roles, now)
        raise Refused(409, because("wrong_state", f"cannot {name} a ticket that is {ticket.state}; allowed now: "
                                                  f"{', '.join(allowed) if allowed else 'none'}",
                                   move=name, state=ticket.state, allowed=allowed), allowed)
    why_not = move.guard(ticket, now) if move.guard else None
    if why_not:
        raise Refused(409, because("not_now", f"cannot {name} this ticket: {why_not}", move=name, why=why_not),
                      allowed_moves(ticket, roles, now))
    problems: dict[str, str | Reason] = {key: field_problem("required", "required") for key in move.requires
                                         if given.get(key) in (None, "")}
    inputs = (*move.requires, *move.optional)
    unknown = sorted(set(given) - set(inputs))
    problems.update({key: field_problem("not_an_input", f"not an input of {name}: expected "
                                                        f"{', '.join(inputs) or 'none'}", move=name, expected=inputs)
                     for key in unknown})
    for key in set(given) - set(problems):
        why = None if given[key] is None else input_problem(key, given[key])
        if why:
            problems[key] = why
    if problems:
        in_order = tuple(key for key in (*inputs, *unknown) if key in problems)
        raise Refused(422, because("needs_inputs", f"{name} needs other inputs", move=name, fields=in_order),
                      fields=problems)
    return Plan(name, move.target or ticket.state, move.effect(ticket, given, now, rules))
