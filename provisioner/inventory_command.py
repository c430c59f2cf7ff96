"""`provisioner inventory import FILE`: receive stock from a CSV file, with progress on stderr.

Exit status 0 when the file is imported (or, with --report-only, would be), 1 with one line per bad row on
stdout, 2 when the file as a whole cannot be read.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

from inventory.events import Actor
from inventory.secret_box import SecretBox
from inventory.stock_import import ImportResult, StockFileError, import_stock, source_of
from provisioner.provisioning.device_secrets import issue_secrets

#: Exit statuses.
IMPORTED, BAD_ROWS, BAD_FILE = 0, 1, 2
#: Plain progress lines (stderr not a terminal) at most this often, in seconds.
PLAIN_EVERY = 2.0


class ProgressLine:
    """Rows validated and written, as a percentage: one line redrawn on a terminal, plain lines otherwise."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.tty = stream.isatty()
        self._last: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        text = f"{stage}: {done:,}/{total:,} rows ({percent}%)"
        finished = done >= total
        if self.tty:
            self.stream.write(f"\r{text}" + ("\n" if finished else ""))
        else:
            now = time.monotonic()
            if not finished and now - self._last.get(stage, float("-inf")) < PLAIN_EVERY:
                return
            self._last[stage] = now
            self.stream.write(text + "\n")
        self.stream.flush()


def run_import(path: Path, box: SecretBox, report_only: bool, actor: Actor | None = None) -> int:
    """Import the stock file at `path` (the database already open); prints the outcome, returns the exit status."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"provisioner: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return BAD_FILE
    source = source_of(path.name, data)
    actor = actor or Actor("@cli", f"import-{source.rsplit(' ', 1)[-1]}", source)
    try:
        result = import_stock(data, source, actor, lambda item: issue_secrets(item, box), dry_run=report_only,
                              progress=ProgressLine(sys.stderr))
    except StockFileError as exc:
        print(f"provisioner: {path.name}: {exc}", file=sys.stderr)
        return BAD_FILE
    return _print_outcome(path.name, result)


def _print_outcome(name: str, result: ImportResult) -> int:
    for problem in result.problems:
        print(problem)
    if result.problems:
        bad = len({problem.line for problem in result.problems})
        print(f"{name}: {bad} of {result.rows} row(s) refused; nothing imported", file=sys.stderr)
        return BAD_ROWS
    verb = "would import" if result.dry_run else "imported"
    print(f"{name}: {result.rows} row(s): {verb} {result.imported}, already imported {result.already_imported}")
    return IMPORTED
