"""Grandstream: the file names its devices ask for, their User-Agent, and the locked-down P-value files of every model."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import device_context
import pytest

from inventory.catalogue import VENDORS
from provisioner.provisioning.templates import RenderError, make_environment, render
from provisioner.vendors.base import FileMatch, UserAgent
from provisioner.vendors.grandstream import MODEL_FILES, VENDOR

MAC = "805ec0a1b2c3"  # the example context's device
MODELS = sorted(VENDORS["grandstream"])
PHONES = [model for model in MODELS if VENDORS["grandstream"][model].kind == "phone"]
SECRETS = ("Adm1nSecretXyz987", "SipSecret")
XML = "application/xml; charset=utf-8"
ADMIN = "Adm1nSecretXyz987"

#: P-values of each account of the phones: active, SIP user ID, password, name, voicemail, transport, SRTP,
#: "accept incoming SIP from proxy only" (GXP21xx/GRP261x configuration templates).
PHONE_ACCOUNTS = {
    1: ("P271", "P35", "P34", "P3", "P33", "P130", "P183", "P2347"),
    2: ("P401", "P404", "P406", "P407", "P426", "P448", "P443", "P2447"),
    3: ("P501", "P504", "P506", "P507", "P526", "P548", "P543", "P2547"),
    4: ("P601", "P604", "P606", "P607", "P626", "P648", "P643", "P2647"),
    5: ("P1701", "P1704", "P1706", "P1707", "P1726", "P1748", "P1743", "P2747"),
    6: ("P1801", "P1804", "P1806", "P1807", "P1826", "P1848", "P1843", "P2847"),
}
#: The same for the HT802's two FXS ports (HT80x configuration template); no voicemail number there.
ADAPTER_PORTS = {
    1: ("P271", "P35", "P34", "P3", None, "P130", "P183", "P243"),
    2: ("P401", "P735", "P734", "P703", None, "P830", "P443", "P743"),
}


def device_file(model: str, transport: str = "udp", context: dict | None = None, lines: int = 2) -> str:
    """The cfg<mac>.xml of a `model` device, rendered the way the server renders it (example context by default)."""
    match = VENDOR.match_file(f"cfg{MAC}.xml")
    context = context or device_context.example_context("grandstream", model, lines=lines, transport=transport)
    return render(make_environment(), "grandstream", match.template, model, context)


def parameters(text: str) -> dict[str, str]:
    """The P-values of a Grandstream XML file (each set once); fails if it is not well-formed XML."""
    root = ET.fromstring(text)
    assert root.tag == "gs_provision"
    config = root.find("config")
    names = [element.tag for element in config]
    assert len(names) == len(set(names)), "a P-value is set twice"
    assert all(name.startswith("P") and name[1:].isdigit() for name in names)
    return {element.tag: element.text or "" for element in config}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (f"cfg{MAC}.xml", FileMatch("grandstream", "device.xml.j2", mac=MAC, content_type=XML)),
        (f"cfg{MAC}", FileMatch("grandstream", "device.xml.j2", mac=MAC, content_type=XML)),
        ("cfg.xml", FileMatch("grandstream", "common.xml.j2", content_type=XML)),
        ("cfggxp2160.xml", FileMatch("grandstream", "common.xml.j2", model="GXP2160", content_type=XML)),
        ("cfggrp2614.xml", FileMatch("grandstream", "common.xml.j2", model="GRP2614", content_type=XML)),
        ("cfggrp2616.xml", FileMatch("grandstream", "common.xml.j2", model="GRP2616", content_type=XML)),
        ("cfght802.xml", FileMatch("grandstream", "common.xml.j2", model="HT802", content_type=XML)),
    ],
)
def test_file_names_the_devices_ask_for(name: str, expected: FileMatch) -> None:
    assert VENDOR.match_file(name) == expected


def test_only_the_mac_files_are_per_device() -> None:
    assert VENDOR.match_file(f"cfg{MAC}").per_device and VENDOR.match_file(f"cfg{MAC}.xml").per_device
    assert not VENDOR.match_file("cfg.xml").per_device and not VENDOR.match_file("cfggxp2160.xml").per_device


@pytest.mark.parametrize(
    "name",
    [
        f"cfg{MAC[:-1]}.xml",  # 11 digits
        f"cfg{MAC}0.xml",  # 13 digits
        "cfg805ec0a1b2cg.xml",  # not hexadecimal
        f"cfg{MAC.upper()}.xml",  # "the configuration file name should be in lower case"
        f"CFG{MAC}.xml",
        f"cfg{MAC}.XML",
        "cfg80:5e:c0:a1:b2:c3.xml",
        "cfg000000000000.xml",  # all zeros
        "cfgffffffffffff.xml",  # broadcast
        "cfg010000a1b2c3",  # multicast
        f"cfg{MAC}.bin",
        f"cfg{MAC}.cfg",
        f"{MAC}.xml",
        f"../cfg{MAC}.xml",
        f"gs/cfg{MAC}.xml",
        f"cfg{MAC}.xml/",
        f" cfg{MAC}.xml",
        f"cfg{MAC}.xml\n",
        "cfgGXP2160.xml",
        "cfggxp2170.xml",  # not a catalogue model
        "cfggxp2160",
        "cfg.xml.bak",
        "cfg",
        "",
    ],
)
def test_refuses_other_names(name: str) -> None:
    assert VENDOR.match_file(name) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Grandstream Model HW GXP2160 SW 1.0.11.6 DevId 000b82a1b2c3",
         UserAgent("grandstream", "GXP2160", "1.0.11.6", "000b82a1b2c3")),
        ("Grandstream Model HW GRP2614 SW 1.0.5.15 DevId c074ad0b63ee",
         UserAgent("grandstream", "GRP2614", "1.0.5.15", "c074ad0b63ee")),
        ("Grandstream Model HW GRP2616 SW 1.0.5.15 DevId C074AD0B63EE",
         UserAgent("grandstream", "GRP2616", "1.0.5.15", "c074ad0b63ee")),
        ("Grandstream Model HW HT802 V2.1A SW 1.0.17.5 DevId c074ad273a10",
         UserAgent("grandstream", "HT802", "1.0.17.5", "c074ad273a10")),
        ("Grandstream Model HW GXV3350  V1.3A SW 1.0.1.8 DevId c074ad150b88",
         UserAgent("grandstream", "GXV3350", "1.0.1.8", "c074ad150b88")),  # not a catalogue model
        ("Grandstream Model HW gxp2160 SW 1.0.11.6", UserAgent("grandstream", "GXP2160", "1.0.11.6")),
        ("Grandstream GXP2160 1.0.11.44", UserAgent("grandstream", "GXP2160", "1.0.11.44")),  # SIP requests
        # A MAC no device can have is dropped, the rest of what the header says is kept.
        ("Grandstream Model HW GXP2160 SW 1.0.11.6 DevId 000000000000", UserAgent("grandstream", "GXP2160", "1.0.11.6")),
    ],
)
def test_user_agents(header: str, expected: UserAgent) -> None:
    assert VENDOR.parse_user_agent(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        "Yealink SIP-T46U 108.86.0.75 80:5e:c0:aa:bb:cc",
        "FileTransport PolycomVVX-VVX_450-UA/6.4.3.5018 Type/Application",
        "Cisco/SPA504G-7.6.2b (001122334455)(CCQ16220ABC)",
        "Cisco-CP-8851-3PCC/11.3.7 (00562b043615)",
        "Fanvil X6U 2.12.16.18 0c383e32a7cb",
        "Grandstream",
        "Grandstream Model HW GXP2160",
        "Grandstream Model HW GXP2160 SW 1.0.11.6 DevId 000b82a1b2",
        "Mozilla/5.0 (X11; Linux x86_64)",
        "",
    ],
)
def test_other_user_agents_are_not_grandstream(header: str) -> None:
    assert VENDOR.parse_user_agent(header) is None


@pytest.mark.parametrize("model", [*MODELS, "gxp2160", "ht802"])
def test_device_files(model: str) -> None:
    files = VENDOR.device_files("80:5E:C0:A1:B2:C3", model)
    assert files == [f"cfg{MAC}", f"cfg{MAC}.xml"]
    assert all(VENDOR.match_file(name).mac == MAC for name in files)


@pytest.mark.parametrize(("mac", "model"), [(MAC, "T46U"), (MAC, "GXP2170"), ("805ec0a1b2", "GXP2160")])
def test_device_files_refuse_unknown_models_and_bad_macs(mac: str, model: str) -> None:
    with pytest.raises(ValueError):
        VENDOR.device_files(mac, model)


def test_every_catalogue_model_has_its_fallback_file() -> None:
    assert sorted(MODEL_FILES.values()) == MODELS
    assert VENDOR.kinds == ("phone", "adapter") and VENDOR.resync_event == "check-sync"


@pytest.mark.parametrize("model", MODELS)
def test_device_file_carries_every_line(model: str) -> None:
    found = parameters(device_file(model))
    assert ET.fromstring(device_file(model)).findtext("mac") == MAC
    table = ADAPTER_PORTS if model == "HT802" else PHONE_ACCOUNTS
    for line in device_context.example_context("grandstream", model)["lines"]:
        active, user, password, name, voicemail, transport, srtp, proxy_only = table[line["index"]]
        assert found[active] == "1"
        assert found[user] == line["sip_username"]
        assert found[password] == line["sip_password"]
        assert found[name] == line["display_name"]  # "&" and "<" survive: escaped
        assert found[transport] == "0" and found[srtp] == "0"
        assert found[proxy_only] == "1"
        if voicemail:
            assert found[voicemail] == "*98"
    assert found["P47"] == "sip.example.net:5060"
    # Accounts the device no longer carries are switched off, so old credentials do not stay registered.
    if model != "HT802":
        assert all(found[PHONE_ACCOUNTS[n][0]] == "0" for n in (3, 4, 5, 6))


def test_an_adapter_port_without_a_line_is_off() -> None:
    found = parameters(device_file("HT802", lines=1))
    assert found["P271"] == "1" and found["P401"] == "0" and "P735" not in found


def test_an_adapter_has_two_ports_only() -> None:
    with pytest.raises(RenderError):
        device_file("HT802", lines=3)


@pytest.mark.parametrize("model", MODELS)
def test_device_file_is_locked_down(model: str) -> None:
    found = parameters(device_file(model))
    expected = {
        "P2": ADMIN,  # admin password
        "P196": ADMIN,  # end-user password
        "P212": "1",  # config via HTTP
        "P237": "provisioning.example.net:8080",  # config server path
        "P145": "0",  # DHCP option 43/66 may not override the server
        "P1414": "0",  # no 3CX auto provisioning
        "P193": "1440",  # check the configuration daily
        "P1650": "0",  # web over HTTPS only
        "P276": "1",  # no SSH
        "P30": "0.fr.pool.ntp.org",
        "P144": "0",  # DHCP option 42 may not override NTP
        "P64": "CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00",
        "P143": "0",  # DHCP option 2 may not override the time zone
        "P51": "20",  # voice VLAN
        "P258": "1",  # only INVITEs for its own user ID
        "P26015": "0",  # no SIP factory reset
    }
    if model == "HT802":
        expected |= {"P28158": "1", "P28159": "1", "P28120": "1", "P88": "1", "P277": "1", "P1409": "0",
                     "P22296": "1", "P109": "0"}
    else:
        expected |= {"P8469": "0", "P1357": "3", "P194": "1", "P8333": "1.fr.pool.ntp.org", "P1362": "fr",
                     "P4503": "", "P4506": "0", "P191": "0", "P26062": "0"}
    if model == "GXP2160":
        expected |= {"P22373": "1", "P1310": "1"}  # factory reset needs the password; no direct IP calls
    assert {key: found.get(key) for key in expected} == expected


def test_https_provisioning_url_is_fetched_over_https() -> None:
    context = device_context.example_context("grandstream", "GRP2614")
    context["provider"]["provisioning_url"] = "https://prov.example.net/gs"
    found = parameters(device_file("GRP2614", context=context))
    assert found["P212"] == "2" and found["P237"] == "prov.example.net/gs"


@pytest.mark.parametrize("model", MODELS)
def test_tls_makes_srtp_compulsory(model: str) -> None:
    found = parameters(device_file(model, transport="tls"))
    table = ADAPTER_PORTS if model == "HT802" else PHONE_ACCOUNTS
    for n in (1, 2):
        assert found[table[n][5]] == "2" and found[table[n][6]] == "2"


def test_tcp_transport() -> None:
    found = parameters(device_file("GXP2160", transport="tcp"))
    assert found["P130"] == "1" and found["P448"] == "1" and found["P183"] == "0"


def test_a_line_without_voicemail_has_no_voicemail_number() -> None:
    context = device_context.example_context("grandstream", "GRP2616", lines=1)
    context["lines"][0]["voicemail"] = False
    assert parameters(device_file("GRP2616", context=context))["P33"] == ""


def test_a_display_name_cannot_add_a_parameter() -> None:
    context = device_context.example_context("grandstream", "GXP2160", lines=1)
    context["lines"][0]["display_name"] = "</P3><P237>evil.example</P237><P3>"
    found = parameters(device_file("GXP2160", context=context))
    assert found["P237"] == "provisioning.example.net:8080" and found["P3"] == context["lines"][0]["display_name"]


def test_an_unknown_time_zone_fails_instead_of_guessing() -> None:
    context = device_context.example_context("grandstream", "GXP2160")
    context["provider"]["timezone"] = "America/Cayenne"
    with pytest.raises(RenderError, match="Cayenne"):
        device_file("GXP2160", context=context)


@pytest.mark.parametrize("name", ["cfg.xml", *MODEL_FILES])
def test_common_files_hold_no_secret(name: str) -> None:
    match = VENDOR.match_file(name)
    common = device_context.example_common_context("grandstream", match.model)
    text = render(make_environment(), "grandstream", match.template, match.model, common)
    found = parameters(text)
    assert found["P237"] == "provisioning.example.net:8080" and found["P145"] == "0"
    assert found["P64"] == "CET-1CEST-2,M3.5.0/02:00:00,M10.5.0/03:00:00"
    assert ET.fromstring(text).find("mac") is None
    # Even handed a device's context by mistake, a common template prints none of its secrets.
    mistaken = device_context.example_context("grandstream", match.model or "GXP2160") | common
    text = render(make_environment(), "grandstream", match.template, match.model, mistaken)
    assert not any(secret in text for secret in SECRETS)
    assert not {"P2", "P196", "P34", "P406"} & set(parameters(text))


@pytest.mark.parametrize("model", MODELS)
def test_every_file_of_every_model_renders_with_all_its_lines(model: str) -> None:
    """StrictUndefined turns any name a template uses but the context lacks into a failure here."""
    max_lines = VENDORS["grandstream"][model].max_lines
    table = ADAPTER_PORTS if model == "HT802" else PHONE_ACCOUNTS
    for name in ["cfg.xml", f"cfg{model.lower()}.xml", *VENDOR.device_files(MAC, model)]:
        match = VENDOR.match_file(name)
        if match.per_device:
            context = device_context.example_context("grandstream", model, lines=max_lines, transport="tls")
        else:
            context = device_context.example_common_context("grandstream", match.model)
        found = parameters(render(make_environment(), "grandstream", match.template, match.model or model, context))
        if match.per_device:
            assert found[table[max_lines][0]] == "1"
