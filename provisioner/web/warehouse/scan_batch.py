"""What every scan-batch page shares (returns, shipping, delivery, receiving): the batch's key, adding a scan,
looking the scans up again, a lifecycle move planned and run per row under the batch key, and the page's
post-and-render flow.

No JavaScript: scan + Enter posts the form, the batch travels back in hidden fields and is looked up again on
every post; "Submit the batch" runs the moves through the API's scan code (`provisioner/scan_moves.py`) under
``<batch key>:<scan>``, so submitting the same batch again moves nothing twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from inventory import lifecycle, lifecycle_plans, transitions
from inventory.equipment import EQUIPMENT_STATES, Equipment
from inventory.events import Actor
from inventory.refusals import Reason, Refusal
from provisioner.api.lifecycle import MAX_SCAN_LENGTH, MAX_SCANS
from provisioner.scan_moves import find_scanned, run_scans, scan_key
from provisioner.web.navigation import WAREHOUSE_ROLES
from provisioner.web.page_handler import PageHandler

ACTIONS = ("scan", "review", "submit")
#: Statuses of a row that will be (or was) sent, and so are shown in the "good" colour.
GOOD = ("ready", "already", "done", "repeated")
E = TypeVar("E")
R = TypeVar("R", bound="MoveRow")


def batch_key(sent: str | None, prefix: str) -> str:
    """The batch's idempotency key: the one the form sent back when it is one of this page's, else a new one."""
    if sent and re.fullmatch(rf"{re.escape(prefix)}-[0-9a-f]{{32}}", sent):
        return sent
    return f"{prefix}-{uuid.uuid4().hex}"


def add_scan(entries: list[E], entry: E, scan: str) -> tuple[list[E], str | None]:
    """The batch with `entry` (read from `scan`) at its end, or unchanged with why not: too_long or full."""
    if len(scan) > MAX_SCAN_LENGTH:
        return entries, "too_long"
    if len(entries) >= MAX_SCANS:
        return entries, "full"
    return [*entries, entry], None


def states_of(move: str) -> tuple[str, ...]:
    """The states `move` accepts, in the lifecycle's order (read from the table, for a refusal's text)."""
    return tuple(state for state in EQUIPMENT_STATES if state in lifecycle.MOVES[move].sources)


def look_up(entries: Sequence[E], scan_of: Callable[[E], str]) -> tuple[list[tuple[E, Equipment | None]], list[str]]:
    """Each entry with the item its scan names (`find_scanned`, as the API); an item scanned twice (by serial,
    MAC or label) is kept once. Returns the pairs and the scans left out as repeats. Reads the database."""
    pairs: list[tuple[E, Equipment | None]] = []
    repeats: list[str] = []
    seen: set[Any] = set()
    for entry in entries[:MAX_SCANS]:
        scan = scan_of(entry)
        item = find_scanned(scan)
        identity = scan.strip() if item is None else item.pk
        if identity in seen:
            repeats.append(scan)
            continue
        seen.add(identity)
        pairs.append((entry, item))
    return pairs, repeats


@dataclass
class MoveRow:
    """One scan of a batch that moves items: `status` unknown, refused, ready or already (moved by this batch),
    then, once submitted, done, repeated or refused."""

    scan: str
    status: str
    item: Equipment | None = None
    state: str | None = None
    charges: tuple[Any, ...] = ()  # lifecycle_plans.Charge before submitting, the ChargeLine records written after
    refusal: Refusal | None = None  # the lifecycle's, said by the page in the user's language
    sent: bool = field(default=False)
    #: Inputs of the batch the move refuses (name -> why), when the page keeps them apart from the item.
    input_problems: dict[str, Reason | str] = field(default_factory=dict)

    @property
    def given(self) -> dict[str, Any]:
        """The move's inputs for this row (the page's row class says which)."""
        return {}

    @property
    def charged_cents(self) -> int:
        return sum(charge.amount_cents for charge in self.charges)


def check_move(row: MoveRow, move: str, key: str, roles: tuple[str, ...], rules: transitions.RulesFor,
               now: dt.datetime, inputs_apart: bool = False) -> lifecycle_plans.Plan | None:
    """Plan `move` on the row's item with the row's inputs, setting its status: already (made under this batch's
    key), refused (with the lifecycle's reason), else ready; the plan when there is one. With `inputs_apart`, a
    refusal of the inputs only (the item may move) leaves the row ready and notes the inputs' problems."""
    assert row.item is not None
    try:
        if transitions.already_made(row.item, move, scan_key(key, row.scan)):
            row.status = "already"
            return None
        return lifecycle.plan(transitions.subject(row.item), move, row.given, roles, now, rules(row.item))
    except lifecycle_plans.Refused as refused:
        if inputs_apart and refused.status == 422 and refused.fields:
            row.input_problems = dict(refused.problems)
        else:
            row.status, row.refusal = "refused", refused
    except transitions.TransitionRefused as refused:
        row.status, row.refusal = "refused", refused
    return None


def submit_moves(move: str, key: str, rows: Sequence[R], actor: Actor, roles: tuple[str, ...],
                 rules: transitions.RulesFor) -> list[R]:
    """Run `move` on every row ready (or already made) through the API's scan code, under the batch key; the
    rows with what became of each. Writes the moves: call it off the event loop."""
    chosen = [row for row in rows if row.status in ("ready", "already")]
    results = {result.scan: result for result in run_scans(move, [(row.scan, row.given) for row in chosen],
                                                           key, actor, roles, rules)}
    done: list[R] = []
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
            done.append(replace(row, status="refused", refusal=refused,
                                state=refused.state if refused else row.state, charges=(), sent=True))
    return done


class ScanBatchPage(PageHandler):
    """The flow of a scan-batch page. GET: an empty batch. POST: add a scan (action scan, what Enter in the scan
    field sends), look the batch up again (review), or submit it. Subclasses say how entries are read, looked
    up, submitted and shown; lookups and writes run off the event loop."""

    roles = WAREHOUSE_ROLES
    #: The start of the page's catalogue keys and of its batch keys.
    prefix = ""

    def get(self) -> None:
        self.show(batch_key(None, self.prefix), [], None)

    async def post(self) -> None:
        action = self.get_body_argument("action", "scan")
        action = action if action in ACTIONS else "scan"
        key = batch_key(self.get_body_argument("batch_key", None), self.prefix)
        entries = self.entries()
        scanned, note = "", None
        if action == "scan":
            scanned, entry = self.scanned()
            if entry is not None:
                entries, code = add_scan(entries, entry, scanned)
                note = f"{self.prefix}.{code}" if code else None
        rows, repeats = await self.off_loop(self.review, key, entries)
        if scanned and note is None and scanned in repeats:
            note = f"{self.prefix}.duplicate"
        if action == "submit":
            note = f"{self.prefix}.nothing_to_submit" if not rows else self.refuse_submit(rows)
            if note is None:
                actor = dataclasses.replace(
                    self.actor, source=f"{self.prefix} page {key} from {self.request.remote_ip or '-'}")
                rows = await self.off_loop(self.submit, key, rows, actor)
                self.show(key, rows, None, submitted=True)
                return
        self.show(key, rows, note, last=scanned or None)

    def scanned(self) -> tuple[str, Any]:
        """What was scanned (as typed) and the entry it adds (None: none yet)."""
        scan = self.get_body_argument("scan", "").strip()
        return scan, (self.entry_of(scan) if scan else None)

    def entry_of(self, scan: str) -> Any:
        """The batch entry of one scan."""
        raise NotImplementedError

    def entries(self) -> list[Any]:
        """The batch the form sent back."""
        raise NotImplementedError

    def review(self, key: str, entries: list[Any]) -> tuple[list[Any], list[str]]:
        """The rows of the batch, looked up, and the scans left out as repeats. Runs off the event loop."""
        raise NotImplementedError

    def refuse_submit(self, rows: list[Any]) -> str | None:
        """Why the batch may not be submitted as it is (a catalogue key), or None."""
        return None

    def submit(self, key: str, rows: list[Any], actor: Actor) -> list[Any]:
        """Submit the batch; the rows with what became of each. Runs off the event loop."""
        raise NotImplementedError

    def show(self, key: str, rows: list[Any], note: str | None, last: str | None = None,
             submitted: bool = False) -> None:
        """The page with the batch."""
        raise NotImplementedError

    def batch_values(self, rows: Sequence[Any], note: str | None, last: str | None) -> dict[str, Any]:
        """What every scan-batch template reads: the limits, the note's values and the row of the last scan."""
        last_row = next((row for row in rows if row.scan == last), None) if last and note is None else None
        limit = MAX_SCANS if note and note.endswith(".full") else MAX_SCAN_LENGTH
        return {"prefix": self.prefix, "max_scans": MAX_SCANS, "max_length": MAX_SCAN_LENGTH, "last_row": last_row,
                "note_values": {"scan": last, "max": limit}, "state_name": self.state_name, "good": GOOD,
                "page_path": self.request.path}


    def wrong_state(self, row: MoveRow, move: str) -> str | None:
        """A refusal for the row's state, in the user's language (None when the refusal is another one)."""
        accepted = states_of(move)
        if row.state is None or row.state in accepted:
            return None
        return self.t(f"{self.prefix}.wrong_state", state=self.state_name(row.state),
                      states=", ".join(self.state_name(state) for state in accepted))

    def refusal_text(self, row: MoveRow) -> str:
        """Why the lifecycle refused the row's move, in the user's language (provisioner/web/refusals.py)."""
        return self.refusal_words("equipment").refusal(row.refusal) if row.refusal else ""


def entries_of(scans: Sequence[str], make: Callable[[str], E]) -> list[E]:
    """The entries of the scans the form sent back, the blank and overlong ones left out."""
    return [make(scan) for scan in scans[:MAX_SCANS] if scan.strip() and len(scan) <= MAX_SCAN_LENGTH]
