"""The batch of the shipping and delivery scan pages: one move ("ship" or "deliver") on every scanned item, with
the batch's inputs (carrier and tracking number, proof of delivery, ...) entered once.

The inputs a page asks for are the move's own, read from the lifecycle table (`requires` and `optional`, minus
record references, which belong to one item, not to a batch); the form's text is read as the API reads JSON
(`parse_inputs`), each row planned with the lifecycle (`scan_batch.check_move`) and the batch run through the
API's scan code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from inventory import lifecycle, lifecycle_inputs, transitions
from inventory.events import Actor
from inventory.refusals import Reason
from provisioner.api.lifecycle import parse_inputs
from provisioner.api.transition_inputs import InputsRefused
from provisioner.web.warehouse import scan_batch
from provisioner.web.warehouse.scan_batch import MoveRow

#: Kinds of inputs a batch page asks for once for every item (records belong to one item).
BATCH_KINDS = ("text", "text_list", "choice", "date", "datetime", "amount")


@dataclass(frozen=True)
class Entry:
    """One scan as the form sends it back."""

    scan: str


@dataclass
class Row(MoveRow):
    """One scan of the batch, looked up (see MoveRow), with the batch's inputs."""

    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def given(self) -> dict[str, Any]:
        return self.inputs


def batch_inputs(move: str) -> tuple[str, ...]:
    """The inputs of `move` asked once for the batch, required ones first, in the table's order."""
    spec = lifecycle.MOVES[move]
    return tuple(name for name in (*spec.requires, *spec.optional) if lifecycle_inputs.INPUTS[name].kind in BATCH_KINDS)


def form_inputs(move: str, form: Mapping[str, str],
                zone: ZoneInfo) -> tuple[dict[str, Any], dict[str, Reason | str]]:
    """The move's inputs from the form's text, read as the API reads JSON (blank: not given), and name -> why
    (with its code, provisioner/api/fields.py) for those that cannot be read. A list is one entry per line; a date
    and time is local to `zone`."""
    raw: dict[str, Any] = {}
    for name in batch_inputs(move):
        text, kind = form.get(name, ""), lifecycle_inputs.INPUTS[name].kind
        if kind == "text_list":
            entries = [line.strip() for line in text.splitlines() if line.strip()]
            if entries:
                raw[name] = entries
        elif text.strip():
            raw[name] = _zoned(text.strip(), zone) if kind == "datetime" else text.strip()
    try:
        return parse_inputs(raw), {}
    except InputsRefused as refused:
        return {name: value for name, value in raw.items() if name not in refused.problems}, dict(refused.problems)


def _zoned(text: str, zone: ZoneInfo) -> str:
    """A browser's local date and time (2026-11-26T09:30) with the zone's offset; other text as it is."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).isoformat()


def review(move: str, key: str, entries: Sequence[Entry], given: Mapping[str, Any], roles: tuple[str, ...],
           rules: transitions.RulesFor, now: dt.datetime) -> tuple[list[Row], list[str]]:
    """Each entry looked up and planned with the batch's inputs (their problems noted apart: the item may still
    move); an item scanned twice is kept once. Reads the database: call it off the event loop."""
    pairs, repeats = scan_batch.look_up(entries, lambda entry: entry.scan)
    rows = []
    for entry, item in pairs:
        if item is None:
            rows.append(Row(entry.scan, "unknown"))
            continue
        row = Row(entry.scan, "ready", item, item.state, inputs=dict(given))
        scan_batch.check_move(row, move, key, roles, rules, now, inputs_apart=True)
        rows.append(row)
    return rows, repeats


def input_problems(rows: Sequence[Row], unreadable: Mapping[str, Reason | str]) -> dict[str, Reason | str]:
    """The batch's inputs the move refuses (name -> why): those the form could not read, then the lifecycle's."""
    problems: dict[str, Reason | str] = dict(unreadable)
    for row in rows:
        for name, why in row.input_problems.items():
            problems.setdefault(name, why)
    return problems


def submit(move: str, key: str, rows: Sequence[Row], actor: Actor, roles: tuple[str, ...],
           rules: transitions.RulesFor) -> list[Row]:
    """Run the move on every row ready (or already made) through the API's scan code. Writes: off the loop."""
    return scan_batch.submit_moves(move, key, rows, actor, roles, rules)
