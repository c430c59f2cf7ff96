"""What each lifecycle move changes on an item, and what a return costs: the effects the table
(inventory/lifecycle.py) names, as pure functions of the item, the move's inputs, the time and the `Rules`.

Clause 3 of the contract shapes them (../shared/CONTRACT_RULES.md): delivery passes the risk to the customer
and starts a sold item's 12-month warranty; a failed item is replaced within 72 hours when lent, or sold and
under warranty (otherwise the customer gets a quote); a lent item is due back on the first business day
after the contract ends, then overdue, then repossessed; what comes back is checked against what was shipped.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from typing import Any

from inventory.lifecycle_plans import Charge, Effect, Item, Plan, Refused, Rules
from inventory.refusals import because, field_problem

WARRANTY_MONTHS = 12
#: A failed item's replacement: due within 72 hours (lent, or sold under warranty), or a quote to the customer.
REPLACEMENTS = ("due", "quote")

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


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same day `months` later, or the month's last day when it has no such day (31 January + 1 month)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def under_warranty(item: Item, moment: dt.datetime) -> bool:
    """Whether a sold item's warranty covers `moment` (12 months from delivery)."""
    return item.warranty_end is not None and moment < item.warranty_end


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


def _not_later_than(now: dt.datetime, given: Mapping[str, Any], name: str) -> dt.datetime:
    moment = given.get(name) or now
    if moment > now:
        raise Refused(422, because("in_future", f"{name} cannot be in the future", field=name),
                      fields={name: field_problem("later_than_now", "later than now")})
    return moment


def stage(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    """The site and lines the item is bound to."""
    return {"site": given["site"], "lines": list(given.get("lines") or []), "staged_at": now}


def ship(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    """The carrier, its tracking number, the accessories shipped and the failed item this one replaces."""
    return {"carrier": given["carrier"], "tracking_number": given["tracking_number"], "shipped_at": now,
            "shipped_accessories": sorted(given.get("accessories") or []), "replaces": given.get("replaces")}


def deliver(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    """The delivery's time, proof and place; a sold item's warranty end, 12 months on."""
    delivered_at = _not_later_than(now, given, "delivered_at")
    changes = {"delivered_at": delivered_at, "delivery_proof": given["proof"], "delivery_place": given.get("place")}
    if item.ownership == "sold":
        changes["warranty_end"] = add_months(delivered_at, WARRANTY_MONTHS)
    return changes


def note_failure(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    """The failure, and its replacement: due by the 72-hour deadline when lent or under warranty, else a quote."""
    noted_at = _not_later_than(now, given, "noted_at")
    covered = item.ownership == "lent" or under_warranty(item, noted_at)
    return {"failure_noted_at": noted_at, "failure_description": given["description"],
            "replacement": "due" if covered else "quote",
            "replacement_due_at": rules.replacement_deadline(noted_at) if covered else None}


def end_contract(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    """The contract's last day and the day the item is due back."""
    return {"contract_ended_on": given["contract_end"], "return_due_on": rules.return_due(given["contract_end"])}


def mark_overdue(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    """Since when the item is overdue; refused (409) before its due date has passed."""
    if item.return_due_on is None or rules.today(now) <= item.return_due_on:
        raise Refused(409, because("not_overdue", f"not overdue yet: due back on {item.return_due_on or 'no date'}",
                                   due_on=item.return_due_on))
    return {"overdue_since": now}


def repossess(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    """The repossession case: when it opened, its agent and its costs to the customer."""
    return {"repossession_opened_at": now, "repossession_agent": given.get("agent"),
            "repossession_costs_cents": given.get("costs_cents") or 0}


def check_in(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> Plan:
    """What came back and in what condition, with the charges it costs (`check_in_charges`)."""
    returned = sorted(given.get("accessories") or [])
    condition = given["condition"]
    changes = {"returned_at": now, "returned_accessories": returned, "return_condition": condition}
    return Plan("check_in", "returned", changes, check_in_charges(item, returned, condition, rules))


def inspect(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    """The inspection's result and notes."""
    return {"inspected_at": now, "inspection_result": given["result"], "inspection_notes": given.get("notes")}


def restock(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    """Every field of the trip cleared (`TRIP_FIELDS`), and when the item was restocked."""
    # A sold item's warranty and title stay with it; a trip's facts start afresh (the events keep them).
    return {**{name: None for name in TRIP_FIELDS}, "lines": [], "restocked_at": now}


def write_off(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    """When the item was written off (scrapped, lost or stolen), and why."""
    return {"written_off_at": now, "write_off_notes": given["notes"]}


def pay_setup_fees(item: Item, given: Mapping[str, Any], now: dt.datetime, rules: Rules) -> dict[str, Any]:
    """When the set-up fees were paid, which is when title passes to the customer."""
    paid_at = _not_later_than(now, given, "paid_at")
    return {"setup_fees_paid_at": paid_at, "title_transferred_at": paid_at}


def stamp(name: str) -> Effect:
    """An effect that records only the time of the move, in the field `name`."""
    return lambda item, given, now, rules: {name: now}
