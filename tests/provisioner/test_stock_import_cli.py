"""`provisioner inventory import FILE`: exit statuses, the report on stdout, progress on stderr, and a `kill -9`
in the middle of a 10,000-row import followed by a re-run: every item once, each with one create event."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from inventory.equipment import Equipment
from inventory.events import Event
from provisioner.inventory_command import ProgressLine

ROOT = Path(__file__).resolve().parents[2]
HEADER = "serial,mac,vendor,model,ownership"
KILL_ROWS = 10_000
TIMEOUT = 120



def stock_file(folder: Path, rows: int, name: str = "stock.csv") -> Path:
    path = folder / name
    lines = [HEADER] + [f"SN-{n:06d},00:15:65:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x},yealink,T46U,"
                        f"{'sold' if n % 3 == 0 else 'lent'}" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def command(path: Path, data_dir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "provisioner", "inventory", "import", str(path), "--data-dir", str(data_dir), *extra]


def run(path: Path, data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(path, data_dir, *extra), cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT,
                          env={**os.environ, "PROVISIONER_CONFIG": ""})


def test_imports_a_file_with_progress_and_a_summary(data_dir: Path, tmp_path: Path) -> None:
    done = run(stock_file(tmp_path, 1200), data_dir)

    assert done.returncode == 0, done.stderr
    assert done.stdout == "stock.csv: 1200 row(s): imported 1200, already imported 0\n"
    # Not a terminal: plain lines, ending at 100 %.
    assert "validated: 1,200/1,200 rows (100%)\n" in done.stderr
    assert "written: 1,200/1,200 rows (100%)\n" in done.stderr
    assert Equipment.objects.count() == 1200


def test_report_only_writes_nothing(data_dir: Path, tmp_path: Path) -> None:
    done = run(stock_file(tmp_path, 5), data_dir, "--report-only")

    assert done.returncode == 0, done.stderr
    assert done.stdout == "stock.csv: 5 row(s): would import 5, already imported 0\n"
    assert Equipment.objects.count() == 0


def test_bad_rows_exit_1_with_one_line_each_on_stdout(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"{HEADER}\nSN-1,00:15:65:00:00:01,yealink,T46U,lent\nSN-2,nope,yealink,T46U,lent\n"
                    "SN-3,00:15:65:00:00:03,yealink,T46U,rented\n")

    done = run(path, data_dir)

    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "line 3: mac: MAC address 'nope' is not valid: expected 12 hexadecimal digits such as 00:15:65:aa:bb:cc, "
        "0015.65AA.BBCC or 001565AABBCC",
        "line 4: ownership: expected lent or sold, got 'rented'"]
    assert "bad.csv: 2 of 3 row(s) refused; nothing imported" in done.stderr
    assert Equipment.objects.count() == 0


@pytest.mark.parametrize(("content", "why"), [
    (b"serial,mac\n", "missing column(s) vendor, model, ownership"),
    (f"{HEADER}\nSN-1,00:15:65:00:00:01,yealink,T46U,lent,caf\xe9\n".encode("latin-1"), "the file is not UTF-8"),
])
def test_a_file_that_cannot_be_read_exits_2(data_dir: Path, tmp_path: Path, content: bytes, why: str) -> None:
    path = tmp_path / "wrong.csv"
    path.write_bytes(content)

    done = run(path, data_dir)

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("provisioner: wrong.csv: line ") and why in done.stderr


def test_kill_9_mid_import_then_run_again_stores_every_row_once(data_dir: Path, tmp_path: Path) -> None:
    path = stock_file(tmp_path, KILL_ROWS)
    items = Equipment._get_collection()
    process = subprocess.Popen(command(path, data_dir), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env={**os.environ, "PROVISIONER_CONFIG": ""})
    try:
        deadline = time.monotonic() + TIMEOUT
        while items.estimated_document_count() == 0 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # into the middle of the batches
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    before = items.estimated_document_count()
    assert process.returncode == -signal.SIGKILL
    assert 0 < before < KILL_ROWS, "the kill did not land in the middle of the import"

    again = run(path, data_dir)

    assert again.returncode == 0, again.stderr
    assert again.stdout == (f"stock.csv: {KILL_ROWS} row(s): imported {KILL_ROWS - before}, "
                            f"already imported {before}\n")
    stored = list(items.find({}, {"serial": 1, "mac": 1, "outbox_pending": 1}))
    assert len(stored) == KILL_ROWS
    assert len({raw["serial"] for raw in stored}) == len({raw["mac"] for raw in stored}) == KILL_ROWS
    assert not any(raw["outbox_pending"] for raw in stored)
    created = Counter(raw["object_id"] for raw in Event._get_collection().find(
        {"collection": "equipment", "action": "create"}, {"object_id": 1}))
    assert set(created) == {str(raw["_id"]) for raw in stored}
    assert set(created.values()) == {1}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_one_line_on_a_terminal() -> None:
    screen = Terminal()
    progress = ProgressLine(screen)
    for done in (0, 500, 1000):
        progress("written", done, 1000)

    assert screen.getvalue() == ("\rwritten: 0/1,000 rows (0%)\rwritten: 500/1,000 rows (50%)"
                                 "\rwritten: 1,000/1,000 rows (100%)\n")
