"""The failure tickets' table (inventory/ticket_rules.py), case by case: every transition from every state, who may
run it, what it needs and what it writes; and what a ticket is opened with."""

from __future__ import annotations

import datetime as dt

import pytest

from inventory import ticket_rules
from inventory.ticket_rules import (
    MOVES,
    NO_ANSWER_REASON,
    RECORDS,
    STATES,
    SYSTEM,
    Refused,
    Rules,
    Ticket,
    allowed_moves,
    opening_problems,
    plan,
)

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
NOTIFIED = NOW - dt.timedelta(hours=2)
RULES = Rules(no_answer_deadline=lambda since: since + dt.timedelta(hours=48))
SUPPORT, TECH, ADMIN = ("support",), ("technician",), ("admin",)
#: Inputs each transition is run with in the state table.
INPUTS = {"ask_customer": {"question": "Is the phone plugged in?"}, "restore": {"confirmation": "customer, by phone"},
          "reopen": {"reason": "fails again"}}


def ticket(state: str, **fields) -> Ticket:  # type: ignore[no-untyped-def]
    return Ticket(state=state, notified_at=NOTIFIED, restoration_due_at=NOTIFIED + dt.timedelta(hours=4), **fields)


#: (state, transition) -> the state it leads to; every pair not listed is refused with 409.
LEADS_TO = {
    ("open", "take_charge"): "in_progress",
    ("open", "ask_customer"): "waiting_customer",
    ("in_progress", "ask_customer"): "waiting_customer",
    ("waiting_customer", "customer_answered"): "in_progress",
    ("open", "restore"): "restored",
    ("in_progress", "restore"): "restored",
    ("waiting_customer", "restore"): "restored",
    ("restored", "reopen"): "in_progress",
    ("restored", "close"): "closed",
}
STAFF_MOVES = [name for name in MOVES if name != "auto_close"]


@pytest.mark.parametrize(("state", "name"), [(s, n) for s in STATES for n in STAFF_MOVES])
def test_every_transition_from_every_state(state: str, name: str) -> None:
    expected = LEADS_TO.get((state, name))
    if expected is None:
        with pytest.raises(Refused) as refused:
            plan(ticket(state), name, INPUTS.get(name, {}), ADMIN, NOW, RULES)
        assert refused.value.status == 409
        assert f"cannot {name} a ticket that is {state}" in refused.value.message
        assert name not in refused.value.allowed
    else:
        assert plan(ticket(state), name, INPUTS.get(name, {}), ADMIN, NOW, RULES).state == expected


@pytest.mark.parametrize(("roles", "name", "allowed"), [
    (TECH, "restore", True),
    (TECH, "take_charge", False),
    (TECH, "ask_customer", False),
    (TECH, "excuse", False),
    (SUPPORT, "take_charge", True),
    (SUPPORT, "excuse", True),
    (("warehouse",), "restore", False),
    (ADMIN, "restore", True),
    (ADMIN, "auto_close", False),
    (SUPPORT, "auto_close", False),
])
def test_who_may_run_what(roles: tuple[str, ...], name: str, allowed: bool) -> None:
    state = "waiting_customer" if name == "auto_close" else "open"
    given = {"excuse": "planned_maintenance"} if name == "excuse" else INPUTS.get(name, {})
    if allowed:
        plan(ticket(state), name, given, roles, NOW, RULES)
    else:
        with pytest.raises(Refused) as refused:
            plan(ticket(state), name, given, roles, NOW, RULES)
        assert refused.value.status == 403 and "needs one of the roles" in refused.value.message


def test_a_technician_is_offered_restore_only() -> None:
    assert allowed_moves(ticket("in_progress"), TECH, NOW) == ("restore",)
    assert allowed_moves(ticket("open"), SUPPORT, NOW) == ("take_charge", "ask_customer", "restore", "excuse")


