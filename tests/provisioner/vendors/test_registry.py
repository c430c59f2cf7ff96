"""The vendor registry against the catalogue: every supplied vendor has a module, every file name has one reading."""

from __future__ import annotations

import pytest

from inventory.catalogue import VENDORS as CATALOGUE
from provisioner.provisioning.identify import identify
from provisioner.vendors import VENDORS


def test_every_catalogue_vendor_has_a_module_and_template_folder():
    from provisioner.provisioning.templates import templates_root

    assert set(VENDORS) == set(CATALOGUE)
    for name in VENDORS:
        assert (templates_root() / name).is_dir(), name


@pytest.mark.parametrize("vendor, model", [(v, m) for v, models in CATALOGUE.items() for m in models])
def test_each_device_file_is_read_as_its_vendor_and_mac_when_the_user_agent_is_absent(vendor, model):
    mac = "0c383e00aa01"
    name = VENDORS[vendor].device_files(mac, model)[-1]
    readings = identify("/" + name, "", VENDORS.values())
    assert vendor in {r.vendor.name for r in readings}
    assert {r.file.mac for r in readings} == {mac}, readings


@pytest.mark.parametrize("vendor, model", [(v, m) for v, models in CATALOGUE.items() for m in models])
def test_a_device_file_name_never_reads_as_another_mac(vendor, model):
    for name in VENDORS[vendor].device_files("0c383e00aa01", model):
        for reading in identify("/" + name, "", VENDORS.values()):
            assert reading.file.mac in (None, "0c383e00aa01")
