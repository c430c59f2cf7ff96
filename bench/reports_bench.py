"""Reports over 100,000 items: the overdue-returns report timed in-process and over HTTP, the others once.

Starts `provisioner serve` (default settings, embedded NX-27017, temporary data directory) through
tests/server_process.py, inserts `--items` equipment records in bulk in their stored form (a realistic mix
of states over 100 items a site, one site a customer, about 1 % due back or late), then times:

* the overdue-returns report built in this process over the server's database (`report_queries`),
  `--runs` times, and the same read with one `$in` over the three states instead of one query per state;
* `GET /api/v1/reports/overdue-returns` (JSON and CSV), `--runs` times each, keep-alive;
* each other report over HTTP: its first answer, then 3 more with a change before each.

The server keeps the overdue report's items, every item's state and the names it shows between two reports,
and follows the event log for what changed (provisioner/report_cache.py): both the first read and the kept
one are timed, and each kept report is checked against one read afresh.

Target (issue): the overdue-returns report under 100 ms median with 100,000 items. Figures:
docs/benchmarks.rst, "Reports". Run from the repository root:

    python bench/reports_bench.py            # about 2 minutes, most of it inserting
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bson import ObjectId  # noqa: E402
from fleet import close_database, open_database, server_settings  # noqa: E402
from server_process import ServerProcess  # noqa: E402

from inventory import report_queries  # noqa: E402
from inventory.customers import Customer, Site  # noqa: E402
from inventory.equipment import Equipment  # noqa: E402
from inventory.events import Actor  # noqa: E402
from inventory.insurance import InsuranceCertificate  # noqa: E402
from inventory.reports import OVERDUE_STATES, as_date, is_overdue  # noqa: E402
from provisioner.report_cache import ReportCache  # noqa: E402

TARGET_MS = 100.0
ITEMS_PER_SITE = 100
#: Share of the fleet in each state (sums to 1): mostly in service, a few percent anywhere else.
STATE_MIX = {"in_stock": 0.12, "staged": 0.02, "shipped": 0.02, "delivered": 0.03, "installed": 0.03,
             "in_service": 0.66, "failed": 0.01, "return_due": 0.006, "overdue": 0.003, "repossession": 0.001,
             "returned": 0.02, "inspected": 0.01, "refurbishing": 0.01, "scrapped": 0.02, "lost": 0.005,
             "stolen": 0.005}
AWAY = {"in_stock", "staged", "returned", "inspected", "refurbishing", "scrapped"}


def make_records(count: int, seed: int) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """(customers, sites, equipment, insurance certificates) in their stored form, one customer and one site per
    ITEMS_PER_SITE items; 90 % of the customers insured, 5 % expired, 5 % without a certificate."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    today = now.date()
    stamps = {"version": 1, "created_at": now, "updated_at": now}
    states, weights = list(STATE_MIX), list(STATE_MIX.values())
    customers, sites, items, certificates = [], [], [], []
    customer = site = None
    secret = "v1:bench-not-a-real-secret"
    for index in range(count):
        if index % ITEMS_PER_SITE == 0:
            number = index // ITEMS_PER_SITE
            customer = Customer(id=ObjectId(), reference=f"BENCH-{number:05d}", name=f"Client {number}", **stamps)
            site = Site(id=ObjectId(), customer=customer, name=f"Site {number}", address=f"{number} rue de la Paix",
                        postcode="75002", city="Paris", departement="75", zone="metropolitan", **stamps)
            customers.append(customer.to_mongo().to_dict())
            sites.append(site.to_mongo().to_dict())
            luck = rng.random()
            if luck < 0.95:
                expires = today + dt.timedelta(days=200 if luck < 0.9 else -20)
                certificates.append(InsuranceCertificate(
                    id=ObjectId(), customer=customer, insurer="AXA", policy_number=f"P-{number}",
                    starts_on=expires - dt.timedelta(days=364), expires_on=expires, **stamps).to_mongo().to_dict())
        state = rng.choices(states, weights)[0]
        ownership = "sold" if rng.random() < 0.1 and state not in OVERDUE_STATES else "lent"
        item = {"_id": ObjectId(), "serial": f"BENCH-{index:07d}", "mac": f"805ec1{index:06x}", "vendor": "yealink",
                "model": "T46U", "kind": "phone", "ownership": ownership, "state": state,
                "admin_password_enc": secret, "lines": [], "shipped_accessories": [], "returned_accessories": [],
                "transition_keys": [], "outbox_pending": False, **stamps}
        if state not in AWAY:
            item.update(customer=str(customer.pk), site=str(site.pk))
        if state in OVERDUE_STATES:
            due = today + dt.timedelta(days=rng.randint(-60, 10))
            item["contract_ended_on"] = dt.datetime.combine(due - dt.timedelta(days=1), dt.time())
            item["return_due_on"] = dt.datetime.combine(due, dt.time())
            if state != "return_due":
                item["overdue_since"] = now - dt.timedelta(days=rng.randint(1, 50))
        if state == "failed":
            noted = now - dt.timedelta(hours=rng.uniform(0, 100))
            item.update(failure_noted_at=noted, replacement="due", replacement_due_at=noted + dt.timedelta(hours=72))
        if state not in ("in_stock",):  # moved at least once: the item carries its last move's event (outbox)
            snapshot = {k: v for k, v in item.items() if k != "_id"}
            item["last_event"] = {"id": str(ObjectId()), "at": now, "actor": "wendy", "action": "transition:move",
                                  "collection": "equipment", "object_id": str(item["_id"]), "before": snapshot,
                                  "after": {**snapshot, "version": 2}, "request_id": "bench", "charges": []}
        if ownership == "sold" and state not in AWAY:
            delivered = now - dt.timedelta(days=rng.randint(1, 500))
            item.update(delivered_at=delivered, warranty_end=delivered + dt.timedelta(days=365))
        items.append(item)
    return customers, sites, items, certificates


