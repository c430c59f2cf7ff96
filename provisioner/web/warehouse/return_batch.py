"""The batch of the scan-to-return page: each scan looked up again and planned as a check-in on every post
(what came back, the condition, the charges it would cause), then the batch's check-ins run once.

Nothing here trusts the browser beyond the scans it sends back: each is looked up again with the API's
`find_scanned`, the charges come from the lifecycle's own plan, and the moves run through the API's scan code
(`provisioner/scan_moves.py`), under the idempotency key ``<batch key>:<scan>``, so a second submit of the same
batch moves nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inventory import lifecycle_inputs, transitions
from inventory.equipment import Equipment
from inventory.events import Actor
from provisioner.api.lifecycle import MAX_SCAN_LENGTH, MAX_SCANS
from provisioner.web.warehouse import scan_batch
from provisioner.web.warehouse.scan_batch import MoveRow

MOVE = "check_in"


@dataclass(frozen=True)
class Entry:
    """One scan as the form sends it back: the accessories ticked (positions in what was shipped; None before
    the clerk has seen the item: all of them) and the condition chosen."""

    scan: str
    returned: tuple[int, ...] | None = None
    condition: str = lifecycle_inputs.CONDITIONS[0]


@dataclass
class Row(MoveRow):
    """One scan of the batch, looked up (see MoveRow), with what was shipped, what came back and its condition."""

    shipped: tuple[str, ...] = ()
    returned: tuple[int, ...] = ()
    condition: str = lifecycle_inputs.CONDITIONS[0]

    @property
    def given(self) -> dict[str, Any]:
        """The check-in's inputs."""
        return {"accessories": [self.shipped[n] for n in self.returned], "condition": self.condition}


def batch_key(sent: str | None) -> str:
    """The batch's idempotency key: the one the form sent back when it is one of ours, else a new one."""
    return scan_batch.batch_key(sent, "returns")


def review(key: str, entries: Sequence[Entry], roles: tuple[str, ...], rules: transitions.RulesFor,
           now: dt.datetime) -> tuple[list[Row], list[str]]:
    """Each entry looked up and planned; an item scanned twice (by serial, MAC or label) is kept once.
    Returns the rows and the scans left out as repeats. Reads the database: call it off the event loop."""
    pairs, repeats = scan_batch.look_up(entries, lambda entry: entry.scan)
    return [_row(key, entry, item, roles, rules, now) for entry, item in pairs], repeats


def _row(key: str, entry: Entry, item: Equipment | None, roles: tuple[str, ...], rules: transitions.RulesFor,
         now: dt.datetime) -> Row:
    if item is None:
        return Row(entry.scan, "unknown")
    shipped = tuple(item.shipped_accessories or ())
    returned = tuple(range(len(shipped))) if entry.returned is None else tuple(
        sorted({n for n in entry.returned if 0 <= n < len(shipped)}))
    row = Row(entry.scan, "ready", item, item.state, shipped=shipped, returned=returned, condition=entry.condition)
    plan = scan_batch.check_move(row, MOVE, key, roles, rules, now)
    row.charges = plan.charges if plan else ()
    return row


def submit(key: str, rows: Sequence[Row], actor: Actor, roles: tuple[str, ...],
           rules: transitions.RulesFor) -> list[Row]:
    """Run the check-in of every row ready (or already made) through the API's scan code; the rows with what
    became of each. Writes the moves: call it off the event loop."""
    return scan_batch.submit_moves(MOVE, key, rows, actor, roles, rules)


def entries_from(scans: Sequence[str], returned: Mapping[int, Sequence[str]], conditions: Mapping[int, str],
                 seen: Sequence[int]) -> list[Entry]:
    """The batch as the form sent it back: its scans, and, for the rows the clerk has seen (`seen`), the
    accessory positions ticked and the condition chosen (checked again by `review` and the lifecycle)."""
    entries = []
    for n, scan in enumerate(scans[:MAX_SCANS]):
        if not scan.strip() or len(scan) > MAX_SCAN_LENGTH:
            continue
        if n not in seen:
            entries.append(Entry(scan))
            continue
        ticked = tuple(int(value) for value in returned.get(n, ()) if value.isdigit() and len(value) < 4)
        entries.append(Entry(scan, ticked, conditions.get(n, lifecycle_inputs.CONDITIONS[0])))
    return entries
