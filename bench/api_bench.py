"""Benchmark of the staff API: start-up time, create rate and read-by-id rate, against a real server process.

Starts `provisioner serve` (embedded NX-27017 database, temporary data directory) through
tests/server_process.py, drives it from keep-alive HTTP clients (one `http.client.HTTPConnection`
per thread) and prints requests/s, latency percentiles, errors, and the CPU that the server, its
database and the client used meanwhile. Targets (issue): ready in under 3 s; reads by id at least
1,000/s. Figures and profile: docs/benchmarks.rst. Run from the repository root:

    python bench/api_bench.py                # defaults finish in under 2 minutes
    python bench/api_bench.py --wrk          # also measure reads with wrk (apt-get install wrk)
    python bench/api_bench.py --profile profile.svg   # py-spy flame graph of the server during reads

Every phase is bounded in count and in time; every process started is stopped.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from server_process import ServerProcess, child_pids, free_port  # noqa: E402

#: (vendor, model) pairs cycled through by the equipment creations.
PHONES = [("yealink", "T46U"), ("polycom", "VVX450"), ("snom", "D785"), ("fanvil", "X5U"), ("cisco", "SPA504G")]
WRK_SCRIPT = Path(__file__).with_name("random_ids.lua")

#: What one request is: method, path, JSON body (or None) and the status that counts as success.
Request = tuple[str, str, Any, int]


#: Whose CPU use each phase reports, in % of one core.
CPU_USERS = ("server", "database", "client")
HEADER = (f"{'phase':<22} {'conc':>4} {'reqs':>7} {'secs':>7} {'req/s':>9} "
          f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}" + "".join(f" {w[:4] + ' %':>6}" for w in CPU_USERS))


@dataclass
class Result:
    """What one load phase measured."""

    name: str
    concurrency: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds used by server, database and client

    def line(self) -> str:
        """One row of the results table."""
        done = len(self.latencies)
        rate = done / self.seconds if self.seconds else 0.0
        if done >= 2:
            cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
            p50, p95, p99 = (1000 * cuts[i] for i in (49, 94, 98))
        else:
            p50 = p95 = p99 = float("nan")
        return (f"{self.name:<22} {self.concurrency:>4} {done:>7} {self.seconds:>7.1f} {rate:>9.0f} "
                f"{p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {self.errors:>6}"
                + "".join(f" {100 * self.cpu.get(who, 0) / self.seconds:>6.0f}" for who in CPU_USERS))


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")



def _is_database(pid: int) -> bool:
    try:
        return b"nx_27017" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def cpu_snapshot(server: ServerProcess) -> dict[str, float]:
    """CPU seconds used so far by the server (its process and workers), its database child, and this client."""
    pid = server.process.pid
    children = child_pids(pid)
    workers = [c for c in children if not _is_database(c)]
    return {"server": cpu_seconds(pid) + sum(cpu_seconds(c) for c in workers),
            "database": sum(cpu_seconds(c) for c in children if _is_database(c)),
            "client": time.process_time()}


def run_load(server: ServerProcess, token: str, name: str, count: int, concurrency: int,
             make: Callable[[int], Request], max_seconds: float,
             on_answer: Callable[[int, int, bytes], None] | None = None) -> Result:
    """Send `count` requests from `concurrency` keep-alive connections, stopping early after `max_seconds`."""
    result = Result(name, concurrency)
    numbers = itertools.count()
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    deadline = time.monotonic() + max_seconds

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            while time.monotonic() < deadline:
                with lock:
                    number = next(numbers)
                if number >= count:
                    return
                method, path, body, expected = make(number)
                data = None if body is None else json.dumps(body).encode()
                started = time.perf_counter()
                try:
                    connection.request(method, path, data, headers)
                    answer = connection.getresponse()
                    payload = answer.read()
                    status = answer.status
                    if answer.will_close:
                        connection.close()
                except (OSError, http.client.HTTPException):
                    connection.close()
                    status, payload = 0, b""
                elapsed = time.perf_counter() - started
                with lock:
                    result.latencies.append(elapsed)
                    result.statuses[status] += 1
                    if status != expected:
                        result.errors += 1
                if on_answer is not None and status == expected:
                    on_answer(number, status, payload)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, name=f"client-{i}", daemon=True) for i in range(concurrency)]
    cpu_before = cpu_snapshot(server)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_seconds + 30)
    result.seconds = time.perf_counter() - started
    result.cpu = {who: used - cpu_before[who] for who, used in cpu_snapshot(server).items()}
    return result


# --- phases ----------------------------------------------------------------------------------------


def measure_starts(work: Path, starts: int) -> dict[str, list[float]]:
    """Seconds from process start to /healthz 200: on a fresh data directory, and restarting an existing one."""
    times: dict[str, list[float]] = {"fresh data dir": [], "restart": []}
    for number in range(starts):
        server = ServerProcess(work / f"start-{number}")
        try:
            times["fresh data dir"].append(server.start(timeout=30).ready_seconds)
        finally:
            server.stop()
    reused = ServerProcess(work / "start-0")
    for _ in range(starts):
        reused.port = free_port()
        try:
            times["restart"].append(reused.start(timeout=30).ready_seconds)
        finally:
            reused.stop()
    return times


def customer_body(number: int) -> dict[str, Any]:
    return {"reference": f"BENCH-{number:06d}", "name": f"Client de test {number}", "email": f"c{number}@example.com"}


def equipment_body(number: int) -> dict[str, Any]:
    vendor, model = PHONES[number % len(PHONES)]
    return {"serial": f"BENCH-{number:07d}", "mac": f"0015{number:08x}", "vendor": vendor, "model": model}


def json_id(payload: bytes) -> str:
    return json.loads(payload)["id"]


def run_wrk(server: ServerProcess, token: str, ids: list[str], concurrency: int, seconds: int, work: Path) -> str:
    """wrk's report of GET /api/v1/equipment/{random id} with keep-alive connections."""
    ids_file = work / "ids.txt"
    ids_file.write_text("\n".join(ids) + "\n")
    command = ["wrk", "--latency", "-t", "2", "-c", str(concurrency), "-d", f"{seconds}s", "-s", str(WRK_SCRIPT),
               server.base, "--", str(ids_file), token]
    run = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    return run.stdout + run.stderr


