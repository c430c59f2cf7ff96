"""Boot storm: thousands of phones fetching their own configuration at once, one request per connection.

Starts `provisioner serve` (default workers, embedded NX-27017, temporary data directory) through
tests/server_process.py, inserts a fleet of in-service Yealink T46U phones with one line each (in bulk,
straight into the database, secrets encrypted with the server's key), then drives it with wrk: 256
connections, each sending one `GET /<mac>.cfg` for a device picked at random with `Connection: close`
and a Yealink User-Agent, as booting phones do: first each device's first fetch, once the server has
rendered every file ahead (or, with --right-after-insert, right after the insertion, while it renders
them), then, after a warm-up asking for every device in turn, warm. The same files,
rendered by the pipeline beforehand, are then served by nginx (2 workers, no access log) under the same
load. Prints the rates, the ratio to nginx, latency percentiles, errors, CPU, and the memory of the server
and of its database. Targets (issue): at least 3,000 configurations/s, p99 under 100 ms, no error, and at
least 0.15 of nginx's rate. Figures: docs/benchmarks.rst, "Boot storm". Run from the repository root:

    python bench/boot_storm.py                       # about 100 s
    python bench/boot_storm.py --profile storm.svg   # py-spy flame graph of the server during the last storm

Needs wrk and nginx (apt-get install -y wrk nginx). Every phase is bounded in time; every process
started is stopped.
"""

from __future__ import annotations

import argparse
import grp
import json
import os
import pwd
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from api_bench import cpu_seconds, start_profiler  # noqa: E402
from fleet import close_database, insert_fleet, make_fleet, open_database, render_files, server_settings  # noqa: E402
from server_process import ServerProcess, child_pids, free_port, nx_running  # noqa: E402

WRK_SCRIPT = Path(__file__).with_name("boot_storm.lua")
USER_AGENT = "Yealink SIP-T46U 108.86.0.75"
#: Targets of the issue.
TARGET_RATE, TARGET_P99_MS, TARGET_RATIO = 3000, 100.0, 0.15


# --- measuring -----------------------------------------------------------------------------------


