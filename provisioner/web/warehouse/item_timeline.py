"""An item's history as the item page shows it: the events the API's /api/v1/history/equipment/{id} reads
(`report_queries.equipment_history`), newest first, each with its move, its states before and after, the notable
inputs it recorded and the charges it wrote. Only named fields are shown: snapshots hold no secrets, and the
page shows none either way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from inventory.charges import ChargeLine
from inventory.record_names import RecordNames
from inventory.report_queries import equipment_history
from inventory.reports import Report

PER_PAGE = 50
#: What a move records that the page shows, in this order (the item's own fields, as its snapshots hold them).
NOTABLE = ("site", "carrier", "tracking_number", "shipped_accessories", "delivery_proof", "delivery_place",
           "failure_description", "replacement", "repossession_agent", "repossession_costs_cents",
           "return_condition", "returned_accessories", "inspection_result", "inspection_notes", "write_off_notes",
           "notes")
#: Notable fields that hold an amount in cents.
AMOUNTS = ("repossession_costs_cents",)


@dataclass
class Moment:
    """One event of the timeline: when, who, what (`move` for a lifecycle move, else the action), the states
    before and after (equal when the state did not change), the notable values it set and the charges."""

    at: dt.datetime | None
    actor: str
    action: str
    move: str | None
    before_state: str | None
    after_state: str | None
    source: str
    inputs: list[tuple[str, Any]] = field(default_factory=list)
    charges: list[tuple[str, int]] = field(default_factory=list)


def moment_of(row: dict[str, Any]) -> Moment:
    """A history row (inventory.reports.history_row) as a moment of the timeline, without its charges."""
    before, after = row.get("before") or {}, row.get("after") or {}
    action = row.get("action") or ""
    move = action.split(":", 1)[1] if action.startswith("transition:") else None
    inputs = [(name, after.get(name)) for name in NOTABLE
              if after.get(name) not in (None, "", []) and after.get(name) != before.get(name)]
    return Moment(row.get("at"), row.get("actor") or "", action, move, before.get("state"), after.get("state"),
                  row.get("source") or "", inputs)


def timeline(item_id: str, page: int) -> tuple[list[Moment], int]:
    """One page of the item's timeline, newest first, and how many events it has in all."""
    report: Report = equipment_history(item_id, page, PER_PAGE, newest_first=True)
    moments = [moment_of(row) for row in report.rows]
    charges: dict[str, list[tuple[str, int]]] = {}
    for raw in ChargeLine._get_collection().find({"item": item_id}, {"event": 1, "reason": 1, "amount_cents": 1}):
        charges.setdefault(str(raw.get("event")), []).append((raw.get("reason", ""), raw.get("amount_cents", 0)))
    sites = RecordNames().sites(value for moment in moments for name, value in moment.inputs
                                if name == "site" and isinstance(value, str))
    for moment, row in zip(moments, report.rows, strict=True):
        moment.charges = charges.get(row["event"], [])
        moment.inputs = [(name, (sites.get(value) or value) if name == "site" else value) for name, value in moment.inputs]
    return moments, report.total or 0
