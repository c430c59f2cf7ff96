"""TFTP storm: phones fetching their own configuration over TFTP, 50 transfers at a time, against tftpd-hpa.

Starts `provisioner serve` (default workers, embedded NX-27017, temporary data directory) through
tests/server_process.py, inserts a fleet of in-service Yealink T46U phones in bulk (bench/fleet.py, as
bench/boot_storm.py does), and renders each phone's `<mac>.cfg` beforehand; tftpd-hpa (`in.tftpd`, in the
foreground, chrooted into a temporary folder) serves those same files on another port. An asyncio client
(bench/tftp_client.py) then runs storms of 2,000 read requests from 50 concurrent clients, each for a random
device's file, checks every file received byte for byte, and counts every failure (an error packet, no
answer after 5 resends a second apart, other content):

* from cold: the server's first storm, every device fetched once, in a random order;
* then `--rounds` rounds of: the server, tftpd-hpa, each with 512-byte blocks and with the blksize option
  (1428), the same random picks for both.

Prints each storm's rate, latency percentiles, failures and the CPU of each party, and the ratio to
tftpd-hpa. Targets (issue): zero failures, at least 0.5 of tftpd-hpa's transfers/s. Figures:
docs/benchmarks.rst, "TFTP". Run from the repository root, as root (tftpd-hpa chroots and changes user):

    python bench/tftp_bench.py                      # about 20 s
    python bench/tftp_bench.py --profile tftp.svg   # py-spy flame graph of the TFTP worker in the last storm

Needs tftpd-hpa (apt-get install -y tftpd-hpa; its service need not run). Every storm is bounded in time;
every process started is stopped.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from api_bench import start_profiler  # noqa: E402
from boot_storm import cpu_of, memory_kib, server_processes  # noqa: E402
from fleet import close_database, insert_fleet, make_fleet, open_database, render_files, server_settings  # noqa: E402
from server_process import ServerProcess, free_udp_port, wait_until  # noqa: E402
from tftp_client import CONTENT_DIFFERS, Storm, picks, run_storm  # noqa: E402

TFTPD = "/usr/sbin/in.tftpd"
#: Targets of the issue.
TARGET_RATIO = 0.5
BLKSIZE = 1428


# --- tftpd-hpa -----------------------------------------------------------------------------------


class TftpdHpa:
    """tftpd-hpa in the foreground on 127.0.0.1 and a free port, chrooted into `root`, as user tftp (or nobody)."""

    def __init__(self, root: Path):
        self.root, self.port = root, free_udp_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> "TftpdHpa":
        user = next((name for name in ("tftp", "nobody") if _user_exists(name)), "nobody")
        # tftpd-hpa serves world-readable files only.
        self.root.chmod(0o755)
        for path in self.root.iterdir():
            path.chmod(0o644)
        self.process = subprocess.Popen([TFTPD, "--foreground", "--secure", "--user", user,
                                         "--address", f"127.0.0.1:{self.port}", str(self.root)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not wait_until(lambda: self.process.poll() is not None or _udp_bound(self.port), 5):
            self.stop()
            raise RuntimeError("tftpd-hpa is not listening after 5 s")
        if self.process.poll() is not None:
            raise RuntimeError(f"tftpd-hpa exited: {self.process.stderr.read().decode(errors='replace')}")
        return self

    def cpu(self) -> float:
        """CPU seconds of the listener, and of the children it reaped as /proc counts them (its transfer
        processes do not show there)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _udp_sockets(port: int) -> list[str]:
    """The inodes of the UDP sockets bound to `port` on 127.0.0.1 or any address (/proc/net/udp)."""
    inodes = []
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        address, local_port = fields[1].split(":")
        if int(local_port, 16) == port and address in ("0100007F", "00000000"):
            inodes.append(fields[9])
    return inodes


def _udp_bound(port: int) -> bool:
    return bool(_udp_sockets(port))


def udp_owner(port: int, pids: list[int]) -> int | None:
    """Which of `pids` holds the UDP socket bound to `port` (the server's worker that runs TFTP)."""
    wanted = {f"socket:[{inode}]" for inode in _udp_sockets(port)}
    for pid in pids:
        try:
            if any(os.readlink(entry) in wanted for entry in Path(f"/proc/{pid}/fd").iterdir()):
                return pid
        except OSError:
            continue
    return None


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy so far (/proc/stat: all but idle and iowait)."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


# --- storms --------------------------------------------------------------------------------------


@dataclass
class Measured:
    """One storm and the CPU each party used meanwhile."""

    storm: Storm
    target: str  # "server" or "tftpd-hpa"
    blksize: int | None
    cpu: dict[str, float]

    def line(self) -> str:
        s = self.storm
        share = "  ".join(f"{who} {100 * used / s.seconds:.0f}%" for who, used in self.cpu.items())
        return (f"{s.name:<26} {s.transfers:>6} {s.seconds:>6.2f} {s.rate:>8.0f} {s.percentile(0.5):>7.1f} "
                f"{s.percentile(0.99):>7.1f} {1000 * max(s.latencies, default=0):>7.0f} {sum(s.failures.values()):>6} "
                f"{s.resent:>6}   {share}")