def test_asking_the_customer_starts_the_48_hours() -> None:
    asked = plan(ticket("in_progress"), "ask_customer", INPUTS["ask_customer"], SUPPORT, NOW, RULES)
    assert asked.changes == {"waiting_since": NOW, "waiting_for": "Is the phone plugged in?",
                             "auto_close_at": NOW + dt.timedelta(hours=48)}
    answered = plan(ticket("waiting_customer", waiting_since=NOW), "customer_answered", {}, SUPPORT, NOW, RULES)
    assert answered.changes == {"waiting_since": None, "waiting_for": None, "auto_close_at": None}


AUTO_CLOSE_AT = NOW - dt.timedelta(minutes=1)


@pytest.mark.parametrize(("auto_close_at", "now", "closes"), [
    (AUTO_CLOSE_AT, NOW, True),
    (AUTO_CLOSE_AT, AUTO_CLOSE_AT, True),  # the 48th hour is over at that instant
    (AUTO_CLOSE_AT, AUTO_CLOSE_AT - dt.timedelta(seconds=1), False),
    (None, NOW, False),
])
def test_auto_close_only_once_the_48_hours_are_over(auto_close_at, now, closes) -> None:  # type: ignore[no-untyped-def]
    waiting = ticket("waiting_customer", waiting_since=NOW - dt.timedelta(hours=49), auto_close_at=auto_close_at)
    if closes:
        closed = plan(waiting, "auto_close", {}, (SYSTEM,), now, RULES)
        # Closed at the moment the rule says, even when the job runs later.
        assert (closed.state, closed.changes["closed_at"], closed.changes["closing_reason"]) == (
            "closed", auto_close_at, NO_ANSWER_REASON)
        assert closed.changes["waiting_since"] is None
    else:
        with pytest.raises(Refused) as refused:
            plan(waiting, "auto_close", {}, (SYSTEM,), now, RULES)
        assert refused.value.status == 409 and "to answer" in refused.value.message


RESTORE_CASES = [
    # (why, inputs, expected restored_at, or the field refused)
    ("now by default", {"confirmation": "ok"}, NOW, None),
    ("a time given", {"confirmation": "ok", "restored_at": NOW - dt.timedelta(hours=1)}, NOW - dt.timedelta(hours=1),
     None),
    ("at the notification", {"confirmation": "ok", "restored_at": NOTIFIED}, NOTIFIED, None),
    ("in the future", {"confirmation": "ok", "restored_at": NOW + dt.timedelta(seconds=1)}, None, "restored_at"),
    ("before the notification", {"confirmation": "ok", "restored_at": NOTIFIED - dt.timedelta(seconds=1)}, None,
     "restored_at"),
    ("naive time", {"confirmation": "ok", "restored_at": dt.datetime(2026, 11, 26, 9, 0)}, None, "restored_at"),
    ("no confirmation", {}, None, "confirmation"),
    ("blank confirmation", {"confirmation": "  "}, None, "confirmation"),
    ("confirmation too long", {"confirmation": "x" * 2001}, None, "confirmation"),
    ("confirmation not text", {"confirmation": 42}, None, "confirmation"),
    ("an input of another transition", {"confirmation": "ok", "question": "?"}, None, "question"),
]


@pytest.mark.parametrize(("why", "given", "restored_at", "refused_field"), RESTORE_CASES,
                         ids=[c[0] for c in RESTORE_CASES])
def test_restore_inputs(why: str, given: dict, restored_at, refused_field) -> None:  # type: ignore[no-untyped-def]
    if refused_field is None:
        restored = plan(ticket("waiting_customer"), "restore", given, TECH, NOW, RULES)
        assert restored.changes["restored_at"] == restored_at
        assert restored.changes["auto_close_at"] is None  # no longer waiting on the customer
    else:
        with pytest.raises(Refused) as refused:
            plan(ticket("in_progress"), "restore", given, TECH, NOW, RULES)
        assert refused.value.status == 422 and refused_field in refused.value.fields


