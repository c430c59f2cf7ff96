"""The batch of the receiving page: new equipment from the supplier, one vendor, model and ownership chosen for
the batch, each item's serial and MAC scanned.

Each row is checked exactly as a row of the CSV stock import (`inventory.stock_import.check_rows`: the
Equipment rules, a serial or MAC twice in the batch, against the stored items) and the new items are written by
the import's own writer (`write_items`), each with its create event, whose source names the batch: a second
submit of the same batch finds its items stored and creates nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bson import ObjectId

from inventory.equipment import Equipment
from inventory.events import Actor, Event
from inventory.stock_csv import Row as StockRow
from inventory.stock_import import FillSecrets, RowChecks, check_rows, write_items
from provisioner.api.lifecycle import MAX_SCAN_LENGTH, MAX_SCANS


@dataclass(frozen=True)
class Entry:
    """One item scanned: its serial and its MAC, as scanned."""

    serial: str
    mac: str

    @property
    def scan(self) -> str:
        """How the row is named on the page and in the form."""
        return f"{self.serial} {self.mac}"


@dataclass(frozen=True)
class Choice:
    """What the clerk chose for the whole batch."""

    vendor: str
    model: str
    ownership: str


@dataclass
class Row:
    """One item of the batch, checked: `status` ready (new), refused (`problems`: field, why), in_stock (this
    very item is stored already, not by this batch), already (stored by this batch); after a submit, done
    (created now) or repeated (created by an earlier submit of this batch)."""

    entry: Entry
    status: str
    problems: list[tuple[str, str]] = field(default_factory=list)
    sent: bool = False

    @property
    def scan(self) -> str:
        return self.entry.scan


def split_scan(serial: str, mac: str) -> tuple[Entry | None, str]:
    """The entry the two fields give, or None and the serial waiting for its MAC. The serial field may hold both
    ("SERIAL MAC", as one scan or typed), the MAC then being the rest."""
    serial, mac = serial.strip(), mac.strip()
    if not mac:
        first, _, rest = serial.partition(" ")
        serial, mac = first, rest.strip()
    if not serial:
        return None, ""
    return (Entry(serial, mac), "") if mac else (None, serial)


def entries_from(serials: Sequence[str], macs: Sequence[str]) -> list[Entry]:
    """The batch as the form sent it back, in pairs; blank and overlong ones left out."""
    pairs = zip(serials[:MAX_SCANS], macs[:MAX_SCANS], strict=False)  # a tampered form may send unequal lists
    return [Entry(serial.strip(), mac.strip()) for serial, mac in pairs
            if serial.strip() and mac.strip() and len(serial) + len(mac) < MAX_SCAN_LENGTH]


def stock_rows(entries: Sequence[Entry], choice: Choice) -> list[StockRow]:
    """The batch as the stock import's rows, numbered from 1 in scan order."""
    return [StockRow(n, {"serial": entry.serial, "mac": entry.mac, "vendor": choice.vendor, "model": choice.model,
                         "ownership": choice.ownership}) for n, entry in enumerate(entries, 1)]


def source_of(key: str) -> str:
    """The start of the create events' source of the batch's items."""
    return f"receiving page {key} "


def review(key: str, entries: Sequence[Entry], choice: Choice) -> list[Row]:
    """Each entry checked as the stock import checks a row. Reads the database: call it off the event loop."""
    return _rows(key, entries, check_rows(stock_rows(entries, choice)))


def _rows(key: str, entries: Sequence[Entry], checks: RowChecks) -> list[Row]:
    problems: dict[int, list[tuple[str, str]]] = {}
    for problem in checks.problems:
        problems.setdefault(problem.line, []).append((problem.field, problem.problem))
    ours = _created_by(key, [stored for _, stored in checks.already])
    already = {line: "already" if stored in ours else "in_stock" for line, stored in checks.already}
    rows = []
    for line, entry in enumerate(entries, 1):
        if line in problems:
            rows.append(Row(entry, "refused", problems[line]))
        else:
            rows.append(Row(entry, already.get(line, "ready")))
    return rows


def _created_by(key: str, ids: Sequence[ObjectId]) -> set[ObjectId]:
    """Those of the stored items `ids` this batch created (one indexed lookup each: a batch is short)."""
    collection, ours = Event._get_collection(), set()
    for stored in ids:
        created = collection.find_one({"collection": Equipment._get_collection_name(), "object_id": str(stored),
                                       "action": "create"}, {"source": 1})
        if created is not None and created.get("source", "").startswith(source_of(key)):
            ours.add(stored)
    return ours


def submit(key: str, entries: Sequence[Entry], choice: Choice, actor: Actor, fill_secrets: FillSecrets) -> list[Row]:
    """Create the batch's new items (the rows checked again first); the rows with what became of each. Writes the
    items and their events: call it off the event loop."""
    rows = stock_rows(entries, choice)
    checks = check_rows(rows)
    raced = {line for line, _ in write_items(checks.fresh, actor, actor.source, fill_secrets)}
    created = {line for line, _ in checks.fresh} - raced
    after = _rows(key, entries, check_rows(rows) if created or raced else checks)
    for n, row in enumerate(after, 1):
        row.sent = n in created or row.status == "already"
        if n in created:
            row.status = "done"
        elif row.status == "already":
            row.status = "repeated"
    return after