HEADER = (f"{'':<26} {'xfers':>6} {'secs':>6} {'xfers/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'failed':>6} {'resent':>6}   CPU (% of one core)")


def storm_server(name: str, server: ServerProcess, port: int, names: list[str], expected: dict[str, bytes],
                 args: argparse.Namespace, blksize: int | None) -> Measured:
    ours, database = server_processes(server)
    tftp = udp_owner(port, ours)
    before = {pid: cpu_of([pid]) for pid in ours + database}
    busy = machine_busy()
    storm = run_storm(name, ("127.0.0.1", port), names, expected.__getitem__, args.concurrency, blksize,
                      args.max_seconds)
    busy = machine_busy() - busy
    used = {pid: cpu_of([pid]) - seconds for pid, seconds in before.items()}
    cpu = {"TFTP worker": used.get(tftp, 0.0), "other server": sum(used[p] for p in ours if p != tftp),
           "database": sum(used[p] for p in database), "client": storm.client_cpu}
    cpu["rest of machine"] = max(0.0, busy - sum(cpu.values()))
    return Measured(storm, "server", blksize, cpu)


def storm_tftpd(name: str, tftpd: TftpdHpa, names: list[str], expected: dict[str, bytes],
                args: argparse.Namespace, blksize: int | None) -> Measured:
    before, busy = tftpd.cpu(), machine_busy()
    storm = run_storm(name, ("127.0.0.1", tftpd.port), names, expected.__getitem__, args.concurrency, blksize,
                      args.max_seconds)
    busy = machine_busy() - busy
    # The transfer processes tftpd-hpa forks are not counted in its listener's figures: they are most of
    # "rest of machine" (the same column is near zero in the server's storms on an idle machine).
    cpu = {"tftpd-hpa listener": tftpd.cpu() - before, "client": storm.client_cpu}
    cpu["rest of machine"] = max(0.0, busy - sum(cpu.values()))
    return Measured(storm, "tftpd-hpa", blksize, cpu)


