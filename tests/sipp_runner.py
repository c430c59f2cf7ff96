"""Running sipp (Debian's sip-tester) against a core started in the test's own event loop."""

from __future__ import annotations

import asyncio
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

from sip_core.call_records import MemoryCallLog
from sip_core.core import CoreConfig, SipCore
from sip_core.directory import Account, Agent, Device, MemoryDirectory
from sip_core.location import Binding, MemoryStore, Policy
from sip_core.recorder import MemoryRecorder

SCENARIOS = Path(__file__).with_name("sipp")  # the scenario files
REALM = "sip.test"
YEALINK_AGENT = "Yealink SIP-T46U 108.86.0.75"
AGENTS = {"Yealink SIP-T46U": Agent("yealink", "T46U"), "Yealink SIP-T54W": Agent("yealink", "T54W")}

needs_sipp = pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp is not installed (apt-get install sip-tester)")


def account(number: int, password: str = "secret-pass", model: str = "T46U") -> Account:
    """Line `number` of customer c1: user u<number>, extension <number>, carried by a Yealink of `model`."""
    return Account(f"u{number}", password, f"line{number}", "c1", "site1", str(number), f"+3319000{number:04d}",
                   f"User {number}", (Device("yealink", model),))


def make_core(accounts: list[Account], **config) -> tuple[SipCore, MemoryRecorder]:
    """A core over these accounts, its call records kept in memory (`core.calls.log.records`)."""
    recorder = MemoryRecorder()
    config.setdefault("digest_algorithms", ("MD5",))  # sipp answers only the first challenge, and knows only MD5
    settings = CoreConfig(REALM, b"k" * 32, policy=Policy(min_expires=60, max_expires=3600, max_contacts=3), **config)
    return SipCore(settings, MemoryDirectory(accounts, AGENTS), MemoryStore(), recorder,
                   call_log=MemoryCallLog()), recorder


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SippRun:
    returncode: int
    output: str


async def run_sipp(scenario: str, target: tuple[str, int], work: Path, rows: list[list[str]] | None = None,
                   calls: int = 1, final: str | None = None, extra: list[str] = (), timeout: float = 30.0,
                   transport: str = "u1", port: int | None = None) -> SippRun:
    """Run one sipp scenario against `target` with an injection file made of `rows`; bounded by `timeout`."""
    text = (SCENARIOS / scenario).read_text()
    if final is not None:
        text = text.replace("FINAL_STATUS", final)
    scenario_file = work / f"{scenario}.{final or 'run'}.xml"
    scenario_file.write_text(text)
    command = ["sipp", "-sf", str(scenario_file), "-m", str(calls), "-r", "50", "-l", "20",
               "-nd", "-i", "127.0.0.1", "-p", str(port or free_udp_port()), "-t", transport, "-nostdin", "-timeout", f"{int(timeout)}s",
               "-recv_timeout", "5000", "-trace_err", "-error_file", str(work / "sipp-errors.log"), *extra]
    if rows is not None:
        injection = work / "accounts.csv"
        injection.write_text("SEQUENTIAL\n" + "".join(";".join(row) + "\n" for row in rows))
        command += ["-inf", str(injection)]
    command.append(f"{target[0]}:{target[1]}")
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT, cwd=work)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout + 10)
    except asyncio.TimeoutError:
        process.kill()
        output, _ = await process.communicate()
    errors = work / "sipp-errors.log"
    text_out = output.decode(errors="replace") + (errors.read_text(errors="replace") if errors.exists() else "")
    return SippRun(process.returncode, text_out)


def register_row(user: str, password: str, agent: str = YEALINK_AGENT, expires: int = 300) -> list[str]:
    """One injection line for register.xml."""
    return [user, f"[authentication username={user} password={password}]", REALM, agent, str(expires)]


def call_row(user: str, dialled: str, password: str = "secret-pass") -> list[str]:
    """One injection line for the uac_*.xml scenarios."""
    return [user, f"[authentication username={user} password={password}]", REALM, dialled]


def phone_at(username: str, port: int, now: float) -> Binding:
    """A binding of `username` to a phone (sipp) listening on 127.0.0.1:`port` over UDP."""
    return Binding(f"sip:{username}@127.0.0.1:{port}", now + 300, f"reg-{username}", 2, "udp", "127.0.0.1", port, now)
