"""Rendering ahead over the real database: every served device's file is ready before it asks, and again
after a change reaches it; nothing more is rendered than needed, and a full cache stops it."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.lines import Line
from inventory.template_overrides import TemplateOverride
from provisioner.provisioning.device_cache import CHECK_SECONDS, DeviceCache
from provisioner.provisioning.device_records import ENTRY_BYTES
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.provisioning.pipeline import DeviceRequest, Provisioner
from provisioner.provisioning.render_ahead import HEADROOM_BYTES, RenderAhead
from provisioner.services import Services
from provisioner.vendors import VENDORS

ACTOR = Actor.system("tests")
UA = "Yealink SIP-T46U 108.86.0.75"
SOURCE = "203.0.113.7"
PHONES = 12


@pytest.fixture
def fleet(mongo_db, services) -> list[tuple[Equipment, Line]]:
    """PHONES phones in service on one site, and one in stock (not served, so not rendered)."""
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="HQ", address="1 rue", postcode="75008", city="Paris",
                allowed_networks=["203.0.113.0/24"]).insert(ACTOR)
    phones = []
    for number in range(1, PHONES + 2):
        line = Line(site=site, extension=f"{100 + number}", display_name=f"Poste {100 + number}")
        line.set_sip_password(services.box)
        line.insert(ACTOR)
        phone = Equipment(serial=f"YL-{number}", mac=f"805ec0{number:06x}", vendor="yealink", model="T46U", site=site,
                          lines=[line], state="in_service" if number <= PHONES else "in_stock")
        issue_secrets(phone, services.box)
        phones.append((phone.insert(ACTOR), line))
    return phones


class Counting(Provisioner):
    """A provisioner that counts its renderings and its reads of devices."""

    def __init__(self, services: Services, devices: DeviceCache | None = None):
        super().__init__(services, VENDORS.values(), devices=devices)
        self.renders = 0
        self.reads: list[str] = []
        read = self.devices._read
        self.devices._read = lambda macs, *known: self.reads.extend(macs) or read(macs, *known)

    def _render(self, *args, **kwargs):
        self.renders += 1
        return super()._render(*args, **kwargs)


def ask(provisioner: Provisioner, mac: str, transport: str = "http"):
    return provisioner.serve(DeviceRequest(path=f"/{mac}.cfg", user_agent=UA, source=SOURCE, transport=transport))


def with_setting(services: Services, **changes) -> Services:
    settings = services.settings
    provisioning = dataclasses.replace(settings.provisioning, **changes)
    return dataclasses.replace(services, settings=dataclasses.replace(settings, provisioning=provisioning))


async def rendered_ahead(provisioner: Provisioner, then=None) -> RenderAhead:
    ahead = RenderAhead(provisioner)
    ahead.start()
    try:
        assert await ahead.idle(20)
        if then is not None:
            then(ahead)
            assert await ahead.idle(20)
    finally:
        await ahead.stop()
    return ahead


@pytest.mark.parametrize("plain, transport", [("encrypted", "http"), ("encrypted", "tftp"), ("clear", "http")])
def test_every_served_device_is_rendered_ahead_and_then_served_without_reading_or_rendering(
        fleet, services, plain, transport):
    services = with_setting(services, plain_device_files=plain)
    provisioner = Counting(services)
    ahead = asyncio.run(rendered_ahead(provisioner))
    assert (ahead.rendered, provisioner.renders) == (PHONES, PHONES)
    assert sorted(provisioner.reads) == sorted(phone.mac for phone, _ in fleet[:PHONES])  # not the one in stock
    reads = len(provisioner.reads)
    served = {phone.mac: ask(provisioner, phone.mac, transport) for phone, _ in fleet[:PHONES]}
    assert provisioner.renders == PHONES and len(provisioner.reads) == reads
    fresh = Provisioner(services, VENDORS.values())
    for mac, answer in served.items():
        expected = ask(fresh, mac, transport)
        assert (answer.revision, answer.content_type) == (expected.revision, expected.content_type)
        assert (answer.content_type == "application/octet-stream") == (plain == "encrypted")
    assert ask(provisioner, fleet[PHONES][0].mac) is None  # in stock: still refused


def test_a_change_renders_again_the_devices_it_reaches_and_only_those(fleet, services):
    provisioner = Counting(services)
    (phone, line), (other, _) = fleet[0], fleet[1]
    before = {mac: ask(provisioner, mac).revision for mac in (phone.mac, other.mac)}

    def change(ahead: RenderAhead) -> None:
        line.update(ACTOR, {"display_name": "Accueil"})
        provisioner.renders = 0
        provisioner.devices.check()  # what the next request would do once CHECK_SECONDS passed

    asyncio.run(rendered_ahead(provisioner, then=change))
    assert provisioner.renders == 1  # the changed device's file, before it asks
    assert ask(provisioner, phone.mac).revision != before[phone.mac]
    assert ask(provisioner, other.mac).revision == before[other.mac]
    assert provisioner.renders == 1


def test_a_change_that_reaches_everything_renders_everything_again(fleet, services):
    provisioner = Counting(services)
    site = fleet[0][0].site

    def override(ahead: RenderAhead) -> None:
        TemplateOverride(scope="site", site=site, vendor="yealink", template="device.cfg.j2",
                         source="{% extends 'base:yealink/device.cfg.j2' %}").insert(ACTOR)
        provisioner.renders = 0
        provisioner.devices.check()

    asyncio.run(rendered_ahead(provisioner, then=override))
    assert provisioner.renders == PHONES
    for phone, _ in fleet[:PHONES]:
        assert ask(provisioner, phone.mac) is not None
    assert provisioner.renders == PHONES


def test_rendering_ahead_stops_short_of_a_full_cache(fleet, services):
    # Room for the entries and two or three files above the headroom kept for the devices that ask.
    devices = DeviceCache(max_bytes=HEADROOM_BYTES + (PHONES + 1) * ENTRY_BYTES + 8 * 1024)
    provisioner = Counting(services, devices)
    ahead = asyncio.run(rendered_ahead(provisioner))
    assert 0 < ahead.rendered < PHONES
    assert devices.room() >= HEADROOM_BYTES - 4 * 1024
    assert all(ask(provisioner, phone.mac) is not None for phone, _ in fleet[:PHONES])  # the rest on request


def test_a_device_that_fails_to_render_holds_no_other_back(fleet, services, caplog):
    provisioner = Counting(services)
    broken = fleet[3][0].mac
    render_ahead = provisioner.render_ahead

    def failing(device):
        if device.mac == broken:
            raise RecursionError("maximum recursion depth exceeded")
        return render_ahead(device)

    provisioner.render_ahead = failing
    ahead = asyncio.run(rendered_ahead(provisioner))
    assert ahead.rendered == PHONES - 1
    assert f"rendering ahead failed for {broken}" in caplog.text


def test_a_change_is_rendered_ahead_even_when_no_device_asks(fleet, services):
    provisioner = Counting(services)
    phone, line = fleet[0]

    async def scenario() -> float:
        ahead = RenderAhead(provisioner)
        ahead.start()
        try:
            assert await ahead.idle(20)
            line.update(ACTOR, {"display_name": "Accueil"})
            changed = time.monotonic()
            while ahead.rendered == PHONES and time.monotonic() - changed < 10:
                await asyncio.sleep(0.05)
            return time.monotonic() - changed
        finally:
            await ahead.stop()

    delay = asyncio.run(scenario())
    assert provisioner.renders == PHONES + 1 and delay < 3 * CHECK_SECONDS
    assert ask(provisioner, phone.mac).revision == ask(Provisioner(services, VENDORS.values()), phone.mac).revision
    assert provisioner.renders == PHONES + 1  # served as rendered ahead, with the change


def test_a_device_that_cannot_get_its_file_encrypted_has_its_clear_file_rendered_ahead(fleet, services):
    phone = fleet[0][0]
    phone.update(ACTOR, {"config_key_enc": None})  # no file key yet: it can only be served over HTTPS
    provisioner = Counting(services)
    ahead = asyncio.run(rendered_ahead(provisioner))
    assert ahead.rendered == PHONES and provisioner.renders == PHONES
    assert ask(provisioner, phone.mac, "https") is not None and provisioner.renders == PHONES  # as rendered ahead
    assert ask(provisioner, phone.mac, "http") is None  # and never in clear over plain HTTP