def ratios(results: list[Measured], blksize: int | None) -> list[float]:
    """Our rate over tftpd-hpa's, round by round (each round: the server's storm, then tftpd-hpa's)."""
    ours = [m.storm.rate for m in results if m.target == "server" and m.blksize == blksize and "cold" not in m.storm.name]
    theirs = [m.storm.rate for m in results if m.target == "tftpd-hpa" and m.blksize == blksize]
    return [a / b for a, b in zip(ours, theirs, strict=False) if b]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=2000, help="phones in the fleet (2000)")
    parser.add_argument("--transfers", type=int, default=2000, help="transfers per storm (2000)")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of server then tftpd-hpa storms after the one from cold (2; 0: only that one)")
    parser.add_argument("--no-blksize", action="store_true", help=f"skip the storms with blksize {BLKSIZE}")
    parser.add_argument("--no-tftpd", action="store_true", help="skip tftpd-hpa")
    parser.add_argument("--max-seconds", type=float, default=60, help="time bound of each storm (60)")
    parser.add_argument("--seed", type=int, default=20261127, help="random seed of the devices picked")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="record the server's TFTP worker with py-spy during the server's last storm "
                             "(.svg, .json, .txt; with --rounds 0, the storm from cold)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="environment variable for the server, such as PROVISIONER_WORKERS=1")
    parser.add_argument("--work-dir", type=Path, help="where the temporary folder goes")
    parser.add_argument("--server-log", type=Path, metavar="FILE", help="keep the server's log there")
    args = parser.parse_args(argv)
    if min(args.devices, args.transfers, args.concurrency) < 1 or args.rounds < 0:
        parser.error("counts must be positive")
    variants = [None] + ([] if args.no_blksize else [BLKSIZE])
    if any("=" not in item for item in args.env):
        parser.error("--env takes NAME=VALUE")
    if not args.no_tftpd and not Path(TFTPD).exists():
        parser.error(f"{TFTPD} not found: apt-get install -y tftpd-hpa (or --no-tftpd)")
    if not args.no_tftpd and os.geteuid() != 0:
        parser.error("tftpd-hpa chroots and changes user: run as root (or --no-tftpd)")

    work = Path(tempfile.mkdtemp(prefix="tftp-bench-", dir=args.work_dir))
    port = free_udp_port()
    env, settings, box = server_settings({"PROVISIONER_TFTP_PORT": str(port),
                                          **dict(item.split("=", 1) for item in args.env)})
    load = os.getloadavg()
    print(f"work dir {work}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs; load {load[0]:.2f}; "
          f"{args.devices} devices, {args.transfers} transfers per storm, {args.concurrency} clients", flush=True)

    server = ServerProcess(work / "server", env=env)
    tftpd: TftpdHpa | None = None
    results: list[Measured] = []
    started = time.monotonic()
    try:
        server.start(timeout=60)
        if not wait_until(lambda: "listening: tftp on" in server.log(), 10):
            raise RuntimeError(f"the server does not say it listens for TFTP:\n{server.log()[-2000:]}")
        print(f"server ready in {server.ready_seconds:.2f} s (pid {server.process.pid}), TFTP on port {port}", flush=True)
        database = open_database(server, settings)
        moment = time.monotonic()
        fleet = make_fleet(args.devices, box)
        insert_fleet(database, fleet)
        print(f"fleet: {len(fleet.phones)} phones inserted in {time.monotonic() - moment:.1f} s", flush=True)
        moment = time.monotonic()
        files = work / "tftpd"
        size = render_files(fleet, settings, box, files)
        expected = {path.name: path.read_bytes() for path in files.iterdir()}
        print(f"rendered {len(expected)} files ({size / len(expected):.0f} bytes each on average) "
              f"in {time.monotonic() - moment:.1f} s", flush=True)
        if not args.no_tftpd:
            tftpd = TftpdHpa(files).start()
            print(f"tftpd-hpa on port {tftpd.port} (pid {tftpd.process.pid})", flush=True)

        macs = fleet.macs
        # The plan: (storm name, file names, blksize, against tftpd-hpa too); the first is the server's from cold.
        plan = [("from cold", picks(macs, min(args.transfers, len(macs)), args.seed, each_once=True), None, False)]
        for number in range(1, args.rounds + 1):
            for blksize in variants:
                plan.append((f"blksize {blksize}" if blksize else "512-byte blocks",
                             picks(macs, args.transfers, args.seed + number, each_once=False), blksize, True))
        profiler = None
        for index, (label, names, blksize, compare) in enumerate(plan):
            if args.profile and index == len(plan) - 1:
                tftp_pid = udp_owner(port, server_processes(server)[0])
                profiler = start_profiler(tftp_pid or server.process.pid, 30, args.profile)
                time.sleep(1)  # py-spy attaches before the load starts
            results.append(storm_server(f"server, {label}", server, port, names, expected, args, blksize))
            print(f"{results[-1].storm.name}: {results[-1].storm.rate:.0f}/s", flush=True)
            if compare and tftpd is not None:
                results.append(storm_tftpd(f"tftpd-hpa, {label}", tftpd, names, expected, args, blksize))
                print(f"{results[-1].storm.name}: {results[-1].storm.rate:.0f}/s", flush=True)
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)  # py-spy writes what it has recorded
            _, stderr = profiler.communicate(timeout=60)
            print(f"profile written to {args.profile}" if args.profile.exists()
                  else f"py-spy failed: {stderr.decode(errors='replace')[-500:]}", flush=True)

        ours, database_pids = server_processes(server)
        tftp_pid = udp_owner(port, ours)
        memory = {pid: memory_kib(pid) for pid in ours + database_pids}
        time.sleep(2)  # the last second's fetches get written
        served = sum(len(m.storm.latencies) for m in results if m.target == "server")
        recorded = sum(batch.get("transports", []).count("tftp")
                       for batch in database.fetch_batches.find({}, {"transports": 1}))
        close_database()
    finally:
        if tftpd is not None:
            tftpd.stop()
        server.stop()
        if args.server_log:
            shutil.copy(server.log_path, args.server_log)
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(HEADER)
    for measured in results:
        print(measured.line())
    for measured in results:
        for reason, count in measured.storm.failures.most_common():
            print(f"failures, {measured.storm.name}: {count} x {reason}")
    print(f"memory after the storms: TFTP worker RSS {memory.get(tftp_pid, {}).get('VmRSS', 0) / 1024:.0f} MiB; "
          f"server ({len(ours)} processes) {sum(memory[p]['VmRSS'] for p in ours) / 1024:.0f} MiB")
    print(f"fetches recorded over TFTP: {recorded} for {served} transfers the client completed")
    failures = sum(sum(m.storm.failures.values()) for m in results)
    differing = sum(m.storm.failures[CONTENT_DIFFERS] for m in results)
    print(f"files received identical to the pre-rendered ones: {'yes' if not differing else f'NO, {differing} differ'}")
    for blksize in variants if tftpd is not None else []:
        found = ratios(results, blksize)
        label = f"blksize {blksize}" if blksize else "512-byte blocks"
        if found:
            ratio = statistics.median(found)
            print(f"ratio to tftpd-hpa, {label}: " + ", ".join(f"{r:.2f}" for r in found)
                  + f" (median {ratio:.2f}): >= {TARGET_RATIO} {'met' if ratio >= TARGET_RATIO else 'NOT met'}")
    theirs = [m.storm.rate for m in results if m.target == "tftpd-hpa" and m.blksize is None]
    if theirs:
        ratio = results[0].storm.rate / statistics.median(theirs)
        print(f"ratio to tftpd-hpa, from cold (to the median of its 512-byte storms): {ratio:.2f}: "
              f">= {TARGET_RATIO} {'met' if ratio >= TARGET_RATIO else 'NOT met'}")
    print(f"target zero failures: {'met' if failures == 0 else 'NOT met'} ({failures} over {len(results)} storms)")
    print(f"total {time.monotonic() - started:.0f} s")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