def test_reopen_clears_the_restoration_and_close_says_why() -> None:
    reopened = plan(ticket("restored", restored_at=NOW), "reopen", {"reason": "fails again"}, SUPPORT, NOW, RULES)
    assert reopened.changes == {"restored_at": None, "restoration_confirmation": None, "reopen_reason": "fails again"}
    assert plan(ticket("restored"), "close", {}, SUPPORT, NOW, RULES).changes["closing_reason"] == \
        "restoration confirmed"
    assert plan(ticket("restored"), "close", {"note": "by mail"}, SUPPORT, NOW, RULES).changes["closing_reason"] == \
        "restoration confirmed: by mail"


@pytest.mark.parametrize("state", STATES)
def test_excuse_in_any_state_and_withdraw_only_when_excused(state: str) -> None:
    excused = plan(ticket(state), "excuse", {"excuse": "operator_delay", "note": "ticket 1234 at the operator"},
                   SUPPORT, NOW, RULES)
    assert (excused.state, excused.changes) == (state, {"excuse": "operator_delay",
                                                        "excuse_note": "ticket 1234 at the operator"})
    with pytest.raises(Refused) as refused:
        plan(ticket(state), "excuse", {"excuse": "bad weather"}, SUPPORT, NOW, RULES)
    assert refused.value.status == 422 and "expected one of operator_delay" in refused.value.fields["excuse"]
    with pytest.raises(Refused) as not_excused:
        plan(ticket(state), "withdraw_excuse", {}, SUPPORT, NOW, RULES)
    assert not_excused.value.status == 409
    assert plan(ticket(state, excuse="customer_act"), "withdraw_excuse", {}, SUPPORT, NOW, RULES).changes == {
        "excuse": None, "excuse_note": None}


def test_the_seven_excusable_events_of_clause_4() -> None:
    assert len(ticket_rules.EXCUSES) == 7 == len(set(ticket_rules.EXCUSES))


def test_an_unknown_transition_is_404() -> None:
    with pytest.raises(Refused) as refused:
        plan(ticket("open"), "teleport", {}, ADMIN, NOW, RULES)
    assert refused.value.status == 404 and "take_charge" in refused.value.message
    assert set(RECORDS) == {"excuse", "withdraw_excuse"}


GOOD = {"customer": "a" * 24, "site": "b" * 24, "service": "telephony", "channel": "phone",
        "notified_at": NOW - dt.timedelta(minutes=5), "description": "no dial tone"}
OPENING_CASES = [
    # (why, changes to GOOD, the fields refused)
    ("all good", {}, set()),
    ("notified a year ago is fine", {"notified_at": NOW - dt.timedelta(days=365)}, set()),
    ("notified now is fine", {"notified_at": NOW}, set()),
    ("notified in the future", {"notified_at": NOW + dt.timedelta(seconds=1)}, {"notified_at"}),
    ("notified without a zone", {"notified_at": dt.datetime(2026, 11, 26, 9, 0)}, {"notified_at"}),
    ("notified in year 1", {"notified_at": dt.datetime(1, 1, 1, tzinfo=dt.UTC)}, {"notified_at"}),
    ("unknown service", {"service": "television"}, {"service"}),
    ("unknown channel", {"channel": "fax"}, {"channel"}),
    ("channel not text", {"channel": ["phone"]}, {"channel"}),
    ("empty description", {"description": ""}, {"description"}),
    ("description too long", {"description": "x" * 2001}, {"description"}),
    ("equipment service without a device", {"service": "equipment"}, {"equipment"}),
    ("an unknown field", {"priority": "high"}, {"priority"}),
    ("nothing at all", {name: None for name in GOOD}, set(ticket_rules.OPENING_REQUIRED)),
]


@pytest.mark.parametrize(("why", "changes", "fields"), OPENING_CASES, ids=[c[0] for c in OPENING_CASES])
def test_opening_problems(why: str, changes: dict, fields: set[str]) -> None:
    assert set(opening_problems({**GOOD, **changes}, NOW)) == fields
