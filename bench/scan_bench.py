"""Scan batches over 100,000 items: a batch return (`check_in`) of 500 scanned items, timed over HTTP.

Starts `provisioner serve` (default settings, embedded NX-27017, temporary data directory) through
tests/server_process.py, inserts `--items` equipment records in bulk in their stored form: most in stock,
`--due` of them lent and due back (`return_due`) at the sites of customers (100 items a site, one site a
customer), shipped with a cable and a power supply, each carrying its last move's event as the lifecycle's
outbox leaves it. Then, signed in as the administrator:

* `--runs` times, on a fresh set of `--batch` due items each: `POST /api/v1/scans/check_in` with their serials,
  `{"condition": "working", "accessories": ["cable"]}` (the power supply missing: one charge each) and a batch
  key of its own; timed from the request sent to the answer read;
* the last batch posted again (same scans, same key): timed; it must change nothing.

After each batch every result must be ok (200, `returned`), every item stored `returned` at version 2 with its
outbox delivered, one `transition:check_in` event and one charge line each; after the replay every result must
be `repeated` and the items, events and charge lines the same as before it.

Target (issue 4): with 100,000 items, a batch return of 500 scanned items under 3 s. Figures:
docs/benchmarks.rst, "Scan batches". Run from the repository root:

    python bench/scan_bench.py                         # about 1 minute, most of it inserting
    python bench/scan_bench.py --profile scan.txt      # py-spy (raw stacks) of the server during the batches
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import random
import shutil
import statistics
import subprocess
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

from inventory.charges import ChargeLine  # noqa: E402
from inventory.customers import Customer, Site  # noqa: E402
from inventory.equipment import Equipment  # noqa: E402
from inventory.events import Event  # noqa: E402
from inventory.generation import RECORDS, Generation  # noqa: E402

TARGET_SECONDS = 3.0
ITEMS_PER_SITE = 100
SHIPPED = ["cable", "psu"]
RETURNED = ["cable"]


def make_records(count: int, due: int, seed: int) -> tuple[list[dict], list[dict], list[dict]]:
    """(customers, sites, equipment) in their stored form: `due` items spread evenly over the fleet are lent and
    `return_due` at a customer's site, the others in stock."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    today = now.date()
    stamps = {"version": 1, "created_at": now, "updated_at": now}
    due_at = set(rng.sample(range(count), due))
    customers, sites, items = [], [], []
    customer = site = None
    secret = "v1:bench-not-a-real-secret"
    for index in range(count):
        if index % ITEMS_PER_SITE == 0:
            number = index // ITEMS_PER_SITE
            customer = Customer(id=ObjectId(), reference=f"SCAN-{number:05d}", name=f"Client {number}", **stamps)
            site = Site(id=ObjectId(), customer=customer, name=f"Site {number}", address=f"{number} rue de la Paix",
                        postcode="75002", city="Paris", departement="75", zone="metropolitan", **stamps)
            customers.append(customer.to_mongo().to_dict())
            sites.append(site.to_mongo().to_dict())
        item = {"_id": ObjectId(), "serial": f"SCAN-{index:07d}", "mac": f"805ec2{index:06x}", "vendor": "yealink",
                "model": "T46U", "kind": "phone", "ownership": "sold" if rng.random() < 0.1 else "lent",
                "state": "in_stock", "admin_password_enc": secret, "lines": [], "shipped_accessories": [],
                "returned_accessories": [], "transition_keys": [], "outbox_pending": False, **stamps}
        if index in due_at:
            ended = today - dt.timedelta(days=rng.randint(1, 20))
            shipped = now - dt.timedelta(days=rng.randint(400, 900))
            item.update(ownership="lent", state="return_due", customer=str(customer.pk), site=str(site.pk),
                        staged_at=shipped - dt.timedelta(days=1), carrier="Colissimo",
                        tracking_number=f"6A{index:011d}", shipped_at=shipped, shipped_accessories=list(SHIPPED),
                        delivered_at=shipped + dt.timedelta(days=2), delivery_proof="signed",
                        contract_ended_on=dt.datetime.combine(ended, dt.time()),
                        return_due_on=dt.datetime.combine(ended + dt.timedelta(days=1), dt.time()), version=6)
            snapshot = {k: v for k, v in item.items() if k != "_id"}
            item["last_event"] = {"id": str(ObjectId()), "at": now, "actor": "sam", "action": "transition:end_contract",
                                  "collection": "equipment", "object_id": str(item["_id"]),
                                  "before": {**snapshot, "state": "in_service", "version": 5}, "after": snapshot,
                                  "request_id": "bench", "move": "end_contract", "key": "", "charges": {}}
        items.append(item)
    return customers, sites, items


