"""SIP REGISTER storm: digest-authenticated registrations over UDP, 10,000 accounts, against Kamailio.

Measures the highest rate of authenticated registrations per second that a registrar completes with
under 0.1 % failures, for Kamailio with ONE SIP worker and, when given, for the project's own registrar
(sip_core, not built yet) in the same run. Everything runs on 127.0.0.1.

How:

* The accounts (bench/sip/sip_accounts.py) are ``u00000``/``pw-00000`` .. ``u09999``/``pw-09999`` in
  one realm (``--realm``, default ``bench.sip``); they are written as Kamailio db_text tables, as sipp
  injection files and as ``accounts.csv`` (``username;password;realm;ha1``) for our registrar.
* Kamailio runs in the foreground under this script (``kamailio -f cfg -DD -E ...``, config generated
  from bench/sip/kamailio.cfg.tmpl into a temporary folder): UDP only, ``children=1``, registrar +
  usrloc in memory, stateless 401 challenges with qop=auth. Two variants, each its own target:

  - ``kamailio``: auth_db's www_authorize() on a db_text ``subscriber`` table (ha1 column). db_text
    scans its table row by row on every lookup, so with 10,000 accounts the lookup, not SIP, sets the
    pace (about 3,000 registrations/s here);
  - ``kamailio-htable``: the same HA1s loaded at start-up into an htable and checked with
    pv_www_authenticate(): a constant-time lookup, as an indexed database or a cache gives; this is
    the variant that does 8,000/s and more with one worker.

* Our registrar is not started by default: run it yourself with the same accounts (write them with
  ``python bench/sip/sip_accounts.py --out accounts.csv`` or ``--accounts-out``) and pass its address
  (``--ours 127.0.0.1:5062``), and optionally its pid (``--ours-pid``) to measure its CPU; or give
  ``--ours-cmd`` to have this script start it (``{host} {port} {realm} {accounts_csv}`` are filled in)
  and stop it at the end.
* sipp (bench/sip/register_digest.xml) makes each "call" one authenticated registration: REGISTER,
  401, REGISTER with the digest answer (MD5, qop=auth), 200. Accounts are taken in sequence, so every
  account is registered again and again (each run starts with a warm-up that registers every account
  once). For each offered rate (``--rates``), each target in turn gets ``rate x --duration`` calls (at
  most ``--max-calls``) at that rate (``-r``), at most one second's worth in flight (``-l``); a call
  fails on a wrong answer or after 5 s without one (sipp resends lost requests after 0.5, 1, 2 s...).
  ``--sipp-procs N`` splits the rate and the accounts over N sipp processes on their own sockets.
* Counts come from sipp's final statistics (``-trace_stat``): successful and failed calls, the calls
  that never ended are failures too; the achieved rate is successful calls over sipp's elapsed time
  (first call to exit). CPU of each party (the registrar's processes, sipp) is read from /proc and
  from the children's rusage: sipp needs CPU too, and on 2 cores it competes with the registrar.

A run passes with under 0.1 % failures and at least 95 % of the offered rate completed (a registrar
that falls behind makes sipp throttle, and phones wait: registrations late by seconds are no pass). A
target's answer is the highest offered rate that passes; its peak completed rate without failures,
even when falling behind, is shown too. A target stops climbing after two failing rates in a row. The
table also shows sipp's retransmissions (requests or answers lost, mostly in a full socket buffer),
the mean registration time (sipp counts whole milliseconds) and the CPU of each party (100 % = a core),
and of the rest of the machine ("other": the kernel's share of UDP, and any other program: a busy
machine spoils the run, and the verdict says so). Targets of the issue: ours at least
0.25 of Kamailio's rate (one worker each) and at least 2,000 registrations/s. Run from the repository
root (needs /usr/sbin/kamailio from the Debian packages kamailio and sipp from sip-tester):

    python bench/sip_register_bench.py                                   # Kamailio only, ~2 min
    python bench/sip_register_bench.py --ours 127.0.0.1:5062 --ours-pid 1234 --json sip.json
    python bench/sip_register_bench.py --target kamailio-htable --rates 8000,12000,16000 --sipp-procs 2

Every sipp run and the whole script are bounded in time; every process started is stopped.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIP_DIR = HERE / "sip"
sys.path.insert(0, str(SIP_DIR))

from sip_accounts import (  # noqa: E402
    DEFAULT_REALM,
    make_accounts,
    write_accounts_csv,
    write_kamailio_db,
    write_sipp_injection,
)

KAMAILIO = "/usr/sbin/kamailio"
KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
SIPP = "/usr/bin/sipp"
TEMPLATE = SIP_DIR / "kamailio.cfg.tmpl"
SCENARIO = SIP_DIR / "register_digest.xml"
HOST = "127.0.0.1"
#: A run passes below this failure percentage...
MAX_FAILURE_PERCENT = 0.1
#: ... when it completed at least this share of the offered rate.
KEEP_UP = 0.95
#: sipp CPU percent (per process) from which sipp itself may be the bottleneck.
SIPP_BOUND = 90.0
#: CPU percent used by the rest of the machine during a run from which the run is suspect.
OTHER_BUSY = 40.0
#: Targets of the issue.
TARGET_RATIO = 0.25
TARGET_RATE = 2000.0
#: Kamailio variants: target name -> preprocessor defines (-A).
KAMAILIO_VARIANTS = {"kamailio": [], "kamailio-htable": ["WITH_HTABLE"]}
TICKS = os.sysconf("SC_CLK_TCK")


# --- processes --------------------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """`pid` and all its descendants alive now."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        if Path(f"/proc/{current}").exists():
            found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by `pids` (those that have gone count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def machine_busy() -> float:
    """CPU seconds all cores have spent busy (neither idle nor waiting for I/O) since boot."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / TICKS


def children_cpu() -> float:
    """User + system CPU seconds of this script's reaped children (the sipp processes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stop_group(process: subprocess.Popen, grace: float = 5.0) -> None:
    """Stop a process started in its own session, and its group: SIGTERM, then SIGKILL after `grace` s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=grace)


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def probe(host: str, port: int, realm: str, deadline: float) -> bool:
    """True once a REGISTER without credentials to host:port gets any SIP answer before `deadline`."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        local = sock.getsockname()[1]
        attempt = 0
        while time.monotonic() < deadline:
            attempt += 1
            tag = secrets.token_hex(6)
            request = (
                f"REGISTER sip:{realm} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {HOST}:{local};branch=z9hG4bK{tag}{attempt}\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <sip:u00000@{realm}>;tag={tag}\r\n"
                f"To: <sip:u00000@{realm}>\r\n"
                f"Call-ID: probe-{tag}-{attempt}\r\n"
                "CSeq: 1 REGISTER\r\n"
                f"Contact: <sip:u00000@{HOST}:{local}>\r\n"
                "Expires: 0\r\nContent-Length: 0\r\n\r\n"
            )
            sock.sendto(request.encode(), (host, port))
            sock.settimeout(0.3)
            try:
                data, _ = sock.recvfrom(65535)
            except (socket.timeout, ConnectionRefusedError):
                continue
            if data.startswith(b"SIP/2.0 "):
                return True
    return False


# --- targets ----------------------------------------------------------------------------------------


@dataclass
class Target:
    """A registrar under test: its address, and how to find its processes and stop it."""

    name: str
    host: str
    port: int
    process: subprocess.Popen | None = None  # started by us, stopped at the end
    pid: int | None = None  # whose process tree's CPU is measured
    log: Path | None = None

    def pids(self) -> list[int]:
        """The registrar's processes alive now (none known: empty)."""
        return descendants(self.pid) if self.pid else []

    def stop(self) -> None:
        """Stop the registrar if this script started it."""
        if self.process is not None:
            stop_group(self.process)


def start_kamailio(name: str, defines: list[str], folder: Path, db_dir: Path, realm: str) -> Target:
    """Generate a Kamailio config into `folder`, run Kamailio in the foreground, wait until it answers."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_udp_port()
    config = (
        TEMPLATE.read_text()
        .replace("@HOST@", HOST)
        .replace("@PORT@", str(port))
        .replace("@MPATH@", KAMAILIO_MODULES)
        .replace("@DB_DIR@", str(db_dir))
        .replace("@REALM@", realm)
        .replace("@SECRET@", secrets.token_hex(16))
    )
    cfg = folder / "kamailio.cfg"
    cfg.write_text(config)
    rundir = folder / "run"
    rundir.mkdir(exist_ok=True)
    command = [KAMAILIO, "-f", str(cfg), "-DD", "-E", "-P", str(folder / "kamailio.pid"), "-Y", str(rundir)]
    command += ["-m", "256", "-M", "16"]
    for define in defines:
        command += ["-A", define]
    log = folder / "kamailio.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    target = Target(name, HOST, port, process=process, pid=process.pid, log=log)
    if not probe(HOST, port, realm, time.monotonic() + 15):
        target.stop()
        raise RuntimeError(f"{name} did not answer on {HOST}:{port}; {shlex.join(command)}\n{tail(log)}")
    print(f"{name}: {shlex.join(command)} (pid {process.pid}, udp {HOST}:{port})", flush=True)
    return target


def start_ours(
    address: str,
    command: str | None,
    pid: int | None,
    folder: Path,
    accounts_csv: Path,
    realm: str,
    ready_timeout: float,
) -> Target:
    """Our registrar at `address`: started from `command` when given, else already running; wait until it answers."""
    host, _, port_text = address.rpartition(":")
    target = Target("ours", host or HOST, int(port_text), pid=pid)
    if command:
        filled = command.format(host=target.host, port=target.port, realm=realm, accounts_csv=accounts_csv)
        target.log = folder / "ours.log"
        with target.log.open("wb") as out:
            target.process = subprocess.Popen(
                filled, shell=True, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=HERE.parent
            )
        target.pid = target.pid or target.process.pid
        print(f"ours: {filled} (pid {target.process.pid})", flush=True)
    if not probe(target.host, target.port, realm, time.monotonic() + ready_timeout):
        target.stop()
        log = f"\n{tail(target.log)}" if target.log else ""
        raise RuntimeError(f"our registrar did not answer a REGISTER on {target.host}:{target.port}{log}")
    print(f"ours: answering on udp {target.host}:{target.port}", flush=True)
    return target


def tail(path: Path | None, lines: int = 15) -> str:
    """The last `lines` lines of a log file, for error messages."""
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- sipp -------------------------------------------------------------------------------------------


@dataclass
class Run:
    """One target at one offered rate: what sipp counted and what it cost."""

    target: str
    offered: float
    calls: int
    successful: int = 0
    failed: int = 0  # sipp's failed calls plus the calls that never ended
    retransmissions: int = 0
    elapsed: float = 0.0
    achieved: float = 0.0
    failure_percent: float = 100.0
    mean_latency_ms: float = 0.0
    registrar_cpu_percent: float | None = None
    sipp_cpu_percent: float = 0.0
    other_cpu_percent: float = 0.0  # the rest of the machine (kernel, other programs) during the run
    passed: bool = False  # under 0.1 % failures, and kept up with the offered rate
    kept_up: bool = False
    sipp_bound: bool = False  # sipp used nearly a whole core per process: it may be what limits
    commands: list[str] = field(default_factory=list)


def sipp_command(
    target: Target,
    injection: Path,
    rate: float,
    calls: int,
    limit: int,
    stat_file: Path,
    realm: str,
    timeout: int,
    buff_size: int,
) -> list[str]:
    """The sipp command line for `calls` registrations at `rate`/s to `target`."""
    return [
        SIPP, f"{target.host}:{target.port}",
        "-sf", str(SCENARIO),
        "-inf", str(injection),
        "-t", "u1", "-i", HOST,
        "-auth_uri", realm,  # digest uri = the Request-URI (sip:<realm>), not sipp's default remote ip:port
        "-m", str(calls), "-r", f"{rate:g}", "-rp", "1000", "-l", str(limit),
        "-recv_timeout", "5000",
        "-timeout", str(timeout), "-timeout_error",
        "-buff_size", str(buff_size),
        "-nostdin",
        "-trace_stat", "-stf", str(stat_file), "-fd", "1",
    ]  # fmt: skip


def epoch(value: str) -> float:
    """The epoch seconds at the end of a sipp time stamp ('2026-11-26<TAB>13:16:12.699386<TAB>1795698972.699386')."""
    return float(value.split("\t")[-1])


def duration_seconds(value: str) -> float:
    """Seconds in a sipp duration ('HH:MM:SS:micro' or 'HH:MM:SS')."""
    parts = value.split(":")
    seconds = int(parts[0]) * 3600 + int(parts[1]) * 60 + int(parts[2])
    return seconds + (int(parts[3]) / 1e6 if len(parts) > 3 else 0.0)


def read_stats(stat_file: Path) -> dict[str, str]:
    """The last (final) row of a sipp -trace_stat file, by column name ({} when absent)."""
    if not stat_file.exists():
        return {}
    with stat_file.open(newline="") as handle:
        rows = [row for row in csv.reader(handle, delimiter=";") if row]
    return dict(zip(rows[0], rows[-1], strict=False)) if len(rows) > 1 else {}


def run_sipp(
    target: Target,
    rate: float,
    calls: int,
    injections: list[Path],
    folder: Path,
    realm: str,
    buff_size: int,
    label: str,
) -> Run:
    """Offer `calls` registrations at `rate`/s to `target` from len(injections) sipp processes; count them."""
    procs = len(injections)
    run = Run(target.name, rate, calls)
    shares = [calls // procs + (1 if k < calls % procs else 0) for k in range(procs)]
    per_rate = rate / procs
    expected = calls / rate
    timeout = int(expected * 3 + 20)
    launched: list[tuple[subprocess.Popen, Path, Path]] = []
    registrar_before = cpu_seconds(target.pids())
    sipp_before = children_cpu()
    busy_before = machine_busy()
    started = time.monotonic()
    try:
        for k, (share, injection) in enumerate(zip(shares, injections, strict=True)):
            stat_file = folder / f"{label}_{k}.csv"
            stat_file.unlink(missing_ok=True)
            limit = max(100, int(per_rate))  # at most one second's worth in flight
            command = sipp_command(target, injection, per_rate, share, limit, stat_file, realm, timeout, buff_size)
            run.commands.append(shlex.join(command))
            out = folder / f"{label}_{k}.out"
            with out.open("wb") as handle:
                process = subprocess.Popen(
                    command,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=folder,
                    start_new_session=True,
                )
            launched.append((process, stat_file, out))
        for process, _, out in launched:
            try:
                code = process.wait(timeout=max(1.0, started + timeout + 15 - time.monotonic()))
            except subprocess.TimeoutExpired:
                stop_group(process)
                code = -1
            if code not in (0, 1):  # 0: all calls succeeded, 1: some failed; anything else is trouble
                print(f"  sipp exited with {code}: {tail(out, 5)}", file=sys.stderr, flush=True)
    finally:
        for process, _, _ in launched:
            stop_group(process)
    wall = time.monotonic() - started
    if target.pid:
        run.registrar_cpu_percent = 100 * (cpu_seconds(target.pids()) - registrar_before) / wall
    run.sipp_cpu_percent = 100 * (children_cpu() - sipp_before) / wall
    busy = 100 * (machine_busy() - busy_before) / wall
    run.other_cpu_percent = max(0.0, busy - run.sipp_cpu_percent - (run.registrar_cpu_percent or 0.0))
    latency_weighted = 0.0
    elapsed = 0.0
    for _, stat_file, _ in launched:
        stats = read_stats(stat_file)
        if not stats:
            continue
        successful = int(stats["SuccessfulCall(C)"])
        run.successful += successful
        run.failed += int(stats["FailedCall(C)"])
        run.retransmissions += int(stats["Retransmissions(C)"])
        elapsed = max(elapsed, epoch(stats["CurrentTime"]) - epoch(stats["StartTime"]))
        latency_weighted += duration_seconds(stats["CallLength(C)"]) * successful
    run.failed += max(0, calls - run.successful - run.failed)  # never ended, or never started
    run.elapsed = elapsed or wall
    run.achieved = run.successful / run.elapsed
    run.failure_percent = 100 * run.failed / calls
    run.mean_latency_ms = 1000 * latency_weighted / run.successful if run.successful else 0.0
    run.kept_up = run.achieved >= KEEP_UP * rate
    run.passed = run.failure_percent < MAX_FAILURE_PERCENT and run.kept_up
    run.sipp_bound = run.sipp_cpu_percent >= SIPP_BOUND * procs
    return run


# --- the report -------------------------------------------------------------------------------------


def row(run: Run) -> str:
    """One line of the results table."""
    cpu = f"{run.registrar_cpu_percent:6.0f}%" if run.registrar_cpu_percent is not None else "      -"
    if run.passed:
        verdict = "pass"
    elif run.failure_percent >= MAX_FAILURE_PERCENT:
        verdict = "FAIL: failures"
    else:
        verdict = "FAIL: behind the offered rate"
    if run.sipp_bound:
        verdict += ", sipp CPU-bound"
    if run.other_cpu_percent >= OTHER_BUSY:
        verdict += ", machine busy elsewhere"
    return (
        f"{run.target:<16} {run.offered:>8.0f} {run.achieved:>9.0f} {run.successful:>8} {run.failed:>7} "
        f"{run.failure_percent:>7.3f}% {run.retransmissions:>7} {run.mean_latency_ms:>7.0f} {cpu} "
        f"{run.sipp_cpu_percent:>7.0f}% {run.other_cpu_percent:>6.0f}%  {verdict}"
    )


HEADER = (
    f"{'target':<16} {'offered':>8} {'achieved':>9} {'ok':>8} {'failed':>7} {'fail %':>8} {'retrans':>7} "
    f"{'lat. ms':>7} {'reg CPU':>7} {'sipp CPU':>8} {'other':>7}  verdict"
)


def best_rate(runs: list[Run], name: str) -> Run | None:
    """The passing run of target `name` at the highest offered rate (under 0.1 % failures, kept up)."""
    passing = [r for r in runs if r.target == name and r.passed]
    return max(passing, key=lambda r: (r.offered, r.achieved)) if passing else None


def peak_rate(runs: list[Run], name: str) -> Run | None:
    """The run of target `name` that completed the most registrations/s with under 0.1 % failures, kept up or not."""
    clean = [r for r in runs if r.target == name and r.failure_percent < MAX_FAILURE_PERCENT]
    return max(clean, key=lambda r: r.achieved) if clean else None


def summarize(runs: list[Run], names: list[str]) -> dict[str, object]:
    """Each target's highest rate under 0.1 % failures, and ours against the issue's targets."""
    summary: dict[str, dict[str, object]] = {}
    print("\nHighest offered rate completed with under 0.1 % failures (registrations/s, one worker):")
    for name in names:
        best, peak = best_rate(runs, name), peak_rate(runs, name)
        tried = [r for r in runs if r.target == name]
        summary[name] = {
            "highest_rate": best.offered if best else None,
            "achieved_at_highest_rate": round(best.achieved) if best else None,
            "peak_completed_rate": round(peak.achieved) if peak else None,
            "sipp_cpu_percent_at_highest_rate": round(best.sipp_cpu_percent) if best else None,
            "registrar_cpu_percent_at_highest_rate": (
                round(best.registrar_cpu_percent) if best and best.registrar_cpu_percent is not None else None
            ),
        }
        notes = []
        if best and best.offered == max(r.offered for r in tried):
            notes.append("the highest rate tried: add higher --rates")
        if peak and best is not peak and peak.achieved > (best.achieved if best else 0):
            notes.append(
                f"peak {peak.achieved:.0f}/s completed without failures at {peak.offered:.0f}/s offered, falling behind"
            )
        if any(r.sipp_bound for r in tried):
            notes.append("sipp was CPU-bound in some runs: try --sipp-procs 2")
        text = f"{best.offered:.0f} (achieved {best.achieved:.0f})" if best else "none"
        print(f"  {name:<16} {text}" + (f"; {'; '.join(notes)}" if notes else ""))
    if "ours" in names:
        ours = summary["ours"]["highest_rate"] or 0
        for name in names:
            reference = summary[name]["highest_rate"]
            if name == "ours" or not reference:
                continue
            ratio = float(ours) / float(reference)  # type: ignore[arg-type]
            summary[name]["ours_ratio"] = round(ratio, 3)
            print(
                f"  ours / {name}: {ratio:.2f} (target >= {TARGET_RATIO}): {'met' if ratio >= TARGET_RATIO else 'NOT met'}"
            )
        met = float(ours) >= TARGET_RATE  # type: ignore[arg-type]
        print(f"  ours >= {TARGET_RATE:.0f}/s: {'met' if met else 'NOT met'}")
    return dict(summary)


# --- main -------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--target",
        action="append",
        choices=[*KAMAILIO_VARIANTS, "ours"],
        help="a target to measure, repeatable (default: kamailio and kamailio-htable); ours is added by --ours",
    )
    parser.add_argument("--kamailio-only", action="store_true", help="ignore --ours: measure Kamailio only")
    parser.add_argument("--ours", metavar="HOST:PORT", help="UDP address of our registrar (same accounts, --realm)")
    parser.add_argument(
        "--ours-cmd",
        metavar="CMD",
        help="shell command starting our registrar in the foreground; {host} {port} {realm} "
        "{accounts_csv} are filled in; stopped at the end",
    )
    parser.add_argument("--ours-pid", type=int, help="pid of our registrar (with its children) for its CPU")
    parser.add_argument("--ours-ready-timeout", type=float, default=30.0, help="seconds to wait for it to answer")
    parser.add_argument("--accounts", type=int, default=10_000, help="accounts (default 10000)")
    parser.add_argument("--realm", default=DEFAULT_REALM, help=f"digest realm and SIP domain (default {DEFAULT_REALM})")
    parser.add_argument("--accounts-out", type=Path, help="also write username;password;realm;ha1 here")
    parser.add_argument(
        "--rates",
        default="1000,2000,3000,4000,6000,8000,10000,12000,14000,16000",
        help="offered rates, registrations/s, comma-separated (climbed in order)",
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of traffic per run (default 5)")
    parser.add_argument("--max-calls", type=int, default=80_000, help="registrations per run at most (default 80000)")
    parser.add_argument("--sipp-procs", type=int, default=1, help="sipp processes sharing each run (default 1)")
    parser.add_argument(
        "--sipp-buff",
        type=int,
        default=4 * 1024 * 1024,
        help="sipp socket buffer bytes (-buff_size; sipp's default 64 KiB drops answers)",
    )
    parser.add_argument(
        "--warmup-rate",
        type=float,
        default=2000.0,
        help="rate of the warm-up that registers every account once (0: none)",
    )
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between runs (default 1)")
    parser.add_argument(
        "--keep-going", action="store_true", help="climb every rate even after two failing rates in a row"
    )
    parser.add_argument("--json", type=Path, help="write every run and the summary here")
    parser.add_argument("--keep-temp", action="store_true", help="keep the temporary folder (configs, logs, stats)")
    args = parser.parse_args(argv)
    targets = (args.target or list(KAMAILIO_VARIANTS)) + (["ours"] if args.ours else [])
    if args.kamailio_only:
        targets = [t for t in targets if t != "ours"]
    if "ours" in targets and not args.ours:
        parser.error("target ours needs --ours HOST:PORT")
    args.targets = list(dict.fromkeys(targets))
    args.rate_list = [float(r) for r in args.rates.split(",") if r.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    """Start the targets, climb the rates against each in turn, print the table and the answer."""
    args = parse_args(argv)
    needed = [SIPP] + ([KAMAILIO] if any(t in KAMAILIO_VARIANTS for t in args.targets) else [])
    for tool in needed:
        if not Path(tool).exists():
            print(f"{tool} is missing (apt-get install -y kamailio sip-tester)", file=sys.stderr)
            return 2
    folder = Path(tempfile.mkdtemp(prefix="sip_register_bench_"))
    accounts = make_accounts(args.accounts, args.realm)
    accounts_csv = write_accounts_csv(accounts, folder / "accounts.csv")
    if args.accounts_out:
        shutil.copyfile(accounts_csv, args.accounts_out)
    injections = write_sipp_injection(accounts, folder, args.sipp_procs)
    db_dir = write_kamailio_db(accounts, folder / "db")
    print(f"{args.accounts} accounts (u00000/pw-00000...) in realm {args.realm!r}; files in {folder}", flush=True)
    targets: list[Target] = []
    runs: list[Run] = []
    try:
        for name in args.targets:
            if name in KAMAILIO_VARIANTS:
                targets.append(start_kamailio(name, KAMAILIO_VARIANTS[name], folder / name, db_dir, args.realm))
            else:
                targets.append(
                    start_ours(
                        args.ours,
                        args.ours_cmd,
                        args.ours_pid,
                        folder,
                        accounts_csv,
                        args.realm,
                        args.ours_ready_timeout,
                    )
                )
        if args.warmup_rate > 0:
            for target in targets:
                warm = run_sipp(
                    target,
                    args.warmup_rate,
                    args.accounts,
                    injections,
                    folder,
                    args.realm,
                    args.sipp_buff,
                    f"{target.name}_warmup",
                )
                print(
                    f"warm-up {target.name}: {warm.successful}/{warm.calls} registered at {warm.achieved:.0f}/s",
                    flush=True,
                )
                time.sleep(args.pause)
        print(f"\n{HEADER}", flush=True)
        failing_in_a_row = {t.name: 0 for t in targets}
        for rate in args.rate_list:
            calls = max(1, min(args.max_calls, int(rate * args.duration)))
            for target in targets:
                if failing_in_a_row[target.name] >= 2 and not args.keep_going:
                    continue
                run = run_sipp(
                    target, rate, calls, injections, folder, args.realm, args.sipp_buff, f"{target.name}_{rate:g}"
                )
                runs.append(run)
                print(row(run), flush=True)
                failing_in_a_row[target.name] = 0 if run.passed else failing_in_a_row[target.name] + 1
                time.sleep(args.pause)
        summary = summarize(runs, [t.name for t in targets])
        print("\nsipp command lines (one run of each target):")
        for name in [t.name for t in targets]:
            best = best_rate(runs, name) or next((r for r in runs if r.target == name), None)
            for command in best.commands if best else []:
                print(f"  {command}")
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "accounts": args.accounts,
                        "realm": args.realm,
                        "duration": args.duration,
                        "sipp_procs": args.sipp_procs,
                        "cores": os.cpu_count(),
                        "runs": [asdict(r) for r in runs],
                        "summary": summary,
                    },
                    indent=2,
                )
            )
            print(f"results written to {args.json}")
    finally:
        for target in targets:
            target.stop()
        if args.keep_temp:
            print(f"temporary files kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
