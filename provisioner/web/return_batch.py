"""The batch of the scan-to-return page: each scan looked up again and planned as a check-in on every post
(what came back, the condition, the charges it would cause), then the batch's check-ins run once.

Nothing here trusts the browser beyond the scans it sends back: each is looked up again with the API's
`find_scanned`, the charges come from the lifecycle's own plan, and the moves run through the API's scan code
(`provisioner/scan_moves.py`), under the idempotency key ``<batch key>:<scan>``, so a second submit of the same
batch moves nothing twice.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from inventory import lifecycle, transitions
from inventory.equipment import EQUIPMENT_STATES, Equipment
from inventory.events import Actor
from provisioner.api.lifecycle import MAX_SCAN_LENGTH, MAX_SCANS
from provisioner.scan_moves import find_scanned, run_scans, scan_key

MOVE = "check_in"
#: The states a check-in accepts, in the lifecycle's order (read from the table, for the refusal's text).
RETURNABLE_STATES = tuple(state for state in EQUIPMENT_STATES if state in lifecycle.MOVES[MOVE].sources)
_BATCH_KEY = re.compile(r"^returns-[0-9a-f]{32}$")


@dataclass(frozen=True)
class Entry:
    """One scan as the form sends it back: the accessories ticked (positions in what was shipped; None before
    the clerk has seen the item: all of them) and the condition chosen."""

    scan: str
    returned: tuple[int, ...] | None = None
    condition: str = lifecycle.CONDITIONS[0]


@dataclass
class Row:
    """One scan of the batch, looked up: `status` unknown, refused, ready or already (checked in by this batch),
    then, once submitted, done, repeated or refused."""

    scan: str
    status: str
    item: Equipment | None = None
    state: str | None = None
    shipped: tuple[str, ...] = ()
    returned: tuple[int, ...] = ()
    condition: str = lifecycle.CONDITIONS[0]
    charges: tuple[Any, ...] = ()  # lifecycle.Charge before submitting, the ChargeLine records written after
    refusal: str | None = None  # the lifecycle's reason, in English
    sent: bool = field(default=False)

    @property
    def given(self) -> dict[str, Any]:
        """The check-in's inputs."""
        return {"accessories": [self.shipped[n] for n in self.returned], "condition": self.condition}

    @property
    def charged_cents(self) -> int:
        return sum(charge.amount_cents for charge in self.charges)


def batch_key(sent: str | None) -> str:
    """The batch's idempotency key: the one the form sent back when it is one of ours, else a new one."""
    return sent if sent and _BATCH_KEY.match(sent) else f"returns-{uuid.uuid4().hex}"


def add_scan(entries: list[Entry], scan: str) -> tuple[list[Entry], str | None]:
    """The batch with `scan` at its end, or unchanged with the catalogue key of why not."""
    if len(scan) > MAX_SCAN_LENGTH:
        return entries, "returns.too_long"
    if len(entries) >= MAX_SCANS:
        return entries, "returns.full"
    return [*entries, Entry(scan)], None


def review(key: str, entries: Sequence[Entry], roles: tuple[str, ...], rules: transitions.RulesFor,
           now: dt.datetime) -> tuple[list[Row], list[str]]:
    """Each entry looked up and planned; an item scanned twice (by serial, MAC or label) is kept once.
    Returns the rows and the scans left out as repeats. Reads the database: call it off the event loop."""
    rows: list[Row] = []
    repeats: list[str] = []
    seen: set[Any] = set()
    for entry in entries[:MAX_SCANS]:
        item = find_scanned(entry.scan)
        identity = entry.scan.strip() if item is None else item.pk
        if identity in seen:
            repeats.append(entry.scan)
            continue
        seen.add(identity)
        rows.append(_row(key, entry, item, roles, rules, now))
    return rows, repeats


def _row(key: str, entry: Entry, item: Equipment | None, roles: tuple[str, ...], rules: transitions.RulesFor,
         now: dt.datetime) -> Row:
    if item is None:
        return Row(entry.scan, "unknown")
    shipped = tuple(item.shipped_accessories or ())
    returned = tuple(range(len(shipped))) if entry.returned is None else tuple(
        sorted({n for n in entry.returned if 0 <= n < len(shipped)}))
    row = Row(entry.scan, "ready", item, item.state, shipped, returned, entry.condition)
    try:
        if transitions.already_made(item, MOVE, scan_key(key, entry.scan)):
            row.status = "already"
            return row
        row.charges = lifecycle.plan(transitions.subject(item), MOVE, row.given, roles, now, rules(item)).charges
    except (lifecycle.Refused, transitions.TransitionRefused) as refused:
        row.status, row.refusal = "refused", refused.message
    return row


def submit(key: str, rows: Sequence[Row], actor: Actor, roles: tuple[str, ...],
           rules: transitions.RulesFor) -> list[Row]:
    """Run the check-in of every row ready (or already made) through the API's scan code; the rows with what
    became of each. Writes the moves: call it off the event loop."""
    chosen = [row for row in rows if row.status in ("ready", "already")]
    results = {result.scan: result for result in run_scans(MOVE, [(row.scan, row.given) for row in chosen],
                                                           key, actor, roles, rules)}
    done: list[Row] = []
    for row in rows:
        result = results.get(row.scan) if any(row is sent for sent in chosen) else None
        if result is None:
            done.append(row)
        elif result.outcome is not None:
            status = "repeated" if result.outcome.repeated else "done"
            done.append(replace(row, status=status, state=result.outcome.item.state,
                                charges=result.outcome.charges, sent=True))
        else:
            refused = result.refused
            done.append(replace(row, status="refused", refusal=refused.message if refused else None,
                                state=refused.state if refused else row.state, charges=(), sent=True))
    return done


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
        entries.append(Entry(scan, ticked, conditions.get(n, lifecycle.CONDITIONS[0])))
    return entries
