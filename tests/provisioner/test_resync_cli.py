"""`provisioner resync`: the request queued in the running server's database, followed with --wait while the SIP
core's poller (here in a thread of the test, over the same database) tells the phones; exit statuses and messages."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.lines import Line
from inventory.resync_requests import ResyncRequest
from inventory.secret_box import SecretBox
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.resync_poller import ResyncPoller
from provisioner.resync_targets import resolver
from provisioner.sip_directory import InventoryDirectory
from provisioner.vendors import VENDORS
from sip_core.core import CoreConfig, SipCore
from sip_core.location import Binding, MemoryStore
from sip_core.recorder import MemoryRecorder

ROOT = Path(__file__).resolve().parents[2]
ACTOR = Actor.system("tests")
TIMEOUT = 60



@pytest.fixture
def fleet(data_dir: Path) -> dict[str, object]:
    """Site HQ with two phones in service, one line each."""
    box = SecretBox([SecretBox.generate_key()])
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="HQ", address="1 rue", postcode="75008", city="Paris").insert(ACTOR)
    users = []
    for n in (1, 2):
        line = Line(site=site, extension=f"10{n}", display_name=f"Poste {n}")
        line.set_sip_password(box, "Resync-secret-42")
        line.insert(ACTOR)
        item = Equipment(serial=f"YL-{n}", mac=f"805ec000000{n}", vendor="yealink", model="T46U", site=site,
                         lines=[line], state="in_service")
        issue_secrets(item, box)
        item.insert(ACTOR)
        users.append(line.sip_username)
    return {"box": box, "site": str(site.pk), "users": users}


class AnsweringPhone(asyncio.DatagramProtocol):
    """A phone that accepts every NOTIFY at once (200 OK)."""

    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
        self.transport = transport

    def datagram_received(self, data: bytes, address) -> None:  # type: ignore[no-untyped-def]
        head = data.decode().split("\r\n\r\n", 1)[0].split("\r\n")
        kept = [line for line in head[1:] if line.split(":", 1)[0].lower() in ("via", "from", "to", "call-id", "cseq")]
        self.transport.sendto("\r\n".join(["SIP/2.0 200 OK", *kept, "Content-Length: 0", "", ""]).encode(), address)


@contextlib.contextmanager
def sip_process(box: SecretBox, registered: str) -> Iterator[None]:
    """What worker 0 runs, in a thread: a core over the inventory, `registered` bound to an answering phone, and
    the re-sync poller."""
    ready, stop = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    async def serve() -> None:
        directory = InventoryDirectory(box, VENDORS.values())
        await directory.start()
        core = SipCore(CoreConfig("sip.test", b"k" * 32), directory, MemoryStore(), MemoryRecorder())
        await core.start("127.0.0.1", 0)
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            AnsweringPhone, local_addr=("127.0.0.1", 0))
        port, now = transport.get_extra_info("sockname")[1], core.clock()
        core.location.replace(registered, (Binding(f"sip:{registered}@127.0.0.1:{port}", now + 300, "reg", 1, "udp",
                                                   "127.0.0.1", port, now),), now)
        poller = ResyncPoller(core, resolver(None), poll_seconds=0.1)
        poller.start()
        ready.set()
        try:
            while not stop.is_set():
                await asyncio.sleep(0.05)
        finally:
            await poller.stop()
            transport.close()
            core.stop()
            directory.stop()

    def run() -> None:
        try:
            asyncio.run(serve())
        except BaseException as exc:  # noqa: BLE001 - handed to the test, which fails with it
            failure.append(exc)
            ready.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(20) and not failure, failure
    try:
        yield
    finally:
        stop.set()
        thread.join(20)
    assert not failure, failure


def resync(data_dir: Path, *options: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provisioner", "resync", "--data-dir", str(data_dir), *options],
                          cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT,
                          env={**os.environ, "PROVISIONER_CONFIG": "", **(env or {})})


def test_a_device_is_queued_and_the_command_returns_at_once(data_dir, fleet):
    done = resync(data_dir, "--device", "80:5E:C0:00:00:01")
    assert done.returncode == 0, done.stderr
    (request,) = ResyncRequest.objects
    assert (request.target_kind, request.target, request.state, request.requested_by) == (
        "device", "805ec0000001", "queued", "@cli")
    assert done.stdout == f"re-sync request {request.pk} queued: device 805ec0000001\n"


def test_with_wait_the_results_are_printed_and_the_status_says_whether_any_was_answered(data_dir, fleet):
    registered, silent = fleet["users"]
    with sip_process(fleet["box"], registered):
        site = resync(data_dir, "--site", fleet["site"], "--wait", "20")
        alone = resync(data_dir, "--device", "805ec0000002", "--wait", "20")
    assert site.returncode == 0, site.stdout + site.stderr
    lines = site.stdout.splitlines()
    assert re.fullmatch(rf"re-sync request [0-9a-f]{{24}} queued: site {fleet['site']}", lines[0])
    assert re.fullmatch(rf"805ec0000001  {registered} at sip:{registered}@127\.0\.0\.1:\d+: answered \(200 OK\)",
                        lines[1]), lines
    assert lines[2:] == [f"805ec0000002  {silent}: not registered",
                         "2 device(s); 1 answered, 1 not registered, 0 timeout, 0 failed"]
    assert alone.returncode == 1, alone.stdout + alone.stderr  # nothing could be sent
    assert alone.stdout.splitlines()[1:] == [f"805ec0000002  {silent}: not registered",
                                             "1 device(s); 0 answered, 1 not registered, 0 timeout, 0 failed"]
    assert [r.state for r in ResyncRequest.objects] == ["done", "done"]


def test_a_wait_that_runs_out_says_so(data_dir, fleet):
    done = resync(data_dir, "--device", "805ec0000001", "--wait", "1")  # no SIP process takes it
    assert done.returncode == 1
    assert "not done yet (state: queued); follow it with GET /api/v1/resync/" in done.stdout


@pytest.mark.parametrize(("options", "status", "says"), [
    (("--device", "805ec00000ff"), 1, "provisioner: no equipment with MAC 805ec00000ff; nothing queued"),
    (("--site", "0" * 24), 1, f"provisioner: no site with id {'0' * 24!r}; nothing queued"),
    (("--device", "not-a-mac"), 2, "provisioner: MAC address 'not-a-mac' is not valid"),
    (("--device", "805ec0000001", "--wait", "0"), 2, "provisioner: --wait needs a number of seconds above 0"),
])
def test_a_target_naming_nothing_queues_nothing(data_dir, fleet, options, status, says):
    done = resync(data_dir, *options)
    assert done.returncode == status and done.stderr.startswith(says), done.stderr
    assert ResyncRequest.objects.first() is None


def test_with_sip_disabled_nothing_is_queued(data_dir, fleet):
    done = resync(data_dir, "--device", "805ec0000001", env={"PROVISIONER_SIP_ENABLED": "false"})
    assert done.returncode == 1 and "SIP core is disabled in the configuration" in done.stderr
    assert ResyncRequest.objects.first() is None


def test_without_a_running_server_nothing_is_queued(tmp_path):
    done = resync(tmp_path / "empty", "--out-of-date")
    assert done.returncode == 1 and "no server is running on" in done.stderr, done.stderr
    assert "start `provisioner serve` first" in done.stderr
