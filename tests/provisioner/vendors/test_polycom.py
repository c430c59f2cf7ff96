"""Polycom: the file names its phones ask for, their User-Agent, and the locked-down XML rendered for every model."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import device_context
import pytest

from inventory.catalogue import VENDORS
from provisioner.provisioning.templates import RenderError, make_environment, render
from provisioner.vendors.base import FileMatch, UserAgent
from provisioner.vendors.polycom import VENDOR

MAC = "0004f2a1b2c3"
MODELS = sorted(VENDORS["polycom"])
SECRETS = ("Adm1nSecretXyz987", "SipSecret")
XML = "application/xml; charset=utf-8"


def rendered(name: str, model: str, context: dict) -> str:
    """The file `name` of a `model` phone, rendered the way the server renders it."""
    match = VENDOR.match_file(name)
    assert match is not None
    return render(make_environment(), "polycom", match.template, match.model or model, context)


def device_file(model: str, transport: str = "udp", context: dict | None = None) -> str:
    """The per-device file of a `model` phone (example context by default)."""
    context = context or device_context.example_context("polycom", model, transport=transport)
    return rendered(f"{MAC}-device.cfg", model, context)


def settings(text: str) -> dict[str, str]:
    """Every parameter of a Polycom XML file (attributes of any element), unescaped; fails on malformed XML."""
    found: dict[str, str] = {}
    for element in ET.fromstring(text).iter():
        for key, value in element.attrib.items():
            assert key not in found, f"{key} set twice"
            found[key] = value
    return found


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("000000000000.cfg", FileMatch("polycom", "master.xml.j2", content_type=XML)),
        (f"{MAC}.cfg", FileMatch("polycom", "master.xml.j2", mac=MAC, content_type=XML)),
        ("0004F2A1B2C3.cfg", FileMatch("polycom", "master.xml.j2", mac=MAC, content_type=XML)),
        (f"{MAC}-device.cfg", FileMatch("polycom", "device.xml.j2", mac=MAC, content_type=XML)),
        ("0004F2A1B2C3-device.cfg", FileMatch("polycom", "device.xml.j2", mac=MAC, content_type=XML)),
        ("polycom-common.cfg", FileMatch("polycom", "common.xml.j2", content_type=XML)),
    ],
)
def test_file_names_the_phones_ask_for(name: str, expected: FileMatch) -> None:
    assert VENDOR.match_file(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "0004f2a1b2c.cfg",  # 11 digits
        "0004f2a1b2c3d.cfg",  # 13 digits
        "0004f2a1b2cz.cfg",  # not hexadecimal
        "00:04:f2:a1:b2:c3.cfg",
        "ffffffffffff.cfg",  # broadcast
        "010000a1b2c3-device.cfg",  # multicast
        "000000000000-device.cfg",  # all zeros is no device
        "../x.cfg",
        f"../{MAC}-device.cfg",
        f"polycom/{MAC}.cfg",
        f"{MAC}.cfg\n",
        f"{MAC}.CFG",
        f"{MAC}-DEVICE.cfg",
        # The phone's own override files, its logs and directory: never ours to serve.
        f"{MAC}-phone.cfg",
        f"{MAC}-web.cfg",
        f"{MAC}-app.log",
        f"{MAC}-boot.log",
        f"{MAC}-directory.xml",
        f"{MAC}-license.cfg",
        "000000000000-directory.xml",
        "sip.ld",
        "common.cfg",
        "y000000000108.cfg",
        "",
    ],
)
def test_refuses_other_names(name: str) -> None:
    assert VENDOR.match_file(name) is None


@pytest.mark.parametrize(
    ("name", "per_device"),
    [("000000000000.cfg", False), ("polycom-common.cfg", False), (f"{MAC}.cfg", True), (f"{MAC}-device.cfg", True)],
)
def test_which_files_belong_to_one_device(name: str, per_device: bool) -> None:
    assert VENDOR.match_file(name).per_device is per_device


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("FileTransport PolycomVVX-VVX_450-UA/6.4.3.5018 Type/Application", UserAgent("polycom", "VVX450", "6.4.3.5018")),
        ("FileTransport PolycomVVX-VVX_250-UA/6.4.6.2195 Type/Updater", UserAgent("polycom", "VVX250", "6.4.6.2195")),
        ("FileTransport PolycomVVX-VVX_350-UA/6.3.1.8427", UserAgent("polycom", "VVX350", "6.3.1.8427")),
        ("PolycomVVX-VVX_450-UA/6.4.3.5018", UserAgent("polycom", "VVX450", "6.4.3.5018")),  # SIP requests
        ("FileTransport PolycomVVX-VVX_400-UA/4.1.4.7430 Type/Application", UserAgent("polycom", "VVX400", "4.1.4.7430")),
        (
            "FileTransport PolycomSoundPointIP-SPIP_335-UA/4.2.1.0275",
            UserAgent("polycom", "SPIP335", "4.2.1.0275"),
        ),
    ],
)
def test_user_agents(header: str, expected: UserAgent) -> None:
    assert VENDOR.parse_user_agent(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        "Yealink SIP-T46U 108.86.0.75 80:5e:c0:aa:bb:cc",
        "Grandstream GXP2160 1.0.11.44",
        "snom D785/10.1.159.12",
        "Fanvil X5U 2.12.1.4 0c383e000005",
        "Cisco/SPA504G-7.6.2c (88755AAAAAAA)(SN)",
        "Mozilla/5.0 (X11; Linux x86_64)",
        "FileTransport PolycomVVX-VVX_450-UA",
        "PolycomVVX VVX_450 6.4.3",
        "",
    ],
)
def test_other_user_agents_are_not_polycom(header: str) -> None:
    assert VENDOR.parse_user_agent(header) is None


@pytest.mark.parametrize("model", [*MODELS, "vvx450"])
def test_device_files(model: str) -> None:
    assert VENDOR.device_files("00:04:F2:A1:B2:C3", model) == [f"{MAC}.cfg", "polycom-common.cfg", f"{MAC}-device.cfg"]


@pytest.mark.parametrize(("mac", "model"), [(MAC, "T46U"), (MAC, "VVX999"), ("0004f2a1b2", "VVX450")])
def test_device_files_refuse_unknown_models_and_bad_macs(mac: str, model: str) -> None:
    with pytest.raises(ValueError):
        VENDOR.device_files(mac, model)


@pytest.mark.parametrize("master", ["000000000000.cfg", f"{MAC}.cfg"])
def test_master_files_list_the_device_file_first_and_only_files_we_serve(master: str) -> None:
    text = rendered(master, "VVX450", device_context.example_common_context("polycom"))
    listed = [name.strip() for name in settings(text)["CONFIG_FILES"].split(",")]
    served = [VENDOR.match_file(name.replace("[PHONE_MAC_ADDRESS]", MAC)) for name in listed]
    assert [match.template for match in served] == ["device.xml.j2", "common.xml.j2"]
    assert served[0].mac == MAC


@pytest.mark.parametrize("model", MODELS)
def test_device_file_carries_every_line_with_xml_escaping(model: str) -> None:
    text = device_file(model)
    assert "Poste 1 &amp; Cie &lt;Accueil&gt;" in text
    found = settings(text)
    for line in device_context.example_context("polycom", model)["lines"]:
        n = line["index"]
        assert found[f"reg.{n}.address"] == line["sip_username"]
        assert found[f"reg.{n}.auth.userId"] == line["sip_username"]
        assert found[f"reg.{n}.auth.password"] == line["sip_password"]
        assert found[f"reg.{n}.displayName"] == line["display_name"]
        assert found[f"reg.{n}.server.1.address"] == "sip.example.net"
        assert found[f"reg.{n}.server.1.port"] == "5060"
        assert found[f"reg.{n}.server.1.transport"] == "UDPOnly"
        assert found[f"msg.mwi.{n}.callBack"] == "*98"
        assert found[f"divert.fwd.{n}.enabled"] == "1"
    assert found["sec.srtp.require"] == "0"


@pytest.mark.parametrize("model", MODELS)
def test_device_file_is_locked_down(model: str) -> None:
    found = settings(device_file(model))
    expected = {
        "device.set": "1",
        "device.auth.localAdminPassword.set": "1",
        "device.auth.localAdminPassword": "Adm1nSecretXyz987",
        "device.auth.localUserPassword": "Adm1nSecretXyz987",
        "device.prov.serverName.set": "1",
        "device.prov.serverName": "http://provisioning.example.net:8080",
        "device.prov.serverType": "HTTP",
        "device.dhcp.bootSrvUseOpt": "Static",
        "device.prov.ztpEnabled": "0",
        "prov.quickSetup.enabled": "0",
        "httpd.cfg.enabled": "0",
        "voIpProt.SIP.requestValidation.1.method": "source",
        "voIpProt.SIP.requestValidation.1.request": "INVITE",
        "voIpProt.SIP.requestValidation.2.method": "source",
        "voIpProt.SIP.requestValidation.2.request": "NOTIFY",
        "voIpProt.SIP.specialEvent.checkSync.alwaysReboot": "0",
        "tcpIpApp.sntp.address": "0.fr.pool.ntp.org",
        "tcpIpApp.sntp.address.overrideDHCP": "1",
        "tcpIpApp.sntp.gmtOffset": "3600",
        "tcpIpApp.sntp.gmtOffset.overrideDHCP": "1",
        "tcpIpApp.sntp.daylightSavings.enable": "1",
        "tcpIpApp.sntp.daylightSavings.start.month": "3",
        "tcpIpApp.sntp.daylightSavings.stop.month": "10",
        "lcl.ml.lang": "French_France",
        "voIpProt.SIP.useRFC2543hold": "0",
        "device.net.vlanId": "20",
    }
    assert {key: found.get(key) for key in expected} == expected


@pytest.mark.parametrize("model", MODELS)
def test_tls_makes_srtp_compulsory(model: str) -> None:
    found = settings(device_file(model, transport="tls"))
    assert found["reg.1.server.1.transport"] == "TLS"
    assert (found["sec.srtp.enable"], found["sec.srtp.offer"], found["sec.srtp.require"]) == ("1", "1", "1")


def test_https_provisioning_url_sets_the_server_type() -> None:
    context = device_context.example_context("polycom", "VVX450")
    context["provider"]["provisioning_url"] = "https://provisioning.example.net"
    assert settings(device_file("VVX450", context=context))["device.prov.serverType"] == "HTTPS"


def test_an_unknown_time_zone_fails_instead_of_guessing() -> None:
    context = device_context.example_context("polycom", "VVX450")
    context["provider"]["timezone"] = "America/Cayenne"
    with pytest.raises(RenderError, match="Cayenne"):
        device_file("VVX450", context=context)


@pytest.mark.parametrize("name", ["000000000000.cfg", "polycom-common.cfg", f"{MAC}.cfg"])
def test_shared_and_master_files_hold_no_secret(name: str) -> None:
    common = device_context.example_common_context("polycom")
    assert not any(secret in rendered(name, "VVX450", common) for secret in SECRETS)
    # Even handed a device's context (the server does so for <mac>.cfg), they print none of its secrets.
    mistaken = device_context.example_context("polycom", "VVX450") | common
    text = rendered(name, "VVX450", mistaken)
    assert not any(secret in text for secret in SECRETS)
    assert not [key for key in settings(text) if key.startswith(("reg.", "device.auth."))]


@pytest.mark.parametrize("model", MODELS)
def test_every_file_of_every_model_renders_with_all_its_lines(model: str) -> None:
    """StrictUndefined turns any name a template uses but the context lacks into a failure here."""
    max_lines = VENDORS["polycom"][model].max_lines
    for name in ["000000000000.cfg", *VENDOR.device_files(MAC, model)]:
        if VENDOR.match_file(name).per_device:
            context = device_context.example_context("polycom", model, lines=max_lines, transport="tls")
        else:
            context = device_context.example_common_context("polycom")
        found = settings(rendered(name, model, context))
        if name.endswith("-device.cfg"):
            assert found[f"reg.{max_lines}.auth.password"] == f"SipSecret{max_lines}Abc123"
