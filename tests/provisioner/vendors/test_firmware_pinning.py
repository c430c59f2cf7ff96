"""Firmware pinning in every phone vendor's files: the pinned image's URL when one is pinned, nothing otherwise.

The routers (OpenWrt, MikroTik) take no firmware from us, so they are not here.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from device_context import example_common_context, example_context

from inventory.catalogue import VENDORS as CATALOGUE
from inventory.firmware import PinnedFirmware
from provisioner.provisioning.templates import make_environment, render
from provisioner.vendors import VENDORS

MAC = "805ec0a1b2c3"
URL = "http://provisioning.example.net:8080/firmware/"  # the default provider.provisioning_url + /firmware/
PHONE_VENDORS = ("yealink", "polycom", "cisco", "grandstream", "snom", "fanvil")


def pin(filename: str, version: str = "9.9.9.9") -> PinnedFirmware:
    return PinnedFirmware(version, filename, "ab" * 32)


def rendered(vendor: str, name: str, model: str, firmware: PinnedFirmware | None) -> str:
    """The file `name` of a `model` device, with `firmware` pinned for its model (or none)."""
    match = VENDORS[vendor].match_file(name)
    assert match is not None, name
    context = (example_context(vendor, model, firmware=firmware) if match.per_device
               else example_common_context(vendor, match.model or model, firmware=firmware))
    return render(make_environment(), vendor, match.template, match.model or model, context)


def all_files(vendor: str, model: str, firmware: PinnedFirmware | None) -> str:
    return "\n".join(rendered(vendor, name, model, firmware) for name in VENDORS[vendor].device_files(MAC, model))


@pytest.mark.parametrize(("vendor", "model"), [(v, m) for v in PHONE_VENDORS for m in CATALOGUE[v]])
def test_no_pinned_image_means_no_firmware_url(vendor: str, model: str) -> None:
    text = all_files(vendor, model, None)
    assert "/firmware" not in text


# --- Yealink ---------------------------------------------------------------------------------------


def yealink_settings(text: str) -> dict[str, str]:
    return dict(line.split(" = ", 1) for line in text.splitlines() if " = " in line and not line.startswith("#"))


@pytest.mark.parametrize("name", [f"{MAC}.cfg", "y000000000108.cfg"])
def test_yealink_files_name_the_pinned_firmware(name: str) -> None:
    found = yealink_settings(rendered("yealink", name, "T46U", pin("T46U-108.86.0.75.rom")))
    assert found["static.firmware.url"] == URL + "T46U-108.86.0.75.rom"
    assert "static.firmware.url" not in yealink_settings(rendered("yealink", name, "T46U", None))


# --- Polycom ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [f"{MAC}.cfg", "000000000000.cfg"])
def test_polycom_master_file_loads_the_pinned_application(name: str) -> None:
    master = ET.fromstring(rendered("polycom", name, "VVX450", pin("3111-48450-001.sip.ld")))
    assert master.get("APP_FILE_PATH") == URL + "3111-48450-001.sip.ld"
    assert ET.fromstring(rendered("polycom", name, "VVX450", None)).get("APP_FILE_PATH") == "sip.ld"


def test_polycom_default_master_file_without_a_known_model_keeps_the_default_application() -> None:
    context = example_common_context("polycom", None, firmware=pin("x.sip.ld"))
    master = ET.fromstring(render(make_environment(), "polycom", "master.xml.j2", None, context))
    assert master.get("APP_FILE_PATH") == "sip.ld"


# --- Cisco ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", sorted(CATALOGUE["cisco"]))
def test_cisco_profiles_upgrade_to_the_pinned_firmware(model: str) -> None:
    for name in VENDORS["cisco"].device_files(MAC, model):
        profile = {element.tag: element.text for element in ET.fromstring(rendered("cisco", name, model, pin("fw.loads")))}
        assert profile["Upgrade_Enable"] == "Yes"
        assert profile["Upgrade_Rule"] == URL + "fw.loads"


# --- Grandstream --------------------------------------------------------------------------------------


def grandstream_parameters(text: str) -> dict[str, str]:
    config = ET.fromstring(text).find("config")
    return {element.tag: element.text or "" for element in config}


@pytest.mark.parametrize(("model", "filename", "prefix", "postfix"), [
    ("GXP2160", "1.0.11.44-gxp2160fw.bin", "1.0.11.44-", ""),
    ("GRP2614", "grp2600fw.bin_1.0.9.100", "", "_1.0.9.100"),
    ("GRP2616", "v1.0.9.100_grp2600fw.bin", "v1.0.9.100_", ""),
    ("HT802", "ht802fw.bin", "", ""),
])
def test_grandstream_devices_fetch_the_pinned_file_by_prefix_and_postfix(model, filename, prefix, postfix) -> None:
    for name in (f"cfg{MAC}.xml", f"cfg{model.lower()}.xml"):
        found = grandstream_parameters(rendered("grandstream", name, model, pin(filename)))
        assert found["P192"] == "provisioning.example.net:8080/firmware"
        assert (found["P232"], found["P233"]) == (prefix, postfix)
        assert found["P232"] + {"HT802": "ht802fw.bin", "GXP2160": "gxp2160fw.bin"}.get(model, "grp2600fw.bin") \
            + found["P233"] == filename


def test_grandstream_image_without_the_basic_name_is_not_pinned_but_still_renders() -> None:
    text = rendered("grandstream", f"cfg{MAC}.xml", "GXP2160", pin("firmware-1.0.11.44.bin"))
    found = grandstream_parameters(text)
    assert "P192" not in found and "P232" not in found
    assert "gxp2160fw.bin" in text  # the comment says which name was expected


# --- Snom ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", sorted(CATALOGUE["snom"]))
def test_snom_settings_point_to_the_firmware_file_which_names_the_image(model: str) -> None:
    image = pin(f"snom{model}-10.1.175.6-SIP-r.bin")
    for name in VENDORS["snom"].device_files(MAC, model):
        settings = ET.fromstring(rendered("snom", name, model, image)).find("phone-settings")
        assert settings.find("update_policy").text == "auto_update"
        firmware_file = settings.find("firmware_status").text
        assert firmware_file == f"http://provisioning.example.net:8080/snom{model}-firmware.xml"
    firmware = ET.fromstring(rendered("snom", f"snom{model}-firmware.xml", model, image))
    assert firmware.tag == "firmware-settings"
    assert firmware.find("firmware").text == URL + image.filename
    unpinned = ET.fromstring(rendered("snom", f"snom{model}.htm", model, None)).find("phone-settings")
    assert unpinned.find("update_policy").text == "settings_only" and unpinned.find("firmware_status") is None
    assert ET.fromstring(rendered("snom", f"snom{model}-firmware.xml", model, None)).find("firmware") is None


def test_snom_firmware_file_name_is_matched_for_catalogue_models_only() -> None:
    match = VENDORS["snom"].match_file("snomD785-firmware.xml")
    assert match is not None and match.template == "firmware.xml.j2" and match.model == "D785" and not match.per_device
    for name in ("snomD999-firmware.xml", "snomD785-firmware.htm", "snomd785-firmware.xml", "../snomD785-firmware.xml"):
        assert VENDORS["snom"].match_file(name) is None


# --- Fanvil -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", sorted(CATALOGUE["fanvil"]))
def test_fanvil_device_file_names_the_image(model: str) -> None:
    root = ET.fromstring(rendered("fanvil", f"{MAC}.cfg", model, pin("x6u-2.12.16.18.z")))
    assert root.find("AUTOUPDATE_CONFIG_MODULE/Auto_Image_URL").text == URL + "x6u-2.12.16.18.z"
    assert ET.fromstring(rendered("fanvil", f"{MAC}.cfg", model, None)).find("AUTOUPDATE_CONFIG_MODULE") is None