def insert(database: Any, records: tuple[list[dict], ...]) -> None:
    for document, stored in zip((Customer, Site, Equipment, InsuranceCertificate), records, strict=True):
        collection = database[document._get_collection_name()]
        for start in range(0, len(stored), 1000):
            collection.insert_many(stored[start:start + 1000], ordered=False)


def timed(work: Any, runs: int, before: Any = None) -> tuple[list[float], Any]:
    """Milliseconds of each of `runs` calls of `work` (after one warm-up call, each after `before()` if given),
    and its last result."""
    result = work()
    times = []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        result = work()
        times.append(1000 * (time.perf_counter() - started))
    return times, result


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    return (f"median {statistics.median(ordered):6.1f} ms   min {ordered[0]:6.1f}   max {ordered[-1]:6.1f}   "
            f"(n={len(ordered)})")


def one_in_over_states(database: Any, today: dt.date) -> list[dict]:
    """The overdue read done with a single `$in` over the three states, for comparison."""
    fields = {"serial": 1, "mac": 1, "state": 1, "customer": 1, "site": 1, "return_due_on": 1, "overdue_since": 1}
    found = database["equipment"].find({"state": {"$in": list(OVERDUE_STATES)}}, fields)
    return [i for i in found if is_overdue(i["state"], as_date(i.get("return_due_on")), today)]


class Changer:
    """Before each timed run: one due item's notes and one customer's name changed through the records, as a
    clerk would (each write moves the generation and logs its event)."""

    def __init__(self, records: tuple[list[dict], ...]):
        self.items = [i["_id"] for i in records[2] if i["state"] == "return_due"]
        self.customers = [c["_id"] for c in records[0]]
        self.runs = 0

    def __call__(self) -> None:
        self.runs += 1
        actor = Actor.system("bench")
        item = Equipment.objects.get(pk=self.items[self.runs % len(self.items)])
        item.update(actor, {"notes": f"called the customer, try {self.runs}"})
        customer = Customer.objects.get(pk=self.customers[self.runs % len(self.customers)])
        customer.update(actor, {"name": f"{customer.name.split(' #')[0]} #{self.runs}"})


