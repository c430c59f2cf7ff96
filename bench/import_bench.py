"""Benchmark of the stock import: `provisioner inventory import FILE` of 10,000 rows among 100,000 stored items.

Starts the embedded NX-27017 database on a temporary data directory, fills it with --items equipment records
(shaped as the server stores them, with one create event each), writes a CSV of --rows new items, then runs
the real command as a subprocess: a dry run (--report-only), the import, and the same import again (nothing
left to write). Prints the wall time of each, end to end (process start, connection, validation, writes).
Target (issue): the import of 10,000 rows under 30 s with 100,000 items stored. Figures: docs/benchmarks.rst.

    python bench/import_bench.py                       # 100,000 items, 10,000 rows; about 2 minutes
    python bench/import_bench.py --items 0 --rows 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bson import ObjectId  # noqa: E402

from inventory.equipment import Equipment  # noqa: E402
from inventory.events import Event  # noqa: E402
from provisioner.settings import load_settings  # noqa: E402
from provisioner.storage import Storage  # noqa: E402

SEED_BATCH = 2000
#: A stand-in for the encrypted secrets of the seeded items (the import itself makes real ones).
FAKE_SECRET = "v1:" + "A" * 80


def seed(items: int) -> float:
    """Insert `items` stored-looking equipment records and their create events; returns the seconds it took."""
    started = time.perf_counter()
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    for start in range(0, items, SEED_BATCH):
        documents, events = [], []
        for n in range(start, min(items, start + SEED_BATCH)):
            item = Equipment(id=ObjectId(), serial=f"OLD-{n:07d}", mac=f"0004f2{n:06x}", vendor="polycom",
                             model="VVX450", kind="phone", ownership="lent", version=1, created_at=now,
                             updated_at=now, admin_password_enc=FAKE_SECRET, provisioning_password_enc=FAKE_SECRET)
            document = item.to_mongo().to_dict()
            documents.append(document)
            events.append({"_id": ObjectId(), "at": now, "actor": "@bench", "action": "create",
                           "collection": "equipment", "object_id": str(item.id), "before": {},
                           "after": {k: v for k, v in document.items() if k != "_id" and not k.endswith("_enc")},
                           "request_id": "", "source": ""})
        Equipment._get_collection().insert_many(documents)
        Event._get_collection().insert_many(events)
    return time.perf_counter() - started


def stock_file(folder: Path, rows: int) -> Path:
    path = folder / "stock.csv"
    lines = ["serial;mac;vendor;model;ownership"] + [
        f"YL-{n:07d};00:15:65:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x};yealink;T46U;"
        f"{'sold' if n % 4 == 0 else 'lent'}" for n in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def timed_command(path: Path, data_dir: Path, *extra: str) -> tuple[float, str]:
    command = [sys.executable, "-m", "provisioner", "inventory", "import", str(path), "--data-dir", str(data_dir),
               *extra]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PROVISIONER_CONFIG": ""})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}): {done.stdout}{done.stderr}")
    return seconds, done.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000, help="equipment stored before the import")
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the imported file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="import-bench-") as folder:
        data_dir = Path(folder) / "var"
        storage = Storage(load_settings(None, {}, {"data_dir": str(data_dir)}))
        storage.open()  # the commands below find this database running and use it
        try:
            print(f"seeded {args.items:,} items and their events in {seed(args.items):.1f} s")
            path = stock_file(Path(folder), args.rows)
            for label, extra in (("dry run (--report-only)", ("--report-only",)), ("import", ()),
                                 ("same file again", ())):
                seconds, said = timed_command(path, data_dir, *extra)
                print(f"{label:<26} {seconds:6.1f} s   {said}")
            stored = Equipment._get_collection().estimated_document_count()
            print(f"items stored now: {stored:,}")
        finally:
            storage.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
