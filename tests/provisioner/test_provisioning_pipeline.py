"""The provisioning pipeline over the real database: who gets a file, who gets the missing-file answer, what is recorded."""

from __future__ import annotations

import random

import pytest
from fake_vendor import FakeYealink

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.lines import Line
from inventory.provisioning_log import LastFetch, QuarantinedDevice, fetches
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.provisioning.pipeline import DeviceRequest, Provisioner
from provisioner.provisioning.scan_guard import ScanGuard
from provisioner.provisioning.templates import make_environment

ACTOR = Actor.system("tests")
UA = "Yealink SIP-T46U 108.86.0.75"


@pytest.fixture
def templates(tmp_path):
    folder = tmp_path / "templates" / "yealink"
    folder.mkdir(parents=True)
    (folder / "device.cfg.j2").write_text(
        "admin={{ device.admin_password }}\n{% for line in lines %}account.{{ line.index }}.user={{ line.sip_username }}\n"
        "account.{{ line.index }}.password={{ line.sip_password }}\n{% endfor %}server={{ provider.sip_domain }}\n")
    (folder / "common.cfg.j2").write_text("server={{ provider.sip_domain }}\n")
    return tmp_path / "templates"


@pytest.fixture
def fleet(mongo_db, services):
    """A site with address ranges, a phone in service with two lines, a phone in stock."""
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    site = Site(customer=customer, name="HQ", address="1 rue", postcode="75008", city="Paris",
                allowed_networks=["203.0.113.0/24"]).insert(ACTOR)
    lines = []
    for extension in ("101", "102"):
        line = Line(site=site, extension=extension, display_name=f"Poste {extension}")
        line.set_sip_password(services.box)
        lines.append(line.insert(ACTOR))
    phone = Equipment(serial="YL-1", mac="805ec0000001", vendor="yealink", model="T46U", site=site, lines=lines,
                      state="in_service")
    issue_secrets(phone, services.box)
    spare = Equipment(serial="YL-2", mac="805ec0000002", vendor="yealink", model="T46U", state="in_stock")
    issue_secrets(spare, services.box)
    return {"phone": phone.insert(ACTOR), "spare": spare.insert(ACTOR), "lines": lines}


@pytest.fixture
def provisioner(services, templates):
    return Provisioner(services, [FakeYealink()], ScanGuard(max_misses=10), make_environment(templates))


def ask(provisioner, path, source="203.0.113.7", user_agent=UA, transport="https"):
    # HTTPS: files in clear (plain transports encrypt them: test_device_proofs.py).
    return provisioner.serve(DeviceRequest(path=path, user_agent=user_agent, source=source, transport=transport))


def test_a_device_in_service_gets_its_own_file_and_the_fetch_is_recorded(provisioner, fleet, services):
    served = ask(provisioner, "/805ec0000001.cfg")
    text = served.body.decode()
    assert f"admin={fleet['phone'].admin_password(services.box)}" in text
    for line in fleet["lines"]:
        assert f"password={line.sip_password(services.box)}" in text
    assert served.revision == ask(provisioner, "/805ec0000001.cfg").revision
    provisioner.flush()  # fetches are written in bulk, off the request path
    latest = LastFetch.objects.get(mac="805ec0000001")
    assert (latest.revision, latest.source, latest.transport) == (served.revision, "203.0.113.7", "https")
    assert len(fetches("805ec0000001")) == 2


@pytest.mark.parametrize("path, source, user_agent, reason", [
    ("/805ec0000002.cfg", "203.0.113.7", UA, "in stock"),
    ("/805ec0000001.cfg", "198.51.100.1", UA, "outside the site's ranges"),
    ("/805ec0000001.cfg", "203.0.113.7", "Yealink SIP-T54W 96.86.0.1", "another model's user agent"),
    ("/805ec0000001.cfg", "203.0.113.7", "Grandstream GXP2160", "another vendor's user agent"),
    ("/805ec0000003.cfg", "203.0.113.7", UA, "unknown device"),
    ("/../805ec0000001.cfg", "203.0.113.7", UA, "traversal"),
    ("/805EC0000001.CFG", "203.0.113.7", UA, "not a name the phone sends"),
])
def test_refusals_get_nothing(provisioner, fleet, path, source, user_agent, reason):
    assert ask(provisioner, path, source, user_agent) is None, reason
    provisioner.flush()
    assert LastFetch.objects.count() == 0 and not fetches()


def test_unknown_devices_are_quarantined_once_with_what_they_said(provisioner, fleet):
    for _ in range(3):
        assert ask(provisioner, "/805ec00000ff.cfg", "203.0.113.9") is None
    entry = QuarantinedDevice.objects.get(mac="805ec00000ff")
    assert (entry.vendor, entry.model, entry.firmware, entry.source, entry.requests) == (
        "yealink", "T46U", "108.86.0.75", "203.0.113.9", 3)
    assert entry.first_seen <= entry.last_seen


def test_shared_files_hold_no_secret(provisioner, fleet, services):
    served = ask(provisioner, "/common.cfg", "198.51.100.1")
    assert served.body == b"server=sip.example.net\n"


def test_a_mac_scan_leaks_nothing_and_ends_blocked(provisioner, fleet):
    rng = random.Random(7)
    served = [ask(provisioner, f"/{rng.getrandbits(48):012x}.cfg", "192.0.2.66") for _ in range(1000)]
    assert served == [None] * 1000
    assert provisioner.guard.blocked("192.0.2.66")
    # Once blocked, even a real device's file is refused from that address.
    assert ask(provisioner, "/805ec0000001.cfg", "192.0.2.66") is None


def test_a_site_behind_one_nat_address_is_never_blocked_by_its_own_phones(provisioner, fleet, services):
    fleet["phone"].update(ACTOR, {"state": "installed"})
    for _ in range(50):
        # The site's phones also ask for files we do not serve them (another model's, a state we refuse):
        assert ask(provisioner, "/805ec0000001.cfg", "203.0.113.7", "Yealink SIP-T54W 96.86.0.1") is None
    assert not provisioner.guard.blocked("203.0.113.7")
    assert ask(provisioner, "/805ec0000001.cfg", "203.0.113.7") is not None


def test_a_broken_template_serves_nothing(provisioner, fleet, templates):
    (templates / "yealink" / "device.cfg.j2").write_text("a={{ device.admin_password }}\nb={{ missing.value }}\n")
    provisioner.environment = make_environment(templates)
    assert ask(provisioner, "/805ec0000001.cfg") is None
    assert not provisioner.guard.blocked("203.0.113.7")


def test_misses_are_logged_in_one_fail2ban_line(provisioner, fleet, caplog):
    caplog.set_level("INFO", logger="provisioner.misses")
    ask(provisioner, "/805ec0000009.cfg", "192.0.2.44", transport="http")
    lines = [r.getMessage() for r in caplog.records if r.name == "provisioner.misses"]
    assert lines == ["provisioning miss from 192.0.2.44: unknown device (http /805ec0000009.cfg)"]
