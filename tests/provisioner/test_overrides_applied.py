"""Template overrides reach the devices they are for: a customer's, a site's (which wins), nobody else's."""

from __future__ import annotations

import pytest

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.lines import Line
from inventory.template_overrides import TemplateOverride
from provisioner.provisioning.device_secrets import issue_secrets
from provisioner.provisioning.pipeline import DeviceRequest, Provisioner
from provisioner.vendors import VENDORS

ACTOR = Actor.system("tests")
MACS = {"first site": "805ec0000011", "second site": "805ec0000012", "other customer": "805ec0000013"}


def appending(text: str) -> str:
    """An override of the Yealink device file: the shipped file, then one more line."""
    return "{% include 'base:yealink/device.cfg.j2' %}\n" + text + "\n"


@pytest.fixture
def fleet(mongo_db, services):
    acme, other = (Customer(reference=ref, name=ref).insert(ACTOR) for ref in ("ACME-01", "OTHER-01"))
    sites = {}
    for name, customer in (("first site", acme), ("second site", acme), ("other customer", other)):
        site = Site(customer=customer, name=name, address="1 rue", postcode="75008", city="Paris").insert(ACTOR)
        line = Line(site=site, extension=MACS[name][-3:], display_name="Poste")
        line.set_sip_password(services.box)
        item = Equipment(serial=f"SN-{MACS[name]}", mac=MACS[name], vendor="yealink", model="T46U", site=site,
                         lines=[line.insert(ACTOR)], state="in_service")
        issue_secrets(item, services.box)
        sites[name] = (site, item.insert(ACTOR))
    return acme, sites


def body(provisioner: Provisioner, name: str) -> str:
    mac = MACS[name]
    agent = "Yealink SIP-T46U 108.86.0.75 " + ":".join(mac[i:i + 2] for i in range(0, 12, 2))
    served = provisioner.serve(DeviceRequest(path=f"/{mac}.cfg", user_agent=agent, source="192.0.2.1",
                                             transport="https"))
    assert served is not None
    return served.body.decode()


def test_customer_and_site_overrides_reach_their_devices_only(services, fleet):
    acme, sites = fleet
    TemplateOverride(scope="customer", customer=acme, vendor="yealink", template="device.cfg.j2",
                     source=appending("custom.by = customer")).insert(ACTOR)
    by_site = TemplateOverride(scope="site", site=sites["second site"][0], vendor="yealink", template="device.cfg.j2",
                               source=appending("custom.by = site")).insert(ACTOR)
    provisioner = Provisioner(services, VENDORS.values())
    assert body(provisioner, "first site").endswith("custom.by = customer\n")
    second = body(provisioner, "second site")
    assert second.endswith("custom.by = site\n") and "custom.by = customer" not in second
    assert "custom.by" not in body(provisioner, "other customer")
    assert "account.1.password" in second  # the shipped file is all there
    # The preview is the file the device gets.
    item = sites["second site"][1]
    assert provisioner.preview(item, f"{item.mac}.cfg", masked=True).body.decode().endswith("custom.by = site\n")

    by_site.remove(ACTOR)
    provisioner.devices.check()  # as the next request after a change does, within a second
    assert body(provisioner, "second site").endswith("custom.by = customer\n")


def test_an_override_of_a_shared_file_does_not_reach_it(services, fleet):
    acme, _ = fleet
    TemplateOverride(scope="customer", customer=acme, vendor="yealink", template="common.cfg.j2",
                     source="custom.by = customer\n").insert(ACTOR)
    provisioner = Provisioner(services, VENDORS.values())
    shared = provisioner.serve(DeviceRequest(path="/y000000000108.cfg", user_agent="Yealink SIP-T46U 108.86.0.75",
                                             source="192.0.2.1", transport="https"))
    assert shared is not None and b"custom.by" not in shared.body