def insert(database: Any, records: tuple[list[dict], ...]) -> None:
    for document, stored in zip((Customer, Site, Equipment), records, strict=True):
        collection = database[document._get_collection_name()]
        for start in range(0, len(stored), 1000):
            collection.insert_many(stored[start:start + 1000], ordered=False)
    # Written behind the server's back: tell its caches, as every write through the records does.
    database[Generation._get_collection_name()].update_one({"_id": RECORDS}, {"$inc": {"value": 1}}, upsert=True)


def post_batch(connection: http.client.HTTPConnection, token: str, serials: list[str],
               batch_key: str) -> tuple[float, dict]:
    """Seconds from sending the batch to reading its whole answer, and the answer."""
    body = json.dumps({"scans": serials, "inputs": {"condition": "working", "accessories": RETURNED},
                       "batch_key": batch_key})
    started = time.perf_counter()
    connection.request("POST", "/api/v1/scans/check_in", body=body,
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    answer = connection.getresponse()
    raw = answer.read()
    seconds = time.perf_counter() - started
    if answer.status != 200:
        raise RuntimeError(f"POST /api/v1/scans/check_in: {answer.status} {raw[:500]!r}")
    return seconds, json.loads(raw)


def stored_state(database: Any, ids: list[ObjectId]) -> tuple[dict, Counter, Counter]:
    """The batch's items as stored (by _id), and how many check-in events and charge lines each has (by id text).

    The events and charge lines are read whole and counted here: `$in` on another field than `_id` would scan
    the collection anyway (docs/storage.rst)."""
    items = {raw["_id"]: raw for raw in database[Equipment._get_collection_name()].find(
        {"_id": {"$in": ids}}, {"state": 1, "version": 1, "outbox_pending": 1, "returned_accessories": 1,
                                "return_condition": 1, "transition_keys": 1})}
    wanted = {str(i) for i in ids}
    events = Counter(raw["object_id"] for raw in database[Event._get_collection_name()].find(
        {"action": "transition:check_in"}, {"object_id": 1}) if raw["object_id"] in wanted)
    charges = Counter(str(raw["item"]) for raw in database[ChargeLine._get_collection_name()].find(
        {}, {"item": 1}) if str(raw["item"]) in wanted)
    return items, events, charges


def check_batch(answer: dict, serials: list[str], ids: list[ObjectId], database: Any, repeated: bool) -> None:
    """Every scan ok in order, every item returned with one event and one charge: AssertionError otherwise."""
    results = answer["results"]
    assert len(results) == len(serials), f"{len(results)} results for {len(serials)} scans"
    assert answer["done"] == len(serials) and answer["refused"] == 0, f"done {answer['done']}, refused {answer['refused']}"
    for result, serial, item_id in zip(results, serials, ids, strict=True):
        assert result["scan"] == serial and result["item"] == str(item_id), result
        assert result["ok"] and result["status"] == 200 and result["state"] == "returned", result
        assert result["repeated"] is repeated, result
        assert [c["reason"] for c in result["charges"]] == ["missing accessory: psu"], result
    items, events, charges = stored_state(database, ids)
    assert len(items) == len(ids), f"{len(items)} of {len(ids)} items found"
    for item_id in ids:
        raw, key = items[item_id], str(item_id)
        assert raw["state"] == "returned" and raw["version"] == 7 and not raw["outbox_pending"], raw
        assert raw["returned_accessories"] == RETURNED and raw["return_condition"] == "working", raw
        assert len(raw["transition_keys"]) == 1, raw
        assert events[key] == 1, f"{key}: {events[key]} check-in events"
        assert charges[key] == 1, f"{key}: {charges[key]} charge lines"


def start_profiler(pid: int, output: Path) -> subprocess.Popen | None:
    if shutil.which("py-spy") is None:
        print("py-spy is not installed (pip install py-spy): no profile", file=sys.stderr)
        return None
    fmt = "raw" if output.suffix == ".txt" else "speedscope" if output.suffix == ".json" else "flamegraph"
    profiler = subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--subprocesses", "--rate", "200",
                                 "--format", fmt, "--output", str(output), "--nonblocking"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)  # let it attach to every process
    return profiler


