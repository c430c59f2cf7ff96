"""What a re-sync target reaches: the rule over plain values (a table), then resolved over the real database into
devices and their lines' SIP user names, and the 404 reasons for targets naming nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.lines import Line
from inventory.provisioning_log import LastFetch
from provisioner.outdated import is_outdated, outdated_devices
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.provisioning.pipeline import Provisioner
from provisioner.resync_targets import DeviceLines, Target, missing, reaches, resolve
from provisioner.vendors import VENDORS

ACTOR = Actor.system("tests")
DEVICE, SITE, OUT_OF_DATE = Target("device", "805ec0000001"), Target("site", "s1"), Target("out_of_date")


@pytest.mark.parametrize(("target", "mac", "site", "state", "outdated", "expected"), [
    (DEVICE, "805ec0000001", "s1", "in_service", False, True),
    (DEVICE, "805ec0000001", "", "in_stock", False, True),  # one device by MAC: whatever its state
    (DEVICE, "805ec0000002", "s1", "in_service", True, False),
    (SITE, "805ec0000001", "s1", "in_service", False, True),
    (SITE, "805ec0000001", "s1", "installed", False, True),
    (SITE, "805ec0000001", "s1", "delivered", False, False),  # not set up yet
    (SITE, "805ec0000001", "s1", "failed", False, False),
    (SITE, "805ec0000001", "s1", "returned", False, False),
    (SITE, "805ec0000001", "s2", "in_service", False, False),
    (OUT_OF_DATE, "805ec0000001", "s1", "in_service", True, True),
    (OUT_OF_DATE, "805ec0000001", "s1", "in_service", False, False),
])
def test_what_a_target_reaches(target, mac, site, state, outdated, expected):
    assert reaches(target, mac, site, state, outdated) is expected


def test_an_unknown_target_kind_is_an_error():
    with pytest.raises(ValueError, match="'everything'"):
        reaches(Target("everything"), "805ec0000001", "s1", "in_service")


@pytest.mark.parametrize(("current", "fetched", "expected"), [
    ("r2", "r1", True), ("r2", "r2", False), ("r2", None, True)])
def test_a_device_is_outdated_when_it_would_get_another_file(current, fetched, expected):
    assert is_outdated(current, fetched) is expected


@pytest.fixture
def fleet(mongo_db, services):
    """Site HQ: a phone in service with two lines, an installed one with none, a delivered one, a returned one;
    site Annex: a phone in service. All Yealink, so every file renders."""
    customer = Customer(reference="ACME-01", name="Acme").insert(ACTOR)
    hq = Site(customer=customer, name="HQ", address="1 rue", postcode="75008", city="Paris").insert(ACTOR)
    annex = Site(customer=customer, name="Annex", address="2 rue", postcode="69001", city="Lyon").insert(ACTOR)

    def line(site: Site, extension: str) -> Line:
        made = Line(site=site, extension=extension, display_name=f"Poste {extension}")
        made.set_sip_password(services.box)
        return made.insert(ACTOR)

    def phone(n: int, site: Site, state: str, lines: list[Line]) -> Equipment:
        item = Equipment(serial=f"YL-{n}", mac=f"805ec000000{n}", vendor="yealink", model="T46U", site=site,
                         lines=lines, state=state)
        issue_secrets(item, services.box)
        return item.insert(ACTOR)

    lines = {ext: line(hq if ext < "200" else annex, ext) for ext in ("101", "102", "103", "201")}
    phone(1, hq, "in_service", [lines["101"], lines["102"]])
    phone(2, hq, "installed", [])
    phone(3, hq, "delivered", [lines["103"]])
    phone(4, hq, "returned", [])
    phone(5, annex, "in_service", [lines["201"]])
    return {"hq": str(hq.pk), "annex": str(annex.pk), "users": {ext: made.sip_username for ext, made in lines.items()}}


def test_a_device_resolves_to_itself_and_its_lines(fleet):
    users = fleet["users"]
    assert resolve(Target("device", "805ec0000001"), None) == [
        DeviceLines("805ec0000001", (users["101"], users["102"]))]
    assert resolve(Target("device", "805ec0000004"), None) == [DeviceLines("805ec0000004", ())]
    assert resolve(Target("device", "805ec00000ff"), None) == []


def test_a_site_resolves_to_its_installed_and_in_service_devices(fleet):
    users = fleet["users"]
    assert resolve(Target("site", fleet["hq"]), None) == [DeviceLines("805ec0000001", (users["101"], users["102"])),
                                                          DeviceLines("805ec0000002", ())]
    assert resolve(Target("site", fleet["annex"]), None) == [DeviceLines("805ec0000005", (users["201"],))]
    assert resolve(Target("site", "0" * 24), None) == []


def test_out_of_date_resolves_to_the_devices_behind_their_current_file(fleet, services):
    provisioner = Provisioner(services, VENDORS.values())
    behind = {found.item.mac: found for found in outdated_devices(provisioner)}
    assert sorted(behind) == ["805ec0000001", "805ec0000002", "805ec0000003", "805ec0000005"]  # never fetched
    now = dt.datetime.now(dt.timezone.utc)

    def fetched(mac: str, revision: str) -> None:
        LastFetch(mac=mac, file=f"{mac}.cfg", revision=revision, at=now, source="192.0.2.1", transport="http").save()

    fetched("805ec0000001", behind["805ec0000001"].current_revision)  # up to date
    fetched("805ec0000005", "an older revision")
    users = fleet["users"]
    assert resolve(Target("out_of_date"), provisioner) == [DeviceLines("805ec0000002", ()),
                                                          DeviceLines("805ec0000003", (users["103"],)),
                                                          DeviceLines("805ec0000005", (users["201"],))]
    with pytest.raises(ValueError, match="provisioner"):
        resolve(Target("out_of_date"), None)


def test_a_deleted_line_is_left_out(fleet):
    users = fleet["users"]
    Line.objects(sip_username=users["102"]).first().remove(ACTOR)
    assert resolve(Target("device", "805ec0000001"), None) == [DeviceLines("805ec0000001", (users["101"],))]


def test_targets_naming_nothing_say_so(fleet):
    assert missing(Target("device", "805ec0000001")) is None
    assert missing(Target("device", "805ec00000ff")) == "no equipment with MAC 805ec00000ff"
    assert missing(Target("site", fleet["hq"])) is None
    assert missing(Target("site", "0" * 24)) == f"no site with id {'0' * 24!r}"
    assert missing(Target("site", "HQ")) == "no site with id 'HQ'"
    assert missing(Target("out_of_date")) is None