def run_wrk(url: str, macs_file: Path, connections: int, seconds: int, threads: int, cycle: bool = False) -> dict[str, Any]:
    """wrk's figures for the storm against `url` (see boot_storm.lua), with the CPU wrk itself used.

    Devices are picked at random per request, or with `cycle` every device in turn.
    """
    command = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", "5s", "-H", "Connection: close", "-H", f"User-Agent: {USER_AGENT}",
               "-s", str(WRK_SCRIPT), url, "--", str(macs_file)] + (["cycle"] if cycle else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in run.stdout.splitlines() if x.startswith("BOOT_STORM_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result (exit {run.returncode}):\n{run.stdout}\n{run.stderr}")
    figures = json.loads(line.split(" ", 1)[1])
    figures["cpu_wrk"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    figures["errors"] = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    figures["rate"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def listen_overflows() -> int:
    """The kernel's count of connections dropped because a listen queue was full (TcpExt ListenOverflows)."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=True):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split()[1:], values.split()[1:], strict=True))["ListenOverflows"])
    return 0


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) from /proc/PID/status, and the proportional set size from smaps_rollup, in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                found["Pss"] = int(line.split()[1])
    except OSError:
        found["Pss"] = 0
    return found


def server_processes(server: ServerProcess) -> tuple[list[int], list[int]]:
    """(the supervisor and its workers, the database process)."""
    children = child_pids(server.process.pid)
    database = [pid for pid in children if nx_running(pid)]
    return [server.process.pid] + [pid for pid in children if pid not in database], database


def cpu_of(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:
            pass
    return total


def fetch(url: str, mac: str) -> tuple[int, bytes]:
    request = urllib.request.Request(f"{url}/{mac}.cfg", headers={"User-Agent": USER_AGENT, "Connection": "close"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# --- nginx ---------------------------------------------------------------------------------------


NGINX_CONF = """\
{user}
worker_processes 2;
pid {home}/nginx.pid;
error_log {home}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    default_type text/plain;
    client_body_temp_path {home}/tmp/body;
    proxy_temp_path {home}/tmp/proxy;
    fastcgi_temp_path {home}/tmp/fastcgi;
    uwsgi_temp_path {home}/tmp/uwsgi;
    scgi_temp_path {home}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=4096;
        root {root};
        location / {{ try_files $uri =404; }}
    }}
}}
"""


class Nginx:
    """nginx serving a folder of files on a free port of 127.0.0.1, from a configuration in a temporary folder."""

    def __init__(self, home: Path, root: Path):
        self.home, self.root, self.port = home, root, free_port()
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Nginx":
        (self.home / "tmp").mkdir(parents=True, exist_ok=True)
        # Workers run as whoever runs the bench (nginx ignores `user` when not started as root).
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};"
        conf = self.home / "nginx.conf"
        conf.write_text(NGINX_CONF.format(user=user, home=self.home, port=self.port, root=self.root))
        self.process = subprocess.Popen(["nginx", "-p", str(self.home), "-e", str(self.home / "error.log"),
                                         "-c", str(conf), "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.process.stderr.read().decode(errors='replace')}")
            try:
                urllib.request.urlopen(self.base + "/", timeout=1)
            except urllib.error.HTTPError:
                return self  # 404 or 403: it answers
            except OSError:
                time.sleep(0.05)
                continue
            return self
        self.stop()
        raise RuntimeError("nginx did not answer within 10 s")

    def workers(self) -> list[int]:
        return child_pids(self.process.pid) if self.process else []

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful stop
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


# --- report --------------------------------------------------------------------------------------


@dataclass
class Storm:
    """One measured storm: wrk's figures, the CPU each party used, and the kernel's listen-queue drops."""

    name: str
    figures: dict[str, Any]
    cpu: dict[str, float]
    overflows: int
    per_process: list[float]
    handled: dict[float, float] = field(default_factory=dict)  # requests handled within each bound (s), server's count

    def handled_within(self) -> str:
        """Share of requests the server handled (request read to answer written) within some bounds."""
        total = self.handled.get(float("inf"), 0.0)
        if not total:
            return "no figures"
        return ", ".join(f"{100 * self.handled[bound] / total:.1f}% within {1000 * bound:g} ms"
                         for bound in (0.01, 0.05, 0.1, 0.5, 1.0) if bound in self.handled)

    @property
    def seconds(self) -> float:
        return self.figures["duration_us"] / 1e6

    def line(self) -> str:
        f = self.figures
        share = "  ".join(f"{who} {100 * used / self.seconds:.0f}%" for who, used in self.cpu.items())
        return (f"{self.name:<12} {f['requests']:>8} {self.seconds:>6.1f} {f['rate']:>9.0f} {f['p50_us'] / 1000:>7.1f} "
                f"{f['p90_us'] / 1000:>7.1f} {f['p99_us'] / 1000:>7.1f} {f['max_us'] / 1000:>7.0f} {f['errors']:>6}   {share}")

    def verdicts(self, nginx: "Storm | None") -> str:
        rate, p99, errors = self.figures["rate"], self.figures["p99_us"] / 1000, self.figures["errors"]
        said = [f"rate >= {TARGET_RATE}/s {'met' if rate >= TARGET_RATE else 'NOT met'} ({rate:.0f}/s)",
                f"p99 < {TARGET_P99_MS:.0f} ms {'met' if p99 < TARGET_P99_MS else 'NOT met'} ({p99:.1f} ms)",
                f"no error {'met' if errors == 0 else 'NOT met'} ({errors})"]
        if nginx is not None:
            ratio = rate / nginx.figures["rate"]
            said.append(f"nginx ratio >= {TARGET_RATIO} {'met' if ratio >= TARGET_RATIO else 'NOT met'} ({ratio:.2f})")
        return f"targets, {self.name}: " + "; ".join(said)


def errors_detail(figures: dict[str, Any]) -> str:
    return ", ".join(f"{k} {figures[k]}" for k in ("connect", "read", "write", "status", "timeout") if figures[k])


HEADER = (f"{'':<12} {'requests':>8} {'secs':>6} {'req/s':>9} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} "
          f"{'max ms':>7} {'errors':>6}   CPU (% of one core)")


def handling_times(server: ServerProcess, token: str) -> dict[float, float]:
    """The server's own count of device-file requests answered within each bucket (seconds), from /metrics."""
    request = urllib.request.Request(server.base + "/metrics", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        text = answer.read().decode()
    counts: dict[float, float] = {}
    for line in text.splitlines():
        if line.startswith("provisioner_http_request_seconds_bucket{") and 'route="device file"' in line:
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            counts[float(bound)] = counts.get(float(bound), 0.0) + float(line.rsplit(" ", 1)[1])
    return counts


def metric_total(server: ServerProcess, token: str, name: str) -> float:
    """The sum over the server's processes of a metric without labels, from /metrics."""
    request = urllib.request.Request(server.base + "/metrics", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        lines = answer.read().decode().splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.split(" ", 1)[0] == name)


def wait_rendered_ahead(server: ServerProcess, token: str, devices: int, timeout: float = 300) -> None:
    """Wait until every worker rendered every device's file ahead (the server's counter)."""
    workers = max(1, len(server_processes(server)[0]) - 1)  # the supervisor renders nothing
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        done = metric_total(server, token, "provisioner_files_rendered_ahead_total")
        if done >= workers * devices and metric_total(server, token, "provisioner_render_ahead_waiting") == 0:
            return
        time.sleep(0.25)
    raise SystemExit(f"the server had not rendered the {devices} files ahead after {timeout:.0f} s")


def storm_server(name: str, server: ServerProcess, token: str, macs_file: Path, args: argparse.Namespace) -> Storm:
    """A storm against the server, with the CPU used by its processes, its database and wrk."""
    ours, database = server_processes(server)
    before = {pid: cpu_of([pid]) for pid in ours + database}
    overflows = listen_overflows()
    times = handling_times(server, token)
    figures = run_wrk(server.base, macs_file, args.connections, args.seconds, args.threads)
    overflows = listen_overflows() - overflows
    used = {pid: cpu_of([pid]) - seconds for pid, seconds in before.items()}
    times = {bound: count - times.get(bound, 0.0) for bound, count in handling_times(server, token).items()}
    cpu = {"server": sum(used[p] for p in ours), "database": sum(used[p] for p in database), "wrk": figures["cpu_wrk"]}
    return Storm(name, figures, cpu, overflows, [used[p] for p in ours], times)


def storm_nginx(nginx: Nginx, macs_file: Path, args: argparse.Namespace) -> Storm:
    workers = nginx.workers()
    before = cpu_of(workers)
    overflows = listen_overflows()
    figures = run_wrk(nginx.base, macs_file, args.connections, args.seconds, args.threads)
    overflows = listen_overflows() - overflows
    return Storm("nginx", figures, {"nginx": cpu_of(workers) - before, "wrk": figures["cpu_wrk"]}, overflows, [])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=10_000, help="phones in the fleet (10000)")
    parser.add_argument("--connections", type=int, default=256, help="concurrent connections (256)")
    parser.add_argument("--seconds", type=int, default=15, help="duration of each measured storm (15)")
    parser.add_argument("--warm-up", type=int, default=30, metavar="SECONDS",
                        help="after the first storm, an unmeasured one this long asking for every device in "
                             "turn, then the warm storm (30; 0: only the first storm)")
    parser.add_argument("--right-after-insert", action="store_true",
                        help="storm right after the fleet is inserted, while the server still renders it ahead "
                             "(by default the first storm waits until every file is rendered ahead)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--no-nginx", action="store_true", help="skip the nginx comparison")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="record the server with py-spy during the last storm (.svg, .json speedscope, .txt raw)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="environment variable for the server, such as PROVISIONER_WORKERS=1")
    parser.add_argument("--work-dir", type=Path, help="where the temporary folder goes")
    parser.add_argument("--server-log", type=Path, metavar="FILE", help="keep the server's log there")
    args = parser.parse_args(argv)
    if min(args.devices, args.connections, args.seconds, args.threads) < 1 or args.warm_up < 0:
        parser.error("counts and durations must be positive")
    if any("=" not in item for item in args.env):
        parser.error("--env takes NAME=VALUE")
    missing = [tool for tool in ("wrk",) + (() if args.no_nginx else ("nginx",)) if shutil.which(tool) is None]
    if missing:
        parser.error(f"{' and '.join(missing)} not found: apt-get install -y wrk nginx")

    work = Path(tempfile.mkdtemp(prefix="boot-storm-", dir=args.work_dir))
    env, settings, box = server_settings(dict(item.split("=", 1) for item in args.env))
    print(f"work dir {work}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs; {args.devices} devices, "
          f"{args.connections} connections, {args.seconds} s per storm", flush=True)

    server = ServerProcess(work / "server", env=env)
    nginx: Nginx | None = None
    storms: list[Storm] = []
    started = time.monotonic()
    try:
        server.start(timeout=60)
        print(f"server ready in {server.ready_seconds:.2f} s (pid {server.process.pid})", flush=True)
        token = server.token()
        database = open_database(server, settings)
        moment = time.monotonic()
        fleet = make_fleet(args.devices, box)
        insert_fleet(database, fleet)
        inserted = time.monotonic()
        print(f"fleet: {len(fleet.phones)} phones, {len(fleet.lines)} lines, {len(fleet.sites)} sites inserted "
              f"in {time.monotonic() - moment:.1f} s", flush=True)
        macs = [phone.mac for phone in fleet.phones]
        macs_file = work / "macs.txt"
        macs_file.write_text("\n".join(macs) + "\n")
        moment = time.monotonic()
        files = work / "nginx" / "files"
        size = render_files(fleet, settings, box, files)
        print(f"rendered {len(macs)} files for nginx ({size / len(macs):.0f} bytes each on average) "
              f"in {time.monotonic() - moment:.1f} s", flush=True)

        if args.right_after_insert:
            phases = ["just inserted"]
        else:
            # As in production: a fleet in service for a while reboots (a power cut, a firmware push).
            wait_rendered_ahead(server, token, len(macs))
            print(f"every worker had rendered every file ahead {time.monotonic() - inserted:.1f} s after the fleet "
                  "was inserted", flush=True)
            phases = ["first fetch"]
        phases += ["warm"] if args.warm_up else []
        profiler = None
        for phase in phases:
            if phase == "warm":
                # Every device in turn: each worker process sees nearly every device (each goes to either).
                run_wrk(server.base, macs_file, args.connections, args.warm_up, args.threads, cycle=True)
                print(f"warm-up storm: {args.warm_up} s, every device in turn", flush=True)
            if args.profile and phase == phases[-1]:
                profiler = start_profiler(server.process.pid, args.seconds, args.profile)
                time.sleep(1)  # py-spy attaches before the load starts
            storms.append(storm_server(phase, server, token, macs_file, args))
            print(f"storm {phase}: {storms[-1].figures['rate']:.0f}/s", flush=True)
        ours, database_pids = server_processes(server)
        memory = {pid: memory_kib(pid) for pid in ours + database_pids}
        if profiler is not None:
            _, stderr = profiler.communicate(timeout=120)
            print(f"profile written to {args.profile}" if profiler.returncode == 0
                  else f"py-spy failed: {stderr.decode(errors='replace')[-500:]}", flush=True)

        # What the server sends is what was rendered for nginx, and every fetch served gets recorded.
        samples = random.Random(1).sample(macs, min(20, len(macs)))
        wrong = [mac for mac in samples if fetch(server.base, mac) != (200, (files / f"{mac}.cfg").read_bytes())]
        time.sleep(2)  # the last second's fetches get written
        recorded = sum(len(batch.get("macs") or []) for batch in database.fetch_batches.find({}, {"macs": 1}))
        latest = database.latest_fetches.count_documents({})

        nginx_storm = None
        if not args.no_nginx:
            nginx = Nginx(work / "nginx", files).start()
            nginx_storm = storm_nginx(nginx, macs_file, args)
            storms.append(nginx_storm)
            wrong += [f"nginx:{mac}" for mac in samples[:5] if fetch(nginx.base, mac)[0] != 200]
            nginx.stop()
        close_database()
    finally:
        if nginx is not None:
            nginx.stop()
        server.stop()
        if args.server_log:
            shutil.copy(server.log_path, args.server_log)

    print()
    print(HEADER)
    for storm in storms:
        print(storm.line())
        if storm.figures["errors"]:
            print(f"{'':<12} errors: {errors_detail(storm.figures)}")
    for storm in storms:
        if storm.per_process:
            print(f"server CPU per process in the storm {storm.name} (supervisor first): "
                  + ", ".join(f"{100 * used / storm.seconds:.0f}%" for used in storm.per_process))
            print(f"  handled by the server (request read to answer written): {storm.handled_within()}")
    print("listen queue overflows (connections the kernel dropped): "
          + ", ".join(f"{storm.name} {storm.overflows}" for storm in storms))
    rss = sum(memory[pid]["VmRSS"] for pid in ours)
    print(f"memory after the storms, server ({len(ours)} processes: supervisor and workers): RSS {rss / 1024:.0f} MiB "
          f"(peak {sum(memory[p]['VmHWM'] for p in ours) / 1024:.0f} MiB; proportional set size "
          f"{sum(memory[p]['Pss'] for p in ours) / 1024:.0f} MiB, counting shared pages once); per process: "
          + ", ".join(f"{memory[p]['VmRSS'] / 1024:.0f}" for p in ours) + " MiB")
    print(f"memory of the database process: RSS {sum(memory[p]['VmRSS'] for p in database_pids) / 1024:.0f} MiB")
    answered = sum(storm.figures["requests"] for storm in storms if storm is not nginx_storm)
    print(f"fetches recorded: {recorded} (latest fetches: {latest} devices) for {answered} answers wrk counted in the "
          f"measured storms, plus the warm-up's and {len(samples)} checks")
    print(f"sampled files identical to the pre-rendered ones: {'yes' if not wrong else 'NO: ' + ', '.join(wrong)}")
    for storm in storms:
        if storm is not nginx_storm:
            print(storm.verdicts(nginx_storm))
    print(f"total {time.monotonic() - started:.0f} s")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