def stop_profiler(profiler: subprocess.Popen | None, output: Path) -> None:
    if profiler is None:
        return
    profiler.send_signal(2)  # SIGINT: py-spy writes what it recorded
    try:
        profiler.wait(30)
    except subprocess.TimeoutExpired:
        profiler.kill()
        profiler.wait(5)
    print(f"profile written to {output}" if output.exists() else
          f"py-spy wrote no profile: {profiler.stderr.read().decode(errors='replace')[-500:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500, help="scans in a batch (500, the most the API takes)")
    parser.add_argument("--runs", type=int, default=3, help="batches timed, each on fresh items (3)")
    parser.add_argument("--due", type=int, default=2000, help="items due back among --items (2000)")
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="record the server with py-spy during the batches (.txt raw, .json speedscope, .svg)")
    parser.add_argument("--work-dir", default=None, help="where the temporary data directory goes")
    args = parser.parse_args()
    if args.due < args.batch * args.runs:
        parser.error("--due must be at least --batch times --runs")

    work = Path(tempfile.mkdtemp(prefix="scan-bench-", dir=args.work_dir))
    env, settings, _ = server_settings({})
    server = ServerProcess(work / "server", env=env)
    profiler = None
    try:
        server.start(timeout=60)
        token = server.token()
        database = open_database(server, settings)
        moment = time.monotonic()
        records = make_records(args.items, args.due, args.seed)
        insert(database, records)
        due = [item for item in records[2] if item["state"] == "return_due"]
        print(f"{len(records[2])} items, {len(records[1])} sites inserted in {time.monotonic() - moment:.1f} s; "
              f"return_due {len(due)}, in_stock {len(records[2]) - len(due)}", flush=True)

        rng = random.Random(args.seed + 1)
        rng.shuffle(due)
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
        if args.profile:
            profiler = start_profiler(server.process.pid, args.profile)
        times = []
        for run in range(args.runs):
            chosen = due[run * args.batch:(run + 1) * args.batch]
            serials, ids = [i["serial"] for i in chosen], [i["_id"] for i in chosen]
            key = f"bench-return-{run + 1}"
            seconds, answer = post_batch(connection, token, serials, key)
            times.append(seconds)
            check_batch(answer, serials, ids, database, repeated=False)
            print(f"batch {run + 1}: {len(serials)} scans check_in in {seconds:6.2f} s "
                  f"({1000 * seconds / len(serials):5.1f} ms a scan): {answer['done']} done, "
                  f"{answer['refused']} refused; all returned, one event and one charge each", flush=True)
        before = stored_state(database, ids)
        seconds, answer = post_batch(connection, token, serials, key)
        check_batch(answer, serials, ids, database, repeated=True)
        after = stored_state(database, ids)
        assert after == before, "the replay changed the items, their events or their charge lines"
        print(f"replay of batch {args.runs}: {len(serials)} scans in {seconds:6.2f} s "
              f"({1000 * seconds / len(serials):5.1f} ms a scan): all repeated, nothing changed", flush=True)
        connection.close()
        stop_profiler(profiler, args.profile)
        profiler = None
        median = statistics.median(times)
        print(f"check_in of {args.batch} scans: median {median:.2f} s, min {min(times):.2f}, max {max(times):.2f} "
              f"(n={len(times)}); replay {seconds:.2f} s")
        verdict = "met" if max(times) < TARGET_SECONDS else "NOT met"
        print(f"target: a batch return of {args.batch} scanned items under {TARGET_SECONDS:.0f} s "
              f"(every run): {verdict}")
        return 0
    finally:
        if profiler is not None:
            stop_profiler(profiler, args.profile)
        close_database()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
