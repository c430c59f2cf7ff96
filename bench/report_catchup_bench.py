"""The report cache's catch-up after a batch of changes: the first report after `--changed` items changed.

Starts the embedded NX-27017 alone (temporary data directory), inserts `--items` equipment records in bulk in
their stored form (bench/reports_bench.py's mix), keeps every report's items in a ReportCache, then, `--rounds`
times each, changes `--changed` items through their records (each write moves the generation and logs its event,
as a batch of scans does) and times:

* the items-by-state report alone (its catch-up rereads every changed item);
* the warehouse dashboard (`read_dashboard`: items by state, overdue returns, replacements, insurance).

The database commands each one sends are counted with a pymongo command listener, and each kept report is
checked against one read afresh. Figures: docs/benchmarks.rst, "Reports". Run from the repository root:

    python bench/report_catchup_bench.py                 # 20,000 items, 2,000 changed; about 3 minutes
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import mongoengine  # noqa: E402
from pymongo import monitoring  # noqa: E402
from reports_bench import insert, make_records  # noqa: E402

from inventory import report_queries, reports  # noqa: E402
from inventory.equipment import Equipment  # noqa: E402
from inventory.events import Actor  # noqa: E402
from provisioner.embedded_db import EmbeddedDatabase  # noqa: E402
from provisioner.provisioning import record_changes  # noqa: E402
from provisioner.report_cache import ReportCache  # noqa: E402
from provisioner.storage import connect, ensure_indexes  # noqa: E402
from provisioner.web.warehouse.warehouse_dashboard import read_dashboard  # noqa: E402


class Commands(monitoring.CommandListener):
    """Counts the commands sent, by name and collection ("find equipment": 3)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        target = event.command.get(event.command_name)
        self.counts[f"{event.command_name} {target if isinstance(target, str) else ''}".strip()] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def change(ids: list[Any], count: int, rng: random.Random, round_number: int) -> float:
    """Change `count` items' notes through their records; returns the seconds it took."""
    actor = Actor.system("bench")
    started = time.perf_counter()
    for item_id in rng.sample(ids, count):
        Equipment.objects.get(pk=item_id).update(actor, {"notes": f"scanned, round {round_number}"})
    return time.perf_counter() - started


def timed(listener: Commands, work: Any) -> tuple[float, Counter[str], Any]:
    """(milliseconds, commands sent, result) of one call of `work`."""
    listener.counts.clear()
    started = time.perf_counter()
    result = work()
    return 1000 * (time.perf_counter() - started), Counter(listener.counts), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--changed", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    if args.changed > record_changes.MAX_EVENTS:
        parser.error(f"the change feed answers 'everything' past {record_changes.MAX_EVENTS} events")

    listener = Commands()
    monitoring.register(listener)  # before connecting: listeners apply to the clients made afterwards
    work = Path(tempfile.mkdtemp(prefix="report-catchup-"))
    try:
        with EmbeddedDatabase(work / "db") as database:
            connect(database.uri, "bench")
            ensure_indexes()
            records = make_records(args.items, args.seed)
            insert(mongoengine.get_db(), records)
            ids = [item["_id"] for item in records[2]]
            cache = ReportCache()
            services = SimpleNamespace(reports=cache)
            now, today = dt.datetime.now(dt.UTC), dt.date.today()
            first, _, _ = timed(listener, lambda: read_dashboard(services, now, today))
            print(f"{args.items} items inserted; the dashboard's first read (everything): {first:.0f} ms", flush=True)
            rng = random.Random(args.seed)
            results: dict[str, list[float]] = {"states": [], "dashboard": []}
            number = 0
            for _ in range(args.rounds):
                for name, work_done in (("states", lambda: cache.states("site")),
                                        ("dashboard", lambda: read_dashboard(services, now, today))):
                    number += 1
                    # The feed's window reaches OVERLAP_SECONDS before the previous poll, which came right after the
                    # previous round's changes: one more poll, that much later, so that the timed one's window holds
                    # this round's events only (past MAX_EVENTS the feed answers "everything").
                    time.sleep(record_changes.OVERLAP_SECONDS + 1)
                    cache.state_totals()
                    spent = change(ids, args.changed, rng, number)
                    ms, commands, result = timed(listener, work_done)
                    results[name].append(ms)
                    print(f"{name:<9} after {args.changed} items changed (in {spent:.1f} s): {ms:7.0f} ms, "
                          f"{sum(commands.values())} commands: "
                          + ", ".join(f"{key} {n}" for key, n in commands.most_common()), flush=True)
                    if name == "states":
                        assert result.rows == report_queries.states("site").rows, "kept report differs"
                    else:
                        assert result.overdue.rows == report_queries.overdue_returns(today).rows
                        assert result.replacements.rows == report_queries.replacements(
                            now, reports.AT_RISK_HOURS).rows
            for name, times in results.items():
                print(f"{name}: median {statistics.median(times):.0f} ms over {len(times)} rounds "
                      f"(min {min(times):.0f}, max {max(times):.0f})")
            mongoengine.disconnect()
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
