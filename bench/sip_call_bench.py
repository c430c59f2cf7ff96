"""SIP call set-ups through the proxy: authenticated calls between lines of the SIP core, at fixed rates.

Measures the highest rate of calls per second that the proxy (sip_core, one process) sets up and tears down
with zero failures. Target of the issue: at least 200 call set-ups/s. Everything runs on 127.0.0.1.

How:

* The core runs alone (bench/sip_core_alone.py: accounts, bindings and guards in memory, no database) with
  ``--callers`` calling lines (``u00000``... of bench/sip/sip_accounts.py) and ``--callees`` called lines
  (``c00000``..., extension ``20000``... and number ``+33190000000``...), all of customer "bench".
* The callees: one sipp first registers every callee line with digest authentication
  (bench/sip/register_digest.xml) from one UDP port; then, for each run, a sipp on that same port answers
  every call the proxy forwards there (tests/sipp/uas_answer.xml: 180, 200 resent until the ACK, the BYE
  answered). The proxy sends to the address a line registered from, so one port serves every callee.
* The callers: for each offered rate (``--rates``), one sipp places ``rate x --duration`` calls at that rate
  (bench/sip/uac_call_timed.xml): INVITE, 407, ACK, INVITE with Proxy-Authorization, 100/180/200, ACK, the
  call held ``--hold-ms``, BYE, 200. Call k of the whole bench is made by caller ``k mod callers`` to callee
  ``k mod callees``, by extension on even calls and by national number (``0190...``) on odd ones, so the
  numbering plan's classification is part of each other set-up. The proxy's fraud guards keep their
  defaults (10 calls a minute and 4 at once per calling line): the bench refuses to start when its callers
  are too few to stay under them.
* A call fails on a wrong answer or after 5 s without one (sipp resends lost requests after 0.5, 1, 2 s...).
  Counts come from sipp's final statistics (``-trace_stat``) of both sides; response times from
  ``-trace_rtt`` (1: first INVITE to 200, as the phone sees the set-up, 407 round included; 2: the
  authenticated INVITE to 180, the ringing back through the proxy; 3: BYE to 200); CPU of the core from /proc, of sipp from the children's
  rusage, and of the rest of the machine (``other``) from /proc/stat.

A run passes with zero failures on either side, every call answered by a callee, and at least 95 % of the
offered rate completed (completed calls over sipp's elapsed time less one mean call length). The answer is
the highest offered rate that passes. The climb stops after two failing rates in a row. Run from the
repository root (needs sipp from the Debian package sip-tester):

    python bench/sip_call_bench.py                       # 100,200,300,400,600 calls/s, 10 s each, ~1 min
    python bench/sip_call_bench.py --rates 200 --duration 3 --callers 2000 --callees 50

Every sipp run and the whole script are bounded in time; every process started is stopped.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sip"))
sys.path.insert(0, str(HERE))

from sip_accounts import (  # noqa: E402
    DEFAULT_REALM,
    Account,
    make_accounts,
    make_callees,
    write_accounts_csv,
    write_sipp_injection,
)
from sip_register_bench import (  # noqa: E402
    HOST,
    SIPP,
    Target,
    children_cpu,
    cpu_seconds,
    duration_seconds,
    epoch,
    free_udp_port,
    machine_busy,
    read_stats,
    start_ours,
    stop_group,
    tail,
)

REGISTER_SCENARIO = HERE / "sip" / "register_digest.xml"
CALLER_SCENARIO = HERE / "sip" / "uac_call_timed.xml"
CALLEE_SCENARIO = HERE.parent / "tests" / "sipp" / "uas_answer.xml"  # the phone answering, as the tests run it
CORE_COMMAND = f"{shlex.quote(sys.executable)} bench/sip_core_alone.py {{host}} {{port}} {{realm}} {{accounts_csv}}"
#: The issue's target, call set-ups per second with zero failures.
TARGET_RATE = 200.0
#: A run keeps up when it completed at least this share of the offered rate.
KEEP_UP = 0.95
#: The proxy's per-line guards at their defaults (sip_core.core.CoreConfig): calls a minute, calls at once.
LINE_CALLS_PER_MINUTE = 10
LINE_CONCURRENT_CALLS = 4
#: CPU percent used by the rest of the machine during a run from which the run is suspect.
OTHER_BUSY = 40.0
#: sipp's socket buffers (-buff_size; its default 64 KiB drops messages in bursts).
BUFF_SIZE = 4 * 1024 * 1024


@dataclass
class CallRun:
    """One offered rate: what both sipp sides counted, how long set-ups took, and what it cost."""

    offered: float
    calls: int
    successful: int = 0  # caller side: calls that went through to the BYE's 200
    failed: int = 0  # caller side: failed, plus never ended or never started
    answered: int = 0  # callee side: calls answered and hung up
    callee_failed: int = 0
    retransmissions: int = 0  # both sides
    elapsed: float = 0.0
    achieved: float = 0.0
    mean_call_ms: float = 0.0
    setup_ms: dict[str, float] = field(default_factory=dict)  # p50, p95, p99, max of response time 1
    ringing_ms: dict[str, float] = field(default_factory=dict)  # the same of response time 2
    bye_ms: dict[str, float] = field(default_factory=dict)  # the same of response time 3
    core_cpu_percent: float = 0.0
    core_cpu_ms_per_call: float = 0.0  # the core's CPU time over the calls that went through
    sipp_cpu_percent: float = 0.0
    other_cpu_percent: float = 0.0
    load: str = ""  # /proc/loadavg after the run
    kept_up: bool = False
    passed: bool = False
    commands: list[str] = field(default_factory=list)


# --- accounts and calls -----------------------------------------------------------------------------


def national(number: str) -> str:
    """The national form of a French E.164 number: +33190000005 -> 0190000005."""
    return "0" + number[3:]


def write_calls(callers: list[Account], callees: list[Account], first: int, count: int, path: Path) -> Path:
    """The caller's injection file for calls first..first+count-1 of the bench (see the module's docstring)."""
    lines = ["SEQUENTIAL"]
    for k in range(first, first + count):
        caller, callee = callers[k % len(callers)], callees[k % len(callees)]
        dialled = callee.extension if k % 2 == 0 else national(callee.number)
        lines.append(
            f"{caller.username};[authentication username={caller.username} password={caller.password}];"
            f"{caller.realm};{dialled}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def guard_problem(callers: int, rates: list[float], hold_ms: float) -> str | None:
    """Why the proxy's per-line guards would refuse some of the bench's calls, or None."""
    fastest = max(rates)
    per_minute = math.ceil(60 * fastest / callers)
    if per_minute > LINE_CALLS_PER_MINUTE:
        return (
            f"at {fastest:g} calls/s each of {callers} callers calls {per_minute} times a minute; the proxy "
            f"refuses more than {LINE_CALLS_PER_MINUTE}: use --callers {math.ceil(6 * fastest)} or more"
        )
    if fastest * (hold_ms / 1000 + 5) / callers >= LINE_CONCURRENT_CALLS:
        return f"callers would hold {LINE_CONCURRENT_CALLS} calls at once: use more --callers or a shorter --hold-ms"
    return None


# --- sipp -------------------------------------------------------------------------------------------


def wait_bound(port: int, deadline: float) -> bool:
    """True once a UDP socket is bound to 127.0.0.1:`port` (sipp listening) before `deadline`."""
    wanted = f"0100007F:{port:04X}"
    while time.monotonic() < deadline:
        for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
            if line.split()[1] == wanted:
                return True
        time.sleep(0.05)
    return False


def sipp(scenario: Path, target: Target | None, port: int, folder: Path, extra: list[str]) -> list[str]:
    """A sipp command line on local UDP `port`, its statistics and response times written into `folder`."""
    command = [SIPP, *( [f"{target.host}:{target.port}"] if target else [] ), "-sf", str(scenario),
               "-t", "u1", "-i", HOST, "-p", str(port), "-buff_size", str(BUFF_SIZE), "-nostdin",
               "-trace_stat", "-stf", str(folder / "stats.csv"), "-fd", "1",
               "-trace_err", "-error_file", str(folder / "errors.log")]  # fmt: skip
    return command + extra


def launch(command: list[str], folder: Path) -> subprocess.Popen:
    """Start sipp in its own session, in `folder`, its output into folder/out."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "out").open("wb") as out:
        return subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=folder, start_new_session=True
        )


