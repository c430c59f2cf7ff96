"""Fanvil: the file names its phones ask for, their User-Agent, and the locked-down sysConf files of every model."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import device_context
import pytest

from inventory.catalogue import VENDORS
from provisioner.provisioning.templates import RenderError, make_environment, render
from provisioner.vendors.base import FileMatch, UserAgent
from provisioner.vendors.fanvil import VENDOR

MAC = "805ec0a1b2c3"
MODELS = sorted(VENDORS["fanvil"])
ADMIN = "Adm1nSecretXyz987"
XML = "application/xml; charset=utf-8"


def device_file(model: str, transport: str = "udp", context: dict | None = None, lines: int = 2) -> ET.Element:
    """The <mac>.cfg of a `model` phone, rendered as the server renders it and parsed (fails if it is not XML)."""
    match = VENDOR.match_file(f"{MAC}.cfg")
    context = context or device_context.example_context("fanvil", model, lines=lines, transport=transport)
    root = ET.fromstring(render(make_environment(), "fanvil", match.template, model, context))
    assert root.tag == "sysConf"
    return root


def sip_lines(root: ET.Element) -> dict[str, dict[str, str]]:
    """Each <line> of the <sip> section: index -> {setting: value}."""
    return {line.get("index"): {child.tag: child.text or "" for child in line} for line in root.find("sip")}


@pytest.mark.parametrize(
    ("name", "expected"),
    [(f"{MAC}.cfg", FileMatch("fanvil", "device.xml.j2", mac=MAC, content_type=XML)),
     ("0c383e32a7cb.cfg", FileMatch("fanvil", "device.xml.j2", mac="0c383e32a7cb", content_type=XML))],
)
def test_file_names_the_phones_ask_for(name: str, expected: FileMatch) -> None:
    assert VENDOR.match_file(name) == expected
    assert VENDOR.match_file(name).per_device


@pytest.mark.parametrize(
    "name",
    [
        f"{MAC[:-1]}.cfg",  # 11 digits
        f"{MAC}0.cfg",  # 13 digits
        "805ec0a1b2cg.cfg",  # not hexadecimal
        f"{MAC.upper()}.cfg",  # $mac is lower case
        "80:5e:c0:a1:b2:c3.cfg",
        "000000000000.cfg",  # all zeros
        "ffffffffffff.cfg",  # broadcast
        "010000a1b2c3.cfg",  # multicast
        f"../{MAC}.cfg",
        f"Fanvil/{MAC}.cfg",
        f"{MAC}.cfg/",
        f" {MAC}.cfg",
        f"{MAC}.cfg\n",
        f"{MAC}.CFG",
        f"{MAC}.xml",
        f"{MAC}-device.cfg",
        "F0V00X600000.cfg",  # older X6 common file: not served
        "f0X6Uhw1.100.cfg",
        "fanvil_x6u.cfg",
        "",
    ],
)
def test_refuses_other_names(name: str) -> None:
    assert VENDOR.match_file(name) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Fanvil X6U 2.12.16.18 0c383e32a7cb", UserAgent("fanvil", "X6U", "2.12.16.18", "0c383e32a7cb")),
        ("Fanvil X6U-V2 2.12.16.18 0c383e32a7cb", UserAgent("fanvil", "X6U", "2.12.16.18", "0c383e32a7cb")),
        ("Fanvil X5U 2.12.1.4 0C383E000005", UserAgent("fanvil", "X5U", "2.12.1.4", "0c383e000005")),
        ("Fanvil x4u 2.12.1 0c383e000004", UserAgent("fanvil", "X4U", "2.12.1", "0c383e000004")),
        ("Fanvil X4U 2.12.1", UserAgent("fanvil", "X4U", "2.12.1")),  # SIP requests
        ("Fanvil X6U Pro 0.0.10 0c383e2cd782", UserAgent("fanvil", "X6U-Pro", "0.0.10", "0c383e2cd782")),
        ("Fanvil X4 2.10.2.6887 0c383e07e16c", UserAgent("fanvil", "X4", "2.10.2.6887", "0c383e07e16c")),
        # A MAC no phone can have is dropped, the rest of what the header says is kept.
        ("Fanvil X6U 2.12.16.18 ffffffffffff", UserAgent("fanvil", "X6U", "2.12.16.18")),
    ],
)
def test_user_agents(header: str, expected: UserAgent) -> None:
    assert VENDOR.parse_user_agent(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        "Yealink SIP-T46U 108.86.0.75 80:5e:c0:aa:bb:cc",
        "FileTransport PolycomVVX-VVX_450-UA/6.4.3.5018 Type/Application",
        "Grandstream Model HW GXP2160 SW 1.0.11.6 DevId 000b82aabbcc",
        "Cisco-CP-8851-3PCC/11.3.7 (00562b043615)",
        "Fanvil",
        "Fanvil X6U",
        "Fanvil X6U 2.12.16.18 0c383e32a7",
        "Mozilla/5.0 (X11; Linux x86_64)",
        "",
    ],
)
def test_other_user_agents_are_not_fanvil(header: str) -> None:
    assert VENDOR.parse_user_agent(header) is None


@pytest.mark.parametrize("model", [*MODELS, "x6u"])
def test_device_files(model: str) -> None:
    assert VENDOR.device_files("80:5E:C0:A1:B2:C3", model) == [f"{MAC}.cfg"]


@pytest.mark.parametrize(("mac", "model"), [(MAC, "T46U"), (MAC, "X7C"), ("805ec0a1b2", "X6U")])
def test_device_files_refuse_unknown_models_and_bad_macs(mac: str, model: str) -> None:
    with pytest.raises(ValueError):
        VENDOR.device_files(mac, model)


@pytest.mark.parametrize("model", MODELS)
def test_device_file_carries_every_line(model: str) -> None:
    found = sip_lines(device_file(model))
    for line in device_context.example_context("fanvil", model)["lines"]:
        assert found[str(line["index"])] == {
            "PhoneNumber": line["sip_username"],
            "DisplayName": line["display_name"],  # "&" and "<" survive: escaped
            "RegisterAddr": "sip.example.net",
            "RegisterPort": "5060",
            "RegisterUser": line["sip_username"],
            "RegisterPswd": line["sip_password"],
            "EnableReg": "1",
            "Transport": "0",
            "MWINum": "*98",
        }
    # Lines the phone no longer carries are switched off, so old credentials do not stay registered.
    assert found["3"] == {"EnableReg": "0"} and found["20"] == {"EnableReg": "0"} and "21" not in found


@pytest.mark.parametrize("model", MODELS)
def test_device_file_is_locked_down(model: str) -> None:
    root = device_file(model)
    expected = {
        "ap/DownloadCommonConf": "0",
        "ap/FlashServerIP": "http://provisioning.example.net:8080",
        "ap/FlashFileName": "$mac.cfg",
        "ap/FlashProtocol": "4",
        "ap/SaveProvisionInfo": "1",
        "ap/pnp/PNPEnable": "0",
        "tr069/EnableTR069": "0",
        "web/EnableTelnet": "0",
        "web/account[@index='1']/Password": ADMIN,
        "web/account[@index='2']/Password": ADMIN,
        "phone/MenuPassword": ADMIN,
        "phone/display/DefaultLanguage": "fr",
        "net/DHCPAutoTime": "0",
        "phone/date/SNTPServer": "0.fr.pool.ntp.org",
        "phone/date/SecondSNTPServer": "1.fr.pool.ntp.org",
        "phone/date/TimeZone": "4",
        "phone/date/TimeZoneName": "UTC+1",
        "phone/date/EnableDST": "2",
        "phone/date/DSTStartMon": "3",
        "phone/date/DSTStartWeek": "-1",
        "phone/date/DSTStartWday": "0",
        "phone/date/DSTStartHour": "2",
        "phone/date/DSTEndMon": "10",
        "phone/date/DSTEndWeek": "-1",
        "phone/date/DSTEndHour": "3",
        "call/port/CallConference": "1",
        "call/port/AllowIPCall": "0",
        "qos/VLANID": "20",
    }
    assert {path: root.findtext(path) for path in expected} == expected


def test_https_provisioning_url_is_fetched_over_https() -> None:
    context = device_context.example_context("fanvil", "X5U")
    context["provider"]["provisioning_url"] = "https://prov.example.net/fanvil"
    root = device_file("X5U", context=context)
    assert root.findtext("ap/FlashProtocol") == "5"
    assert root.findtext("ap/FlashServerIP") == "https://prov.example.net/fanvil"


@pytest.mark.parametrize(("transport", "expected"), [("udp", "0"), ("tcp", "1"), ("tls", "3")])
def test_transports(transport: str, expected: str) -> None:
    found = sip_lines(device_file("X6U", transport=transport))
    assert found["1"]["Transport"] == expected and found["2"]["Transport"] == expected


def test_a_line_without_voicemail_has_no_voicemail_number() -> None:
    context = device_context.example_context("fanvil", "X4U", lines=1)
    context["lines"][0]["voicemail"] = False
    assert sip_lines(device_file("X4U", context=context))["1"]["MWINum"] == ""


def test_a_display_name_cannot_add_a_setting() -> None:
    context = device_context.example_context("fanvil", "X4U", lines=1)
    context["lines"][0]["display_name"] = "</DisplayName><RegisterAddr>evil.example</RegisterAddr><DisplayName>"
    line = sip_lines(device_file("X4U", context=context))["1"]
    assert line["RegisterAddr"] == "sip.example.net" and line["DisplayName"] == context["lines"][0]["display_name"]


def test_an_unknown_time_zone_fails_instead_of_guessing() -> None:
    context = device_context.example_context("fanvil", "X6U")
    context["provider"]["timezone"] = "America/Cayenne"
    with pytest.raises(RenderError, match="Cayenne"):
        device_file("X6U", context=context)


@pytest.mark.parametrize("model", MODELS)
def test_every_file_of_every_model_renders_with_all_its_lines(model: str) -> None:
    """StrictUndefined turns any name a template uses but the context lacks into a failure here."""
    max_lines = VENDORS["fanvil"][model].max_lines
    for name in VENDOR.device_files(MAC, model):
        match = VENDOR.match_file(name)
        context = device_context.example_context("fanvil", model, lines=max_lines, transport="tls")
        root = ET.fromstring(render(make_environment(), "fanvil", match.template, model, context))
        assert sip_lines(root)[str(max_lines)]["EnableReg"] == "1"