def start_profiler(pid: int, seconds: int, output: Path) -> subprocess.Popen | None:
    """py-spy recording the server (and its database child) for `seconds`, if py-spy is installed."""
    if shutil.which("py-spy") is None:
        print("py-spy is not installed (pip install py-spy): no profile", file=sys.stderr)
        return None
    fmt = "raw" if output.suffix == ".txt" else "speedscope" if output.suffix == ".json" else "flamegraph"
    return subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--subprocesses", "--duration", str(seconds),
                             "--rate", "200", "--format", fmt, "--output", str(output), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=5, help="starts on fresh data dirs, then as many restarts (5)")
    parser.add_argument("--customers", type=int, default=300, help="customers to create (300)")
    parser.add_argument("--fleet", type=int, default=1000, help="equipment items to create, then read back (1000)")
    parser.add_argument("--reads", type=int, default=20000, help="reads by id (20000)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent keep-alive clients (8)")
    parser.add_argument("--max-seconds", type=float, default=60, help="time bound of each load phase (60)")
    parser.add_argument("--seed", type=int, default=20261126, help="random seed of the ids read")
    parser.add_argument("--wrk", action="store_true", help="also measure reads with wrk, if installed")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="record the server with py-spy during the reads (.svg flame graph, .json speedscope, .txt raw)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="environment variable for the loaded server, such as PROVISIONER_LOGGING_ACCESS_LOG=false")
    parser.add_argument("--work-dir", type=Path, help="where the data directories go (default: a temporary one)")
    args = parser.parse_args(argv)
    if min(args.starts, args.customers, args.fleet, args.reads, args.concurrency) < 1:
        parser.error("counts and concurrency must be at least 1")
    if any("=" not in item for item in args.env):
        parser.error("--env takes NAME=VALUE")

    work = Path(tempfile.mkdtemp(prefix="api-bench-", dir=args.work_dir))
    print(f"work dir {work}; python {sys.version.split()[0]}; {__import__('os').cpu_count()} CPUs", flush=True)

    starts = measure_starts(work, args.starts)
    for label, seconds in starts.items():
        print(f"start-up to ready ({label}, {len(seconds)} starts): median {statistics.median(seconds):.2f} s, "
              f"max {max(seconds):.2f} s, min {min(seconds):.2f} s", flush=True)

    server_env = dict(item.split("=", 1) for item in args.env)
    server = ServerProcess(work / "load", ("--demo",), env=server_env).start(timeout=60)
    results: list[Result] = []
    try:
        token = server.token()
        results.append(run_load(server, token, "POST customers", args.customers, args.concurrency,
                                lambda n: ("POST", "/api/v1/customers", customer_body(n), 201), args.max_seconds))
        created: list[str] = []
        results.append(run_load(server, token, "POST equipment", args.fleet, args.concurrency,
                                lambda n: ("POST", "/api/v1/equipment", equipment_body(n), 201), args.max_seconds,
                                on_answer=lambda n, status, payload: created.append(json_id(payload))))
        status, _, page = server.request("GET", "/api/v1/equipment?q=DEMO-&per_page=500", token=token)
        ids = sorted(set(created + ([item["id"] for item in page["items"]] if status == 200 else [])))
        print(f"fleet: {len(ids)} equipment ids to read from (created above, and the demo fleet's)", flush=True)
        chooser = random.Random(args.seed)
        picks = [chooser.choice(ids) for _ in range(args.reads)]
        profiler = None
        if args.profile:
            profile_seconds = max(1, min(int(args.max_seconds), 30))
            profiler = start_profiler(server.process.pid, profile_seconds, args.profile)
            time.sleep(1)  # py-spy attaches before the load starts
        results.append(run_load(server, token, "GET equipment/{id}", args.reads, args.concurrency,
                                lambda n: ("GET", f"/api/v1/equipment/{picks[n]}", None, 200), args.max_seconds))
        if profiler is not None:
            _, stderr = profiler.communicate(timeout=120)
            print(f"profile written to {args.profile}" if profiler.returncode == 0
                  else f"py-spy failed: {stderr.decode(errors='replace')[-500:]}", flush=True)
        results.append(run_load(server, token, "GET /healthz", min(args.reads, 5000), args.concurrency,
                                lambda n: ("GET", "/healthz", None, 200), args.max_seconds))
        print()
        print(HEADER)
        for result in results:
            print(result.line())
            odd = {code: n for code, n in result.statuses.items() if code not in (200, 201)}
            if odd:
                print(f"{'':<22} statuses other than success: {dict(sorted(odd.items()))}")
        if args.wrk:
            if shutil.which("wrk") is None:
                print("\nwrk is not installed (apt-get install -y wrk): skipped")
            else:
                report = run_wrk(server, token, ids, args.concurrency, args.wrk_seconds, work)
                print(f"\nwrk, GET /api/v1/equipment/{{random id}}, {args.concurrency} connections:\n{report}")
    finally:
        server.stop()

    reads = next(r for r in results if r.name.startswith("GET equipment"))
    read_rate = len(reads.latencies) / reads.seconds if reads.seconds else 0.0
    worst_start = max(max(v) for v in starts.values())
    print(f"\ntargets: ready < 3 s: {'met' if worst_start < 3 else 'NOT met'} (worst {worst_start:.2f} s); "
          f"reads by id >= 1000/s: {'met' if read_rate >= 1000 else 'NOT met'} ({read_rate:.0f}/s)")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
