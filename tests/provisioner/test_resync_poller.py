"""The re-sync poller of the SIP core's process, end to end: a request queued in the database is taken, the NOTIFY
reaches a phone registered with a real sipp agent, which challenges it and accepts it, and the result is stored;
lines are told at most `concurrency` at a time; a request whose target cannot be resolved is done with the reason."""

from __future__ import annotations

import asyncio
import time

import pytest
from sipp_runner import REALM, free_udp_port, needs_sipp, register_row, run_sipp

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.lines import Line
from inventory.resync_requests import ResyncRequest, ResyncResult, find, queue
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.resync_poller import ResyncPoller
from provisioner.resync_targets import resolver
from provisioner.sip_directory import InventoryDirectory
from provisioner.vendors import VENDORS
from sip_core.core import CoreConfig, SipCore
from sip_core.location import Binding, MemoryStore, Policy
from sip_core.recorder import MemoryRecorder

ACTOR = Actor.system("tests")
PASSWORD = "Resync-secret-42"


@pytest.fixture
def site(mongo_db, services) -> Site:
    ResyncRequest.ensure_indexes()
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    return Site(customer=customer, name="HQ", address="1 rue", postcode="75008", city="Paris").insert(ACTOR)


def add_phone(site: Site, services, n: int, state: str = "in_service") -> Line:
    """A Yealink T46U in `state` at the site, carrying one line of its own (password PASSWORD)."""
    line = Line(site=site, extension=f"{100 + n}", display_name=f"Poste {n}")
    line.set_sip_password(services.box, PASSWORD)
    line.insert(ACTOR)
    item = Equipment(serial=f"YL-{n}", mac=f"805ec00000{n:02x}", vendor="yealink", model="T46U", site=site,
                     lines=[line], state=state)
    issue_secrets(item, services.box)
    item.insert(ACTOR)
    return line


async def started_core(services) -> SipCore:
    """A core over the inventory (the server's directory), in this event loop, on a free UDP port."""
    directory = InventoryDirectory(services.box, VENDORS.values())
    await directory.start()
    config = CoreConfig(REALM, b"k" * 32, digest_algorithms=("MD5",),  # sipp knows only MD5
                        policy=Policy(min_expires=60, max_expires=3600, max_contacts=3))
    core = SipCore(config, directory, MemoryStore(), MemoryRecorder())
    await core.start("127.0.0.1", 0)
    return core


async def until_done(request_id: str, seconds: float) -> ResyncRequest:
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + seconds
    while True:
        request = await loop.run_in_executor(None, find, request_id)
        if request.state == "done" or time.monotonic() > deadline:
            return request
        await asyncio.sleep(0.1)


@needs_sipp
def test_a_queued_request_reaches_a_phone_registered_with_sipp_and_its_answer_is_stored(site, services, tmp_path):
    registered, silent = add_phone(site, services, 1), add_phone(site, services, 2)
    add_phone(site, services, 3, state="delivered")  # not set up yet: not one of the site's devices to tell

    async def scenario():
        core = await started_core(services)
        poller = ResyncPoller(core, resolver(None), poll_seconds=0.1)
        try:
            port = free_udp_port()
            run = await run_sipp("register.xml", core.local_address("udp"), tmp_path, final="200", port=port,
                                 rows=[register_row(registered.sip_username, PASSWORD)])
            assert run.returncode == 0, run.output
            request = queue("site", str(site.pk), "support-1")
            phone = asyncio.create_task(run_sipp(
                "notify_uas.xml", ("127.0.0.1", 9), tmp_path, calls=1, timeout=15, port=port,
                extra=["-set", "user", registered.sip_username, "-set", "password", PASSWORD]))
            await asyncio.sleep(0.5)  # sipp listening
            poller.start()
            done = await until_done(str(request.pk), 20)
            return done, await phone, core.location.bindings(registered.sip_username, core.clock())[0].contact
        finally:
            await poller.stop()
            core.stop()
            core.directory.stop()

    done, phone, contact = asyncio.run(scenario())
    assert phone.returncode == 0, phone.output  # it checked the event (check-sync) and our digest answer
    assert done.state == "done" and done.error == "" and done.devices == 2 and done.attempts == 1
    assert done.results == [
        ResyncResult("805ec0000001", registered.sip_username, contact, "answered", 200, "OK"),
        ResyncResult("805ec0000002", silent.sip_username, "", "not_registered", 0, "")]


class SlowPhones(asyncio.DatagramProtocol):
    """Every phone of the test behind one UDP socket: answers each NOTIFY 200 after `delay`, counting how many
    it holds unanswered at once."""

    def __init__(self, delay: float):
        self.delay, self.holding, self.most, self.told = delay, 0, 0, []
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
        self.transport = transport

    def datagram_received(self, data: bytes, address) -> None:  # type: ignore[no-untyped-def]
        head = data.decode().split("\r\n\r\n", 1)[0].split("\r\n")
        if not head[0].startswith("NOTIFY "):
            return
        self.holding += 1
        self.most = max(self.most, self.holding)
        self.told.append(head[0].split()[1])
        kept = [line for line in head[1:] if line.split(":", 1)[0].lower() in ("via", "from", "to", "call-id", "cseq")]
        answer = "\r\n".join(["SIP/2.0 200 OK", *kept, "Content-Length: 0", "", ""]).encode()
        asyncio.get_running_loop().call_later(self.delay, self._answer, answer, address)

    def _answer(self, answer: bytes, address) -> None:  # type: ignore[no-untyped-def]
        self.holding -= 1
        self.transport.sendto(answer, address)


def test_lines_are_told_at_most_concurrency_at_a_time(site, services):
    lines = [add_phone(site, services, n) for n in range(1, 9)]

    async def scenario():
        core = await started_core(services)
        transport, phones = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: SlowPhones(0.3), local_addr=("127.0.0.1", 0))
        port = transport.get_extra_info("sockname")[1]
        now = core.clock()
        for line in lines:  # registered from where the phones answer
            contact = f"sip:{line.sip_username}@127.0.0.1:{port}"
            core.location.replace(line.sip_username, (Binding(contact, now + 300, "reg", 1, "udp", "127.0.0.1", port,
                                                              now),), now)
        poller = ResyncPoller(core, resolver(None), poll_seconds=0.1, concurrency=3)
        try:
            request = queue("site", str(site.pk), "support-1")
            poller.start()
            return await until_done(str(request.pk), 20), phones
        finally:
            await poller.stop()
            transport.close()
            core.stop()
            core.directory.stop()

    done, phones = asyncio.run(scenario())
    assert [(r.outcome, r.status) for r in done.results] == [("answered", 200)] * 8
    assert sorted(phones.told) == sorted(result.contact for result in done.results)
    assert sorted(result.line for result in done.results) == sorted(line.sip_username for line in lines)
    assert phones.most == 3


def test_a_target_that_cannot_be_resolved_is_done_with_the_reason(site, services):
    add_phone(site, services, 1)

    async def scenario():
        core = await started_core(services)
        poller = ResyncPoller(core, resolver(None), poll_seconds=0.1)  # no provisioner: "out of date" cannot render
        try:
            request = queue("out_of_date", "", "support-1")
            poller.start()
            return await until_done(str(request.pk), 10)
        finally:
            await poller.stop()
            core.stop()
            core.directory.stop()

    done = asyncio.run(scenario())
    assert done.state == "done" and done.results == []
    assert done.error == "the target could not be resolved: ValueError: the out-of-date target needs the server's provisioner"