def http_get(connection: http.client.HTTPConnection, path: str, token: str) -> bytes:
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    answer = connection.getresponse()
    body = answer.read()
    if answer.status != 200:
        raise RuntimeError(f"GET {path}: {answer.status} {body[:300]!r}")
    return body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--work-dir", default=None, help="where the temporary data directory goes")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="reports-bench-", dir=args.work_dir))
    env, settings, _ = server_settings({})
    server = ServerProcess(work / "server", env=env)
    try:
        server.start(timeout=60)
        token = server.token()
        database = open_database(server, settings)
        moment = time.monotonic()
        records = make_records(args.items, args.seed)
        insert(database, records)
        mix = Counter(item["state"] for item in records[2])
        print(f"{len(records[2])} items, {len(records[1])} sites inserted in {time.monotonic() - moment:.1f} s; "
              + ", ".join(f"{state} {mix[state]}" for state in OVERDUE_STATES), flush=True)

        today = dt.datetime.now(dt.UTC).date()
        times, report = timed(lambda: report_queries.overdue_returns(today), args.runs)
        print(f"overdue-returns in-process, read afresh:         {summary(times)}  -> {len(report.rows)} rows")
        times, rows = timed(lambda: one_in_over_states(database, today), args.runs)
        print(f"  its items read with one $in over the states:   {summary(times)}  -> {len(rows)} items")
        times, rows = timed(report_queries.overdue_candidates, args.runs)
        print(f"  its items read one state at a time (used):     {summary(times)}  -> {len(rows)} items")
        cache = ReportCache()
        times, report = timed(lambda: cache.overdue_returns(today), args.runs)
        print(f"overdue-returns in-process, kept (the server's): {summary(times)}  -> {len(report.rows)} rows")
        median_in_process = statistics.median(times)
        change = Changer(records)
        times, report = timed(lambda: cache.overdue_returns(today), args.runs, before=change)
        print(f"  the same, an item and a customer changed each: {summary(times)}  -> {len(report.rows)} rows")
        assert report.rows == report_queries.overdue_returns(today).rows, "the kept report differs from a fresh one"

        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        for suffix in ("", "?format=csv"):
            path = "/api/v1/reports/overdue-returns" + suffix
            times, body = timed(lambda path=path: http_get(connection, path, token), args.runs)
            print(f"GET {path:<44} {summary(times)}  ({len(body)} bytes)")
        path = "/api/v1/reports/overdue-returns"
        times, body = timed(lambda: http_get(connection, path, token), args.runs, before=change)
        print(f"GET {path + ', a record changed before each':<44} {summary(times)}")
        for path in ("replacements", "warranties", "insurance", "states", "states?by=customer"):
            started = time.perf_counter()
            http_get(connection, f"/api/v1/reports/{path}", token)
            first = 1000 * (time.perf_counter() - started)
            times, body = timed(lambda path=path: http_get(connection, f"/api/v1/reports/{path}", token), 3,
                                before=change)
            print(f"GET /api/v1/reports/{path:<28} first {first:8.1f} ms, then with changes: {summary(times)}  "
                  f"({len(body)} bytes)")
        times, report = timed(lambda: cache.states("site"), 3, before=change)
        print(f"states in-process, kept, with changes:           {summary(times)}  -> {len(report.rows)} rows")
        assert report.rows == report_queries.states("site").rows, "the kept report differs from a fresh one"
        connection.close()
        verdict = "met" if median_in_process < TARGET_MS else "NOT met"
        print(f"target: overdue-returns median under {TARGET_MS:.0f} ms: {verdict}")
        return 0
    finally:
        close_database()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
