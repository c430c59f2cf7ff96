"""Receiving stock from a CSV file: every row checked, then all of it written, or nothing.

* **Checked first.** Each row is validated with the Equipment document's own rules (MAC in any notation,
  vendor and model from the catalogue, serial pattern) plus an explicit ownership (lent or sold); a serial
  or MAC given twice in the file, or stored for a different item, is a problem of that row. One bad row and
  nothing is written: the report names every bad row, its field and why.
* **Safe to re-run.** A row whose item is already stored with the same serial, MAC, vendor and model is
  "already imported", not a problem: running the same file again writes only what is missing.
* **Crash-safe.** Items are inserted in batches (`insert_many`, unordered), each carrying its `create` event
  in its outbox (`last_event`, `outbox_pending`, as the lifecycle's moves do: inventory/transitions.py);
  the events are then inserted and the flags cleared. A `kill -9` leaves whole items, some with their event
  still in the outbox: the next run (or the server's start) delivers those, and the unique serial and MAC
  indexes stop anything from being written twice.

The caller gives the secrets (`fill_secrets`): making them is the provisioning side's business.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bson import ObjectId
from pymongo.errors import BulkWriteError

from inventory import generation
from inventory.equipment import NOT_IN_SNAPSHOTS, OWNERSHIPS, Equipment
from inventory.errors import InvalidRecord
from inventory.events import Actor
from inventory.mac import format_mac
from inventory.stock_csv import REQUIRED_COLUMNS, Row, StockFileError, read_rows
from inventory.transitions import Deliveries, flush_outboxes
from inventory.versioned import SECRET_SUFFIXES, _now

__all__ = ["ImportResult", "Problem", "RowChecks", "StockFileError", "check_rows", "import_stock", "source_of",
           "write_items"]

#: Items inserted (and events delivered) per write: one `insert_many` of each, one generation bump.
BATCH_SIZE = 500
#: Up to this many values, stored items are looked up one equality at a time (through the index); beyond,
#: with `$in`, which NX-27017 answers by reading the whole collection (docs/storage.rst): about 0.2 s among
#: 100,000 items whatever the number of values, so in chunks of LOOKUP_CHUNK.
EQUALITY_LOOKUPS = 100
LOOKUP_CHUNK = 5000
#: The fields read of a stored item to tell "already imported" from a clash.
_COMPARED = {"serial": 1, "mac": 1, "vendor": 1, "model": 1}

Progress = Callable[[str, int, int], None]
FillSecrets = Callable[[Equipment], None]


@dataclass(frozen=True, order=True)
class Problem:
    """Why one row cannot be imported: its line in the file, the column, and what is expected."""

    line: int
    field: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.problem}"


@dataclass
class ImportResult:
    """What an import found and did; with problems, or as a dry run, nothing was written."""

    rows: int
    #: Items written (a dry run: items that would be).
    imported: int = 0
    already_imported: int = 0
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = False


@dataclass
class RowChecks:
    """What checking rows found: the new items to write (line, item), the rows whose very item is already stored
    (line, stored id), and the problems of the bad rows."""

    fresh: list[tuple[int, Equipment]] = field(default_factory=list)
    already: list[tuple[int, ObjectId]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def source_of(file_name: str, data: bytes) -> str:
    """How the event log names an import: `import <file name> <first 16 hex digits of its SHA-256>`."""
    return f"import {file_name[-100:]} {hashlib.sha256(data).hexdigest()[:16]}"


def import_stock(data: bytes, source: str, actor: Actor, fill_secrets: FillSecrets, dry_run: bool = False,
                 progress: Progress | None = None, batch_size: int = BATCH_SIZE) -> ImportResult:
    """Check every row of the CSV `data`, then write the new items unless a row is bad or it is a dry run.

    StockFileError when the file as a whole cannot be read (encoding, header, not CSV)."""
    report = progress or (lambda stage, done, total: None)
    rows = read_rows(data)
    result = ImportResult(rows=len(rows), dry_run=dry_run)
    checks = check_rows(rows, report)
    result.already_imported, result.problems = len(checks.already), checks.problems
    if result.problems:
        return result
    result.imported = len(checks.fresh)
    if dry_run:
        return result
    raced = write_items(checks.fresh, actor, source, fill_secrets, report, batch_size)
    result.imported = len(checks.fresh) - len(raced)
    # Stored by someone else between the check and the write: the same item counts as already imported,
    # another one is reported (the rest of the file is written: each item stands alone).
    late = _against_stored(raced)
    result.already_imported += len(late.already)
    result.problems = sorted(result.problems + late.problems)
    return result


def check_rows(rows: Sequence[Row], progress: Progress | None = None) -> RowChecks:
    """Every row checked as an import checks it (its values, a serial or MAC twice among the rows, against the
    stored items), nothing written: what the import (and the receiving page) would write, and why not."""
    problems: list[Problem] = []
    items = _validated(rows, problems, progress or (lambda stage, done, total: None))
    checks = _against_stored(items)
    checks.problems = sorted(problems + checks.problems)
    return checks


def write_items(items: list[tuple[int, Equipment]], actor: Actor, source: str, fill_secrets: FillSecrets,
                progress: Progress | None = None, batch_size: int = BATCH_SIZE) -> list[tuple[int, Equipment]]:
    """Insert items `check_rows` found new, each with its create event; returns those stored by someone else
    since the check (a unique index refused them: nothing of them written)."""
    if flush_outboxes():  # events a crashed run left in its items' outboxes
        generation.bump()
    return _write(items, actor, source, fill_secrets, progress or (lambda stage, done, total: None), batch_size)


# -- checks --------------------------------------------------------------------------------------


def _validated(rows: Sequence[Row], problems: list[Problem], report: Progress) -> list[tuple[int, Equipment]]:
    """The rows as Equipment items in their stored form; problems of bad rows and duplicates appended."""
    items: list[tuple[int, Equipment]] = []
    first_line: dict[tuple[str, str], int] = {}
    for done, row in enumerate(rows, 1):
        if done % 1000 == 0 and done < len(rows):
            report("validated", done, len(rows))
        if row.wrong_count is not None:
            problems.append(Problem(row.line, "columns", f"{row.wrong_count} values, expected one per column of "
                                                         "the header line"))
            continue
        item, found = _checked(row)
        for name, value in (("serial", item.serial), ("mac", item.mac)):
            if name in found:
                continue
            earlier = first_line.setdefault((name, value), row.line)
            if earlier != row.line:
                shown = format_mac(value) if name == "mac" else repr(value)
                found[name] = f"{shown} is also on line {earlier}"
        if found:
            problems.extend(Problem(row.line, name, why) for name, why in sorted(found.items()))
        else:
            items.append((row.line, item))
    report("validated", len(rows), len(rows))
    return items


def _checked(row: Row) -> tuple[Equipment, dict[str, str]]:
    """The row as an item in its stored form, and field -> problem (empty when the row is good)."""
    values = row.values
    problems: dict[str, str] = {}
    ownership = values.get("ownership", "").lower()
    if ownership not in OWNERSHIPS:
        problems["ownership"] = f"expected {' or '.join(OWNERSHIPS)}, got {values.get('ownership', '')[:40]!r}"
    for name in REQUIRED_COLUMNS:
        if not values.get(name):
            problems[name] = "empty: a value is required"
    item = Equipment(serial=values.get("serial"), mac=values.get("mac"), vendor=values.get("vendor"),
                     model=values.get("model"), ownership=ownership, notes=values.get("notes") or None)
    try:
        item.check()
    except InvalidRecord as invalid:
        # The secrets are made just before the write, by the caller: not the file's business.
        for name, why in invalid.fields.items():
            if not name.endswith(SECRET_SUFFIXES):
                problems.setdefault(name, why)
    return item, problems


def _against_stored(items: list[tuple[int, Equipment]]) -> RowChecks:
    """The items not stored yet; the same items already stored are listed, clashes become problems."""
    by_serial = _stored("serial", [item.serial for _, item in items])
    by_mac = _stored("mac", [item.mac for _, item in items])
    checks = RowChecks()
    for line, item in items:
        same_serial, same_mac = by_serial.get(item.serial), by_mac.get(item.mac)
        if same_serial is None and same_mac is None:
            checks.fresh.append((line, item))
            continue
        why = _clash(item, same_serial, same_mac)
        if why is None:
            checks.already.append((line, (same_serial or same_mac)["_id"]))  # type: ignore[index]
        else:
            checks.problems.append(Problem(line, *why))
    return checks


def _clash(item: Equipment, same_serial: dict | None, same_mac: dict | None) -> tuple[str, str] | None:
    """(field, why) when the stored items with this serial or MAC are not this very item; None when it is."""
    if same_serial is not None and same_serial["mac"] != item.mac:
        return "serial", (f"already stored for another item (MAC {format_mac(same_serial['mac'])}, "
                          f"{same_serial['vendor']} {same_serial['model']})")
    if same_mac is not None and same_mac["serial"] != item.serial:
        return "mac", f"already stored for another item (serial {same_mac['serial']!r})"
    stored = same_serial or same_mac
    assert stored is not None
    if (stored["vendor"], stored["model"]) != (item.vendor, item.model):
        return "model", f"this item is already stored as {stored['vendor']} {stored['model']}"
    return None


def _stored(name: str, values: list[str]) -> dict[str, dict]:
    """Stored items (the compared fields) whose `name` is one of `values`, by that value."""
    collection = Equipment._get_collection()
    if len(values) <= EQUALITY_LOOKUPS:
        found: Iterable[dict | None] = (collection.find_one({name: value}, _COMPARED) for value in values)
    else:
        found = (raw for start in range(0, len(values), LOOKUP_CHUNK)
                 for raw in collection.find({name: {"$in": values[start:start + LOOKUP_CHUNK]}}, _COMPARED))
    return {raw[name]: raw for raw in found if raw is not None}


# -- writing ---------------------------------------------------------------------------------


def _write(items: list[tuple[int, Equipment]], actor: Actor, source: str, fill_secrets: FillSecrets,
           report: Progress, batch_size: int) -> list[tuple[int, Equipment]]:
    """Insert the items batch by batch with their events; returns those a unique index refused."""
    refused: list[tuple[int, Equipment]] = []
    if not items:
        return refused
    report("written", 0, len(items))
    for start in range(0, len(items), batch_size):
        batch = items[start:start + batch_size]
        documents, clashed = _insert([item for _, item in batch], actor, source, fill_secrets)
        refused += [batch[n] for n in sorted(clashed)]
        inserted = [document for n, document in enumerate(documents) if n not in clashed]
        if inserted:  # one generation move (before the events), the events, the flags: for the whole batch
            deliveries = Deliveries()
            for document in inserted:
                deliveries.add(document["_id"], 1, document["last_event"])
            deliveries.deliver()
        report("written", start + len(batch), len(items))
    return refused


def _insert(batch: list[Equipment], actor: Actor, source: str, fill_secrets: FillSecrets) -> tuple[list[dict], set[int]]:
    """Insert one batch, each item carrying its create event: the documents, and the positions a unique index
    refused (someone stored that serial or MAC since the check)."""
    now = _now()
    documents = []
    for item in batch:
        fill_secrets(item)
        item.id, item.version, item.created_at, item.updated_at = ObjectId(), 1, now, now
        document = item.to_mongo().to_dict()
        # What Equipment.snapshot() gives, without converting the item a second time.
        after = {name: value for name, value in document.items()
                 if name != "_id" and not name.endswith(SECRET_SUFFIXES) and name not in NOT_IN_SNAPSHOTS}
        document["last_event"] = {
            "id": str(ObjectId()), "at": now, "actor": actor.username, "action": "create",
            "collection": Equipment._get_collection_name(), "object_id": str(item.id), "before": {},
            "after": after, "request_id": actor.request_id, "source": source}
        document["outbox_pending"] = True
        documents.append(document)
    try:
        Equipment._get_collection().insert_many(documents, ordered=False)
    except BulkWriteError as failed:
        errors = failed.details.get("writeErrors", [])
        if any(error.get("code") != 11000 for error in errors):
            raise
        return documents, {error["index"] for error in errors}
    return documents, set()
