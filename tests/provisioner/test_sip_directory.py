"""The SIP directory over the real database: lines and the served devices carrying them, a change reaching it
within about a second, User-Agents read by the vendor modules, and 10,000 lines loaded in one pass."""

from __future__ import annotations

import asyncio
import time

import pytest
from bson import ObjectId

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.lines import Line
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.sip_directory import InventoryDirectory
from provisioner.vendors import VENDORS
from sip_core.directory import Agent, Device

ACTOR = Actor.system("tests")
YEALINK_RESYNC = VENDORS["yealink"].resync_event


@pytest.fixture
def site(mongo_db, services) -> Site:
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    return Site(customer=customer, name="HQ", address="1 rue", postcode="75008", city="Paris").insert(ACTOR)


def add_line(site: Site, services, extension: str, password: str) -> Line:
    line = Line(site=site, extension=extension, number=f"+3314266{extension:0>4}", display_name=f"Poste {extension}")
    line.set_sip_password(services.box, password)
    return line.insert(ACTOR)


def add_equipment(site: Site, services, serial: str, mac: str, vendor: str, model: str, lines: list[Line],
                  state: str = "in_service") -> Equipment:
    item = Equipment(serial=serial, mac=mac, vendor=vendor, model=model, site=site, lines=lines, state=state)
    issue_secrets(item, services.box)
    return item.insert(ACTOR)


def test_lines_and_the_served_devices_carrying_them(site, services):
    shared = add_line(site, services, "101", "Secret101abc")
    alone = add_line(site, services, "102", "Secret102abc")
    add_equipment(site, services, "YL-1", "805ec0000001", "yealink", "T46U", [shared])
    add_equipment(site, services, "PC-1", "0004f2000002", "polycom", "VVX450", [shared])
    add_equipment(site, services, "YL-2", "805ec0000003", "yealink", "T54W", [alone], state="in_stock")  # not served
    add_equipment(site, services, "GS-1", "000b82000004", "grandstream", "HT802", [alone])

    async def load():
        directory = InventoryDirectory(services.box, VENDORS.values())
        await directory.start()
        directory.stop()
        return directory

    directory = asyncio.run(load())
    account = directory.account(shared.sip_username)
    assert account.password == "Secret101abc" and account.line_id == str(shared.pk)
    assert (account.customer_id, account.site_id) == (str(site.customer.pk), str(site.pk))
    assert (account.extension, account.number, account.display_name) == ("101", "+33142660101", "Poste 101")
    assert sorted(account.devices, key=lambda d: d.vendor) == [
        Device("polycom", "VVX450", "0004f2000002", VENDORS["polycom"].resync_event),
        Device("yealink", "T46U", "805ec0000001", VENDORS["yealink"].resync_event)]
    assert directory.account(alone.sip_username).devices == (Device("grandstream", "HT802", "000b82000004", VENDORS["grandstream"].resync_event),)
    assert directory.by_extension(str(site.customer.pk), "102").username == alone.sip_username
    assert directory.by_number("+33142660101") is account
    assert directory.account("nobody") is None and directory.by_number("+33999") is None


def test_a_changed_password_and_a_moved_line_reach_it_within_two_seconds(site, services):
    first = add_line(site, services, "101", "OldSecret101")
    second = add_line(site, services, "102", "Secret102abc")
    phone = add_equipment(site, services, "YL-1", "805ec0000001", "yealink", "T46U", [first])

    async def scenario():
        directory = InventoryDirectory(services.box, VENDORS.values(), check_seconds=0.2)
        await directory.start()
        try:
            assert directory.account(first.sip_username).password == "OldSecret101"
            loop = asyncio.get_running_loop()
            started = time.monotonic()
            await loop.run_in_executor(None, lambda: Line.objects.get(pk=first.pk).update(
                ACTOR, {"sip_password_enc": services.box.encrypt("NewSecret101")}))
            while directory.account(first.sip_username).password != "NewSecret101":
                assert time.monotonic() - started < 2, "the new password did not reach the directory"
                await asyncio.sleep(0.05)
            untouched = directory.account(second.sip_username)
            started = time.monotonic()
            await loop.run_in_executor(None, lambda: Equipment.objects.get(pk=phone.pk).update(
                ACTOR, {"lines": [Line.objects.get(pk=second.pk)]}))
            while directory.account(first.sip_username).devices:
                assert time.monotonic() - started < 2, "the equipment change did not reach the directory"
                await asyncio.sleep(0.05)
            assert directory.account(second.sip_username).devices == (Device("yealink", "T46U", "805ec0000001", YEALINK_RESYNC),)
            assert directory.account(second.sip_username).password == untouched.password
        finally:
            directory.stop()

    asyncio.run(scenario())


@pytest.mark.parametrize("user_agent, agent", [
    ("Yealink SIP-T46U 108.86.0.75", Agent("yealink", "T46U", None)),
    ("Yealink SIP-T54W 96.86.0.100 80:5e:c0:a1:b2:c3", Agent("yealink", "T54W", "805ec0a1b2c3")),
    ("PolycomVVX-VVX_450-UA/6.4.3.5018", Agent("polycom", "VVX450", None)),
    ("Cisco-CP-8851-3PCC/11.3.7 (00562b043615)", Agent("cisco", "CP-8851-3PCC", "00562b043615")),
    ("Cisco/SPA504G-7.6.2c (805EC0A1B2C3)(CCQ123)", Agent("cisco", "SPA504G", "805ec0a1b2c3")),
    ("Fanvil X5U 2.12.1.4 0c383e000005", Agent("fanvil", "X5U", "0c383e000005")),
    ("friendly-scanner", None),
    ("Asterisk PBX 18.0", None),
])
def test_identify_reads_real_user_agents_and_remembers_them(user_agent, agent):
    from inventory.secret_box import SecretBox

    directory = InventoryDirectory(SecretBox([SecretBox.generate_key()]), VENDORS.values())
    assert directory.identify(user_agent) == agent
    assert directory.identify(user_agent) == agent
    assert list(directory._agents) == [user_agent]


def test_ten_thousand_lines_load_in_one_pass_well_under_two_seconds(site, services):
    customer, site_id = str(site.customer.pk), str(site.pk)
    token = services.box.encrypt("Secret-password-1")  # one token: decrypting each is what the load costs
    lines = [{"_id": ObjectId(), "customer": customer, "site": site_id, "extension": f"{n:06d}",
              "display_name": f"Poste {n}", "sip_username": f"u{n:011d}", "sip_password_enc": token, "version": 1}
             for n in range(10_000)]
    Line._get_collection().insert_many(lines)
    Equipment._get_collection().insert_many([
        {"serial": f"YL-{n}", "mac": f"805ec0{n:06x}", "vendor": "yealink", "model": "T46U", "state": "in_service",
         "site": site_id, "customer": customer, "lines": [str(lines[n]["_id"])], "admin_password_enc": token,
         "version": 1} for n in range(10_000)])

    async def load():
        directory = InventoryDirectory(services.box, VENDORS.values())
        started = time.monotonic()
        await directory.start()
        directory.stop()
        return directory, time.monotonic() - started

    directory, seconds = asyncio.run(load())
    print(f"10,000 lines and 10,000 devices loaded in {seconds:.2f} s")
    assert len(directory.view.accounts) == 10_000
    assert directory.account("u00000009999").devices == (Device("yealink", "T46U", "805ec000270f", YEALINK_RESYNC),)
    assert seconds < 2.0
