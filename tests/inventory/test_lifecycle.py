"""The lifecycle table (inventory/lifecycle.py, with its effects and inputs in inventory/lifecycle_effects.py and
inventory/lifecycle_inputs.py): which move runs from which state, for whom, with what, and what it changes; pure,
so every case is a row."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from bson import ObjectId

from inventory.equipment import EQUIPMENT_STATES, Equipment
from inventory.lifecycle import ADMIN, MOVES, RECORDS, SUPPORT, TECHNICIAN, WAREHOUSE, allowed_moves, plan
from inventory.lifecycle_effects import TRIP_FIELDS, add_months
from inventory.lifecycle_plans import Charge, Item, Refused, Rules

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 6, 10, 14, 30, tzinfo=UTC)
RULES = Rules(replacement_deadline=lambda noted: noted + dt.timedelta(hours=72),
              return_due=lambda end: end + dt.timedelta(days=1), today=lambda moment: moment.date(),
              accessory_charge_cents=1500, damage_charge_cents=5000, not_working_charge_cents=10000)
ALL_ROLES = (WAREHOUSE, TECHNICIAN, SUPPORT, ADMIN)

#: Inputs each move accepts, enough for it to run.
VALID_INPUTS = {
    "stage": {"site": str(ObjectId())}, "ship": {"carrier": "Colissimo", "tracking_number": "6A123"},
    "deliver": {"proof": "signed by M. Martin"}, "install": {}, "put_in_service": {},
    "note_failure": {"description": "no dial tone"}, "end_contract": {"contract_end": dt.date(2026, 6, 5)},
    "mark_overdue": {}, "repossess": {}, "check_in": {"condition": "working"}, "inspect": {"result": "ok"},
    "refurbish": {}, "restock": {}, "scrap": {"notes": "broken screen"}, "declare_lost": {"notes": "carrier lost it"},
    "declare_stolen": {"notes": "police report 42"}, "pay_setup_fees": {},
}


def item_for(move: str, state: str, **more) -> Item:
    """An item in `state` that `move` fits in every other respect (ownership, inspection, due date)."""
    ownership = MOVES.get(move, RECORDS.get(move)).ownership or "lent"
    return Item(state=state, ownership=ownership, inspection_result="ok", return_due_on=dt.date(2026, 6, 8), **more)


def refused(item: Item, move: str, given: dict | None = None, roles=(ADMIN,), now: dt.datetime = NOW) -> Refused:
    with pytest.raises(Refused) as caught:
        plan(item, move, VALID_INPUTS[move] if given is None else given, roles, now, RULES)
    return caught.value


def test_every_move_has_valid_inputs_here() -> None:
    assert set(VALID_INPUTS) == set(MOVES) | set(RECORDS)


@pytest.mark.parametrize("state", EQUIPMENT_STATES)
@pytest.mark.parametrize("move", list(MOVES))
def test_every_move_from_every_state(move: str, state: str) -> None:
    item = item_for(move, state)
    if state in MOVES[move].sources:
        assert plan(item, move, VALID_INPUTS[move], (ADMIN,), NOW, RULES).state == MOVES[move].target
    else:
        refusal = refused(item, move)
        assert refusal.status == 409
        assert refusal.allowed == allowed_moves(item, (ADMIN,))
        assert state in refusal.message and move not in refusal.allowed


@pytest.mark.parametrize("state", EQUIPMENT_STATES)
def test_the_moves_allowed_from_each_state_are_those_listing_it(state: str) -> None:
    lent = allowed_moves(Item(state, "lent", inspection_result="ok"), (ADMIN,))
    assert lent == tuple(name for name, move in MOVES.items() if state in move.sources)
    sold = allowed_moves(Item(state, "sold", inspection_result="ok"), (ADMIN,))
    assert "end_contract" not in sold and "pay_setup_fees" in sold


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("move", [*MOVES, *RECORDS])
def test_roles(move: str, role: str) -> None:
    row = MOVES.get(move) or RECORDS[move]
    item = item_for(move, next(iter(row.sources), "in_stock"))
    if role in row.roles:
        assert plan(item, move, VALID_INPUTS[move], (role,), NOW, RULES).move == move
    else:
        refusal = refused(item, move, roles=(role,))
        assert refusal.status == 403 and "roles" in refusal.message


def test_admin_may_run_every_move() -> None:
    assert all(ADMIN in move.roles for move in [*MOVES.values(), *RECORDS.values()])


@pytest.mark.parametrize("move,missing", [(name, key) for name, row in MOVES.items() for key in row.requires])
def test_required_inputs(move: str, missing: str) -> None:
    given = {key: value for key, value in VALID_INPUTS[move].items() if key != missing}
    refusal = refused(item_for(move, next(iter(MOVES[move].sources))), move, given)
    assert (refusal.status, refusal.fields) == (422, {missing: "required"})


@pytest.mark.parametrize("move,given,field,why", [
    ("install", {"proof": "x"}, "proof", "not an input of install"),
    ("check_in", {"condition": "broken"}, "condition", "expected one of working, damaged, not_working"),
    ("inspect", {"result": "fine"}, "result", "expected one of ok, repair, scrap"),
    ("end_contract", {"contract_end": dt.datetime(2026, 6, 5, tzinfo=UTC)}, "contract_end", "expected a date"),
    ("deliver", {"proof": "x", "delivered_at": dt.datetime(2026, 6, 5)}, "delivered_at",
     "expected a date and time with its time zone"),
    ("repossess", {"costs_cents": -1}, "costs_cents", "expected a whole number of cents, 0 or more"),
    ("end_contract", {"contract_end": dt.date(9999, 12, 31)}, "contract_end", "expected a year from 2000 to 2199"),
    ("pay_setup_fees", {"paid_at": dt.datetime(226, 6, 1, tzinfo=UTC)}, "paid_at", "expected a year from 2000 to 2199"),
    ("ship", {"carrier": "x", "tracking_number": "y", "accessories": ["cable", 3]}, "accessories",
     "expected a list of names"),
    ("scrap", {"notes": "x" * 2001}, "notes", "at most 2000 characters"),
    ("deliver", {"proof": "x", "delivered_at": NOW + dt.timedelta(minutes=1)}, "delivered_at", "later than now"),
    ("note_failure", {"description": "x", "noted_at": NOW + dt.timedelta(days=1)}, "noted_at", "later than now"),
])
def test_invalid_inputs(move: str, given: dict, field: str, why: str) -> None:
    row = MOVES.get(move) or RECORDS[move]
    item = item_for(move, next(iter(row.sources), "in_service"))
    refusal = refused(item, move, given)
    assert refusal.status == 422 and refusal.fields[field] == why


def test_unknown_move() -> None:
    with pytest.raises(Refused) as caught:
        plan(Item("in_stock", "lent"), "teleport", {}, (ADMIN,), NOW, RULES)
    assert caught.value.status == 422 and "stage" in caught.value.message


# -- ownership -------------------------------------------------------------------------------------


def test_only_lent_items_end_with_a_contract() -> None:
    refusal = refused(Item("in_service", "sold"), "end_contract")
    assert refusal.status == 409 and "lent items only" in refusal.message
    assert "note_failure" in refusal.allowed
    done = plan(Item("in_service", "lent"), "end_contract", {"contract_end": dt.date(2026, 6, 5)}, (ADMIN,), NOW, RULES)
    assert done.changes == {"contract_ended_on": dt.date(2026, 6, 5), "return_due_on": dt.date(2026, 6, 6)}


def test_only_sold_items_pay_set_up_fees_once() -> None:
    assert refused(Item("in_service", "lent"), "pay_setup_fees").status == 409
    paid_at = NOW - dt.timedelta(days=2)
    done = plan(Item("in_service", "sold"), "pay_setup_fees", {"paid_at": paid_at}, (SUPPORT,), NOW, RULES)
    assert (done.state, done.changes) == ("in_service", {"setup_fees_paid_at": paid_at, "title_transferred_at": paid_at})
    again = refused(Item("in_service", "sold", setup_fees_paid_at=paid_at), "pay_setup_fees")
    assert again.status == 409 and "already paid" in again.message
    assert "pay_setup_fees" not in allowed_moves(Item("in_service", "sold", setup_fees_paid_at=paid_at))


# -- warranty and failures -------------------------------------------------------------------------


@pytest.mark.parametrize("delivered,warranty_end", [
    (dt.datetime(2026, 3, 15, 10, 0, tzinfo=UTC), dt.datetime(2027, 3, 15, 10, 0, tzinfo=UTC)),
    (dt.datetime(2026, 1, 31, 10, 0, tzinfo=UTC), dt.datetime(2027, 1, 31, 10, 0, tzinfo=UTC)),
    (dt.datetime(2027, 2, 28, 9, 0, tzinfo=UTC), dt.datetime(2028, 2, 28, 9, 0, tzinfo=UTC)),
    (dt.datetime(2028, 2, 29, 9, 0, tzinfo=UTC), dt.datetime(2029, 2, 28, 9, 0, tzinfo=UTC)),
])
def test_warranty_ends_twelve_months_after_delivery(delivered: dt.datetime, warranty_end: dt.datetime) -> None:
    now = delivered + dt.timedelta(hours=1)
    done = plan(Item("shipped", "sold"), "deliver", {"proof": "signed", "delivered_at": delivered}, (ADMIN,), now, RULES)
    assert done.changes["warranty_end"] == warranty_end and done.changes["delivered_at"] == delivered
    lent = plan(Item("shipped", "lent"), "deliver", {"proof": "signed"}, (ADMIN,), now, RULES)
    assert "warranty_end" not in lent.changes and lent.changes["delivered_at"] == now


@pytest.mark.parametrize("start,months,end", [
    (dt.datetime(2027, 1, 31, tzinfo=UTC), 1, dt.datetime(2027, 2, 28, tzinfo=UTC)),
    (dt.datetime(2028, 1, 31, tzinfo=UTC), 1, dt.datetime(2028, 2, 29, tzinfo=UTC)),
    (dt.datetime(2026, 3, 31, tzinfo=UTC), 12, dt.datetime(2027, 3, 31, tzinfo=UTC)),
    (dt.datetime(2026, 8, 31, tzinfo=UTC), 6, dt.datetime(2027, 2, 28, tzinfo=UTC)),
    (dt.datetime(2026, 12, 15, tzinfo=UTC), 1, dt.datetime(2027, 1, 15, tzinfo=UTC)),
])
def test_add_months(start: dt.datetime, months: int, end: dt.datetime) -> None:
    assert add_months(start, months) == end


@pytest.mark.parametrize("ownership,warranty_end,replacement", [
    ("lent", None, "due"),
    ("sold", NOW + dt.timedelta(days=1), "due"),
    ("sold", NOW - dt.timedelta(seconds=1), "quote"),
    ("sold", NOW, "quote"),  # the warranty covers up to, not including, its end
    ("sold", None, "quote"),  # never delivered: no warranty started
])
def test_failure_replacement_or_quote(ownership: str, warranty_end: dt.datetime | None, replacement: str) -> None:
    item = Item("in_service", ownership, warranty_end=warranty_end)
    done = plan(item, "note_failure", {"description": "dead", "noted_at": NOW}, (TECHNICIAN,), NOW, RULES)
    assert done.state == "failed" and done.changes["replacement"] == replacement
    assert done.changes["replacement_due_at"] == (NOW + dt.timedelta(hours=72) if replacement == "due" else None)


# -- returns ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("state,ownership,shipped,returned,condition,charges", [
    ("return_due", "lent", ("cable", "cable", "psu"), ["cable"], "working",
     [Charge("missing accessory: cable", 1500), Charge("missing accessory: psu", 1500)]),
    ("return_due", "lent", ("cable", "psu"), ["psu", "cable", "manual"], "working", []),
    ("return_due", "lent", (), [], "damaged", [Charge("returned damaged", 5000)]),
    ("overdue", "lent", ("cable",), [], "not_working",
     [Charge("missing accessory: cable", 1500), Charge("returned not working, no failure reported", 10000)]),
    ("failed", "lent", (), [], "not_working", []),
    ("failed", "lent", (), [], "damaged", [Charge("returned damaged", 5000)]),
    ("failed", "sold", ("cable",), [], "damaged", []),
])
def test_check_in_charges(state: str, ownership: str, shipped: tuple, returned: list, condition: str,
                          charges: list[Charge]) -> None:
    item = Item(state, ownership, shipped_accessories=shipped)
    done = plan(item, "check_in", {"condition": condition, "accessories": returned}, (WAREHOUSE,), NOW, RULES)
    assert done.state == "returned" and list(done.charges) == charges
    assert done.changes == {"returned_at": NOW, "returned_accessories": sorted(returned), "return_condition": condition}


def test_restock_clears_the_trip() -> None:
    done = plan(Item("inspected", "lent", inspection_result="ok"), "restock", {}, (WAREHOUSE,), NOW, RULES)
    assert done.state == "in_stock"
    assert done.changes == {**{name: None for name in TRIP_FIELDS}, "lines": [], "restocked_at": NOW}
    assert {"site", "shipped_accessories", "return_due_on", "inspection_result", "refurbishing_since"} <= set(TRIP_FIELDS)
    assert "warranty_end" not in done.changes and "title_transferred_at" not in done.changes


@pytest.mark.parametrize("result,restock,refurbish", [("ok", True, True), ("repair", False, True),
                                                      ("scrap", False, False)])
def test_what_an_inspection_allows(result: str, restock: bool, refurbish: bool) -> None:
    item = Item("inspected", "lent", inspection_result=result)
    allowed = allowed_moves(item, (WAREHOUSE,))
    assert ("restock" in allowed, "refurbish" in allowed, "scrap" in allowed) == (restock, refurbish, True)
    if not restock:
        refusal = refused(item, "restock")
        assert refusal.status == 409 and result in refusal.message and "scrap" in refusal.allowed
    later = plan(replace(item, state="refurbishing"), "restock", {}, (WAREHOUSE,), NOW, RULES) if refurbish else None
    assert later is None or later.state == "in_stock"


@pytest.mark.parametrize("today,overdue", [(dt.date(2026, 6, 7), False), (dt.date(2026, 6, 8), False),
                                           (dt.date(2026, 6, 9), True)])
def test_mark_overdue_only_after_the_due_date(today: dt.date, overdue: bool) -> None:
    item = Item("return_due", "lent", return_due_on=dt.date(2026, 6, 8))
    now = dt.datetime.combine(today, dt.time(9, 0), UTC)
    if overdue:
        assert plan(item, "mark_overdue", {}, (SUPPORT,), now, RULES).changes == {"overdue_since": now}
    else:
        refusal = refused(item, "mark_overdue", {}, now=now)
        assert refusal.status == 409 and "2026-06-08" in refusal.message
        assert "mark_overdue" not in refusal.allowed and "check_in" in refusal.allowed


def test_ship_records_the_accessories_and_the_item_replaced() -> None:
    faulty = str(ObjectId())
    done = plan(Item("staged", "lent"), "ship", {"carrier": "DHL", "tracking_number": "JD01", "replaces": faulty,
                                                 "accessories": ["psu", "cable", "cable"]}, (WAREHOUSE,), NOW, RULES)
    assert done.changes == {"carrier": "DHL", "tracking_number": "JD01", "shipped_at": NOW,
                            "shipped_accessories": ["cable", "cable", "psu"], "replaces": faulty}


@pytest.mark.parametrize("move", [*MOVES, *RECORDS])
def test_every_field_a_move_writes_is_an_equipment_field(move: str) -> None:
    row = MOVES.get(move) or RECORDS[move]
    item = item_for(move, next(iter(row.sources), "in_service"))
    assert set(plan(item, move, VALID_INPUTS[move], (ADMIN,), NOW, RULES).changes) <= set(Equipment._fields)
    assert set(TRIP_FIELDS) <= set(Equipment._fields)
