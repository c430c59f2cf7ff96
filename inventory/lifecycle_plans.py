"""What planning a lifecycle move reads and answers: the item as the rules see it, the calendar and prices the
caller gives, the plan a move makes (its changes and charges), or the refusal when it may not run.

Pure values, no database: inventory/lifecycle.py plans with them, inventory/lifecycle_effects.py fills the
plans, inventory/transitions.py reads an item into an `Item` and applies the `Plan`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from inventory.refusals import Reason, Refusal


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


class Refused(Refusal):
    """A move that may not run: `status` 403 (role), 409 (state) or 422 (inputs), and why (inventory/refusals.py)."""

    subject = "equipment"

    def __init__(self, status: int, why: str | Reason, allowed: tuple[str, ...] = (),
                 fields: Mapping[str, str | Reason] | None = None):
        super().__init__(status, why, None, allowed, fields)


#: What a move does to an item given its inputs, now, under the rules: the changed fields, or a whole plan.
Effect = Callable[[Item, Mapping[str, Any], dt.datetime, Rules], "dict[str, Any] | Plan"]