def finish(process: subprocess.Popen, deadline: float, folder: Path) -> None:
    """Wait for sipp until `deadline`, then stop it; say when it ended in trouble."""
    try:
        code = process.wait(timeout=max(0.5, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        stop_group(process)
        code = -1
    if code not in (0, 1):  # 0: every call succeeded, 1: some failed; anything else is trouble
        print(f"  sipp in {folder.name} exited with {code}: {tail(folder / 'out', 5)}", file=sys.stderr, flush=True)


def register_callees(target: Target, callees: list[Account], port: int, folder: Path, realm: str, rate: float) -> int:
    """Register every callee from local UDP `port` (the contact where the callees' sipp will answer); how many did."""
    work = folder / "register"
    work.mkdir(parents=True, exist_ok=True)
    [injection] = write_sipp_injection(callees, work)
    timeout = int(len(callees) / rate * 3 + 20)
    command = sipp(REGISTER_SCENARIO, target, port, work,
                   ["-inf", str(injection), "-auth_uri", realm, "-m", str(len(callees)),
                    "-r", f"{rate:g}", "-l", str(max(50, int(rate))), "-recv_timeout", "5000",
                    "-timeout", str(timeout), "-timeout_error"])  # fmt: skip
    process = launch(command, work)
    try:
        finish(process, time.monotonic() + timeout + 10, work)
    finally:
        stop_group(process)
    stats = read_stats(work / "stats.csv")
    return int(stats.get("SuccessfulCall(C)", 0))


def response_times(folder: Path) -> dict[int, list[float]]:
    """The response times (ms) sipp traced in `folder` (-trace_rtt), by response time number."""
    times: dict[int, list[float]] = {}
    for path in folder.glob("*_rtt.csv"):
        for line in path.read_text().splitlines()[1:]:
            parts = line.split(";")
            if len(parts) >= 3 and parts[2].strip().isdigit():
                times.setdefault(int(parts[2]), []).append(float(parts[1]))
    return times


def error_kinds(path: Path) -> Counter[str]:
    """sipp's error messages (-trace_err) by kind: numbers and addresses blanked, messages dumped left out."""
    kinds: Counter[str] = Counter()
    if path.exists():
        for line in path.read_text(errors="replace").splitlines():
            if re.match(r"\d{4}-\d\d-\d\d\t", line):
                kinds[re.sub(r"\d+", "N", line.split(": ", 1)[-1])[:120]] += 1
    return kinds


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max of `values` (nearest rank), rounded to 0.1 ms; {} when empty."""
    if not values:
        return {}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    return {"p50": round(rank(0.50), 1), "p95": round(rank(0.95), 1), "p99": round(rank(0.99), 1),
            "max": round(ordered[-1], 1)}  # fmt: skip


def run_rate(
    target: Target, rate: float, calls: int, injection: Path, callee_port: int, folder: Path, hold_ms: int
) -> CallRun:
    """Offer `calls` calls at `rate`/s from one sipp to the callees' sipp through the proxy; count them."""
    run = CallRun(rate, calls)
    timeout = int(calls / rate * 3 + 20)
    callee_dir, caller_dir = folder / "callee", folder / "caller"
    callee_cmd = sipp(
        CALLEE_SCENARIO,
        None,
        callee_port,
        callee_dir,
        ["-m", str(calls), "-recv_timeout", "10000", "-timeout", str(timeout + 10)],
    )
    caller_cmd = sipp(CALLER_SCENARIO, target, free_udp_port(), caller_dir,
                      ["-inf", str(injection), "-m", str(calls), "-r", f"{rate:g}", "-rp", "1000",
                       "-l", str(max(100, int(rate * 2))), "-d", str(hold_ms), "-recv_timeout", "5000",
                       "-timeout", str(timeout), "-timeout_error", "-trace_rtt", "-rtt_freq", "100"])  # fmt: skip
    run.commands = [shlex.join(callee_cmd), shlex.join(caller_cmd)]
    core_before, sipp_before, busy_before = cpu_seconds(target.pids()), children_cpu(), machine_busy()
    started = time.monotonic()
    callee = launch(callee_cmd, callee_dir)
    caller = None
    try:
        if not wait_bound(callee_port, time.monotonic() + 10):
            raise RuntimeError(f"the callees' sipp did not listen on port {callee_port}: {tail(callee_dir / 'out')}")
        caller = launch(caller_cmd, caller_dir)
        finish(caller, time.monotonic() + timeout + 15, caller_dir)
        finish(callee, time.monotonic() + 12, callee_dir)  # the last calls' BYEs are in; it exits after -m calls
    finally:
        for process in (caller, callee):
            if process is not None:
                stop_group(process)
    wall = time.monotonic() - started
    core_cpu = cpu_seconds(target.pids()) - core_before
    run.core_cpu_percent = 100 * core_cpu / wall
    run.sipp_cpu_percent = 100 * (children_cpu() - sipp_before) / wall
    busy = 100 * (machine_busy() - busy_before) / wall
    run.other_cpu_percent = max(0.0, busy - run.sipp_cpu_percent - run.core_cpu_percent)
    run.load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    caller_stats, callee_stats = read_stats(caller_dir / "stats.csv"), read_stats(callee_dir / "stats.csv")
    if caller_stats:
        run.successful = int(caller_stats["SuccessfulCall(C)"])
        run.failed = int(caller_stats["FailedCall(C)"])
        run.retransmissions = int(caller_stats["Retransmissions(C)"])
        run.elapsed = epoch(caller_stats["CurrentTime"]) - epoch(caller_stats["StartTime"])
        run.mean_call_ms = 1000 * duration_seconds(caller_stats["CallLength(C)"])
    if callee_stats:
        run.answered = int(callee_stats["SuccessfulCall(C)"])
        run.callee_failed = int(callee_stats["FailedCall(C)"])
        run.retransmissions += int(callee_stats["Retransmissions(C)"])
    run.failed += max(0, calls - run.successful - run.failed)  # never ended, or never started
    run.core_cpu_ms_per_call = 1000 * core_cpu / run.successful if run.successful else 0.0
    offering = max(0.001, (run.elapsed or wall) - run.mean_call_ms / 1000)
    run.achieved = run.successful / offering
    times = response_times(caller_dir)
    run.setup_ms, run.ringing_ms, run.bye_ms = (percentiles(times.get(n, [])) for n in (1, 2, 3))
    run.kept_up = run.achieved >= KEEP_UP * rate
    run.passed = run.failed == 0 and run.callee_failed == 0 and run.answered == calls and run.kept_up
    return run


# --- the report -------------------------------------------------------------------------------------

HEADER = (
    f"{'offered':>7} {'achieved':>8} {'calls':>6} {'ok':>6} {'failed':>6} {'answered':>8} {'retrans':>7} "
    f"{'set-up ms p50/p95/p99/max':>26} {'180 ms p50/p99':>15} {'core CPU':>8} {'ms/call':>7} {'sipp CPU':>8} {'other':>6}"
    "  verdict"
)


def spread(times: dict[str, float], keys: tuple[str, ...]) -> str:
    """'p50/p95/...' of a percentiles dict, '-' when there were none."""
    return "/".join(f"{times[k]:g}" for k in keys) if times else "-"


def row(run: CallRun) -> str:
    """One line of the results table."""
    if run.passed:
        verdict = "pass"
    elif run.failed or run.callee_failed or run.answered != run.calls:
        verdict = "FAIL: failures"
    else:
        verdict = "FAIL: behind the offered rate"
    if run.other_cpu_percent >= OTHER_BUSY:
        verdict += ", machine busy elsewhere"
    return (
        f"{run.offered:>7.0f} {run.achieved:>8.0f} {run.calls:>6} {run.successful:>6} {run.failed:>6} "
        f"{run.answered:>8} {run.retransmissions:>7} {spread(run.setup_ms, ('p50', 'p95', 'p99', 'max')):>26} "
        f"{spread(run.ringing_ms, ('p50', 'p99')):>15} {run.core_cpu_percent:>7.0f}% {run.core_cpu_ms_per_call:>7.2f} {run.sipp_cpu_percent:>7.0f}% "
        f"{run.other_cpu_percent:>5.0f}%  {verdict}"
    )


def summarize(runs: list[CallRun]) -> dict[str, object]:
    """The highest offered rate that passed, and the issue's target against it."""
    passing = [r for r in runs if r.passed]
    best = max(passing, key=lambda r: r.offered) if passing else None
    highest = best.offered if best else None
    met = bool(best and best.offered >= TARGET_RATE)
    notes = []
    if best and best.offered == max(r.offered for r in runs):
        notes.append("the highest rate tried: add higher --rates")
    if any(r.other_cpu_percent >= OTHER_BUSY for r in runs):
        notes.append("the machine was busy elsewhere during some runs")
    text = (
        f"{best.offered:.0f} (achieved {best.achieved:.0f}, core CPU {best.core_cpu_percent:.0f}%)" if best else "none"
    )
    print(f"\nHighest offered rate with zero failures (calls/s): {text}" + (f"; {'; '.join(notes)}" if notes else ""))
    print(f"At least {TARGET_RATE:.0f} call set-ups/s with zero failures: {'met' if met else 'NOT met'}")
    return {"highest_rate": highest, "target_met": met, "notes": notes}


# --- main -------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--rates", default="100,200,300,400,600", help="offered calls/s, comma-separated, climbed in order"
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of calls per rate (default 10)")
    parser.add_argument("--callers", type=int, default=10_000, help="calling lines (default 10000)")
    parser.add_argument("--callees", type=int, default=100, help="called lines, all answered by one sipp (default 100)")
    parser.add_argument(
        "--hold-ms", type=int, default=300, help="how long each call is held before the BYE (default 300)"
    )
    parser.add_argument("--realm", default=DEFAULT_REALM, help=f"digest realm and SIP domain (default {DEFAULT_REALM})")
    parser.add_argument(
        "--core-cmd",
        default=CORE_COMMAND,
        help="shell command starting the core in the foreground ({host} {port} {realm} {accounts_csv})",
    )
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between runs (default 1)")
    parser.add_argument("--keep-going", action="store_true", help="climb every rate even after two failing in a row")
    parser.add_argument("--json", type=Path, help="write every run and the summary here")
    parser.add_argument("--keep-temp", action="store_true", help="keep the temporary folder (stats, errors, logs)")
    args = parser.parse_args(argv)
    args.rate_list = [float(r) for r in args.rates.split(",") if r.strip()]
    if not args.rate_list or min(args.rate_list) <= 0 or args.duration <= 0 or args.callees < 1:
        parser.error("--rates, --duration and --callees must be positive")
    problem = guard_problem(args.callers, args.rate_list, args.hold_ms)
    if problem:
        parser.error(problem)
    return args


def main(argv: list[str] | None = None) -> int:
    """Start the core, register the callees, climb the rates, print the table and the answer."""
    args = parse_args(argv)
    if not Path(SIPP).exists():
        print(f"{SIPP} is missing (apt-get install -y sip-tester)", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="sip_call_bench_"))
    callers, callees = make_accounts(args.callers, args.realm), make_callees(args.callees, args.realm)
    accounts_csv = write_accounts_csv(callers + callees, folder / "accounts.csv")
    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"{args.callers} callers, {args.callees} callees in realm {args.realm!r}; files in {folder}")
    print(f"load average before: {load_before} ({os.cpu_count()} cores)", flush=True)
    target: Target | None = None
    runs: list[CallRun] = []
    try:
        target = start_ours(f"{HOST}:{free_udp_port()}", args.core_cmd, None, folder, accounts_csv, args.realm, 30.0)
        callee_port = free_udp_port()
        registered = register_callees(
            target, callees, callee_port, folder, args.realm, min(1000.0, max(100.0, args.callees))
        )
        if registered != len(callees):
            print(
                f"only {registered} of {len(callees)} callees registered: {tail(folder / 'register' / 'errors.log')}",
                file=sys.stderr,
            )
            return 1
        print(f"{registered} callees registered at udp {HOST}:{callee_port}\n\n{HEADER}", flush=True)
        first, failing_in_a_row = 0, 0
        for rate in args.rate_list:
            if failing_in_a_row >= 2 and not args.keep_going:
                break
            calls = max(1, int(rate * args.duration))
            run_dir = folder / f"rate_{rate:g}"
            run_dir.mkdir()
            injection = write_calls(callers, callees, first, calls, run_dir / "calls.csv")
            first += calls
            run = run_rate(target, rate, calls, injection, callee_port, run_dir, args.hold_ms)
            runs.append(run)
            print(row(run), flush=True)
            for side in ("caller", "callee"):
                for kind, count in error_kinds(run_dir / side / "errors.log").most_common(3):
                    print(f"  {side} sipp: {count} x {kind}", flush=True)
            failing_in_a_row = 0 if run.passed else failing_in_a_row + 1
            time.sleep(args.pause)
        summary = summarize(runs)
        load_after = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        print(f"load average after: {load_after}")
        best = next((r for r in runs if r.offered == summary["highest_rate"]), runs[0] if runs else None)
        print("\nsipp command lines (one run):")
        for command in best.commands if best else []:
            print(f"  {command}")
        if args.json:
            args.json.write_text(json.dumps(
                {"callers": args.callers, "callees": args.callees, "duration": args.duration, "hold_ms": args.hold_ms,
                 "cores": os.cpu_count(), "load_before": load_before, "load_after": load_after,
                 "runs": [asdict(r) for r in runs], "summary": summary}, indent=2))  # fmt: skip
            print(f"results written to {args.json}")
    finally:
        if target is not None:
            target.stop()
        if args.keep_temp:
            print(f"temporary files kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
