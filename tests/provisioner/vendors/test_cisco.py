"""Cisco: the file names its phones ask for, their User-Agent, and the locked-down flat profiles of every model."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import device_context
import pytest

from inventory.catalogue import VENDORS
from provisioner.provisioning.templates import RenderError, make_environment, render
from provisioner.vendors.base import FileMatch, UserAgent
from provisioner.vendors.cisco import MULTIPLATFORM, SERIES, VENDOR

MAC = "805ec0a1b2c3"
MODELS = sorted(VENDORS["cisco"])
SPA_MODELS = [model for model in MODELS if model not in MULTIPLATFORM]
SECRETS = ("Adm1nSecretXyz987", "SipSecret")
XML = "application/xml; charset=utf-8"


def device_file(model: str, transport: str = "udp", context: dict | None = None) -> str:
    """The device file of a `model` phone, rendered the way the server renders it (example context by default)."""
    match = VENDOR.match_file(VENDOR.device_files(MAC, model)[-1])
    context = context or device_context.example_context("cisco", model, transport=transport)
    return render(make_environment(), "cisco", match.template, model, context)


def profile(text: str) -> dict[str, list[tuple[str, str | None]]]:
    """Every parameter of a flat profile: name -> [(value, user access)], in order; fails if it is not XML."""
    root = ET.fromstring(text)
    assert root.tag == "flat-profile"
    found: dict[str, list[tuple[str, str | None]]] = {}
    for element in root:
        found.setdefault(element.tag, []).append((element.text or "", element.get("ua")))
    return found


def values(text: str) -> dict[str, list[str]]:
    """Every parameter of a flat profile: name -> values, in order."""
    return {name: [value for value, _ in found] for name, found in profile(text).items()}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (f"spa{MAC}.xml", FileMatch("cisco", "device.xml.j2", mac=MAC, content_type=XML)),
        (f"{MAC}.xml", FileMatch("cisco", "device.xml.j2", mac=MAC, content_type=XML)),
        ("spa504G.cfg", FileMatch("cisco", "common.xml.j2", model="SPA504G", content_type=XML)),
        ("spa504g.cfg", FileMatch("cisco", "common.xml.j2", model="SPA504G", content_type=XML)),
        ("spa525G2.cfg", FileMatch("cisco", "common.xml.j2", model="SPA525G2", content_type=XML)),
        ("7841.xml", FileMatch("cisco", "common.xml.j2", model="CP-7841-3PCC", content_type=XML)),
        ("8851.xml", FileMatch("cisco", "common.xml.j2", model="CP-8851-3PCC", content_type=XML)),
    ],
)
def test_file_names_the_phones_ask_for(name: str, expected: FileMatch) -> None:
    assert VENDOR.match_file(name) == expected


def test_only_the_mac_files_are_per_device() -> None:
    assert VENDOR.match_file(f"spa{MAC}.xml").per_device and VENDOR.match_file(f"{MAC}.xml").per_device
    assert not VENDOR.match_file("spa504G.cfg").per_device and not VENDOR.match_file("8851.xml").per_device


@pytest.mark.parametrize(
    "name",
    [
        f"spa{MAC[:-1]}.xml",  # 11 digits
        f"spa{MAC}0.xml",  # 13 digits
        f"{MAC[:-1]}.xml",
        f"{MAC}0.xml",
        "805ec0a1b2cg.xml",  # not hexadecimal
        f"spa{MAC.upper()}.xml",  # $MA is lower case
        f"{MAC.upper()}.xml",
        "80:5e:c0:a1:b2:c3.xml",
        "000000000000.xml",  # all zeros
        "ffffffffffff.xml",  # broadcast
        "spa010000a1b2c3.xml",  # multicast
        f"../{MAC}.xml",
        f"../spa{MAC}.xml",
        f"phones/{MAC}.xml",
        f"{MAC}.xml/",
        f" {MAC}.xml",
        f"{MAC}.xml\n",
        f"{MAC}.XML",
        f"spa{MAC}.cfg",
        f"SEP{MAC.upper()}.cnf.xml",  # Enterprise firmware, not third-party call control
        "spa504G.xml",
        "spa504.cfg",  # no catalogue model
        "spa962.cfg",
        "SPA504G.cfg",
        "spa504G.cfg.bak",
        "7841.cfg",
        "8841.xml",
        "78410.xml",
        "spa7841.cfg",  # a Multiplatform series number is not a SPA bootstrap file
        "504G.xml",
        f"cfg{MAC}.xml",
        "",
    ],
)
def test_refuses_other_names(name: str) -> None:
    assert VENDOR.match_file(name) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Cisco/SPA504G-7.6.2b (001122334455)(CCQ16220ABC)", UserAgent("cisco", "SPA504G", "7.6.2b", "001122334455")),
        ("Cisco/SPA504G-7.5.5 (805EC0A1B2C3)(CBT141100HR)", UserAgent("cisco", "SPA504G", "7.5.5", MAC)),
        ("Cisco/SPA525G2-7.5.5 (805ec0a1b2c3)(CBT1419)", UserAgent("cisco", "SPA525G2", "7.5.5", MAC)),
        ("Cisco/SPA525G-7.4.7 (CBT141900G7)", UserAgent("cisco", "SPA525G", "7.4.7")),  # no MAC; not our model
        ("Cisco/SPA504G-7.6.2c", UserAgent("cisco", "SPA504G", "7.6.2c")),  # SIP requests
        ("Cisco-CP-8851-3PCC/11.3.7 (00562b043615)", UserAgent("cisco", "CP-8851-3PCC", "11.3.7", "00562b043615")),
        ("Cisco-CP-7841-3PCC/11.0 (805EC0A1B2C3)", UserAgent("cisco", "CP-7841-3PCC", "11.0", MAC)),
        ("Cisco-CP-8841-3PCC/11.0 (00562b043615)", UserAgent("cisco", "CP-8841-3PCC", "11.0", "00562b043615")),
        ("Cisco-CP-8851-3PCC/11.3.7", UserAgent("cisco", "CP-8851-3PCC", "11.3.7")),
        # A MAC no phone can have is dropped, the rest of what the header says is kept.
        ("Cisco-CP-8851-3PCC/11.3.7 (01005e000001)", UserAgent("cisco", "CP-8851-3PCC", "11.3.7")),
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
        "Fanvil X6U 2.12.16.18 0c383e32a7cb",
        "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)",
        "Cisco-CUCM11.5",
        "Cisco/SPA504G",
        "Cisco-CP-8851/11.3.7",
        "Mozilla/5.0 (X11; Linux x86_64)",
        "",
    ],
)
def test_other_user_agents_are_not_cisco(header: str) -> None:
    assert VENDOR.parse_user_agent(header) is None


@pytest.mark.parametrize(
    ("model", "files"),
    [
        ("SPA504G", ["spa504G.cfg", f"spa{MAC}.xml"]),
        ("spa525g2", ["spa525G2.cfg", f"spa{MAC}.xml"]),
        ("CP-7841-3PCC", ["7841.xml", f"{MAC}.xml"]),
        ("CP-8851-3PCC", ["8851.xml", f"{MAC}.xml"]),
    ],
)
def test_device_files(model: str, files: list[str]) -> None:
    assert VENDOR.device_files("80:5E:C0:A1:B2:C3", model) == files
    assert all(VENDOR.match_file(name) for name in files)


@pytest.mark.parametrize(("mac", "model"), [(MAC, "T46U"), (MAC, "CP-8841-3PCC"), ("805ec0a1b2", "SPA504G")])
def test_device_files_refuse_unknown_models_and_bad_macs(mac: str, model: str) -> None:
    with pytest.raises(ValueError):
        VENDOR.device_files(mac, model)


def test_every_catalogue_model_has_a_series_number() -> None:
    assert sorted(SERIES) == MODELS


@pytest.mark.parametrize("model", MODELS)
def test_device_file_carries_every_line(model: str) -> None:
    found = profile(device_file(model))
    for line in device_context.example_context("cisco", model)["lines"]:
        n = line["index"]
        assert found[f"Line_Enable_{n}_"] == [("Yes", "na")]
        assert found[f"User_ID_{n}_"] == [(line["sip_username"], "na")]
        assert found[f"Password_{n}_"] == [(line["sip_password"], "na")]
        assert found[f"Display_Name_{n}_"] == [(line["display_name"], "ro")]  # "&" and "<" survive: escaped
        assert found[f"Proxy_{n}_"] == [("sip.example.net:5060", "na")]
        assert found[f"SIP_Transport_{n}_"] == [("UDP", "na")]
        assert found[f"Register_{n}_"] == [("Yes", "na")]
        assert found[f"Make_Call_Without_Reg_{n}_"] == [("No", "na")]
        assert found[f"Ans_Call_Without_Reg_{n}_"] == [("No", "na")]
        assert found[f"Restrict_Source_IP_{n}_"] == [("Yes", "na")]
    assert found["Voice_Mail_Number"] == [("*98", "na")]
    # Extensions the phone no longer carries are switched off, so old credentials do not stay registered.
    assert found["Line_Enable_3_"] == [("No", "na")]


@pytest.mark.parametrize("model", MODELS)
def test_device_file_is_locked_down(model: str) -> None:
    text = device_file(model)
    found = values(text)
    # The device's own file names the key of its encrypted downloads (context: device_context.py).
    rule = '[--key "K3yK3yK3yK3yK3y1"]http://provisioning.example.net:8080/' + (
        "$MA.xml" if model in MULTIPLATFORM else "spa$MA.xml")
    expected = {
        "Provision_Enable": ["Yes"],
        "Resync_On_Reset": ["Yes"],
        "Resync_From_SIP": ["Yes"],
        "Profile_Rule": [rule],
        "Profile_Rule_B": [""],
        "Profile_Rule_C": [""],
        "Profile_Rule_D": [""],
        "User_Configurable_Resync": ["No"],
        "User_Password": ["Adm1nSecretXyz987"],
        "Enable_Web_Admin_Access": ["Yes"],
        "Primary_NTP_Server": ["0.fr.pool.ntp.org"],
        "Secondary_NTP_Server": ["1.fr.pool.ntp.org"],
        "Time_Zone": ["GMT+01:00"],
        "Daylight_Saving_Time_Enable": ["Yes"],
        "Daylight_Saving_Time_Rule": ["start=3/-1/7/2:0:0;end=10/-1/7/3:0:0;save=1"],
        "Time_Format": ["24hr"],
        "Date_Format": ["day/month"],
        "Language_Selection": ["French"],
        "Cfwd_All_Serv": ["Yes"],
        "Cfwd_Busy_Serv": ["Yes"],
        "Cfwd_No_Ans_Serv": ["Yes"],
        "Conference_Serv": ["Yes"],
        "RFC_2543_Call_Hold": ["No"],
        "Enable_VLAN": ["Yes"],
        "VLAN_ID": ["20"],
    }
    if model in MULTIPLATFORM:
        expected |= {
            "Admin_Password": ["Adm1nSecretXyz987"],
            "Phone-UI-User-Mode": ["Yes"],
            "Protect_IVR_FactoryReset": ["Yes"],
            "HTTP_User_Agent_Name": ["$VERSION ($MA)"],
            "Enable_TR-069": ["No"],
            "Ignore_DHCP_Time_Offset": ["Yes"],
            "Locale": ["fr-FR"],
        }
    else:
        expected |= {"Admin_Passwd": ["Adm1nSecretXyz987"], "Phone-UI-user-mode": ["Yes"]}
    assert {key: found.get(key) for key in expected} == expected
    # Only the forwarding destinations are the user's; everything else is hidden from the user's web pages.
    user_access = {(name, ua) for name, entries in profile(text).items() for _, ua in entries}
    assert {name for name, ua in user_access if ua != "na"} == {
        "Cfwd_All_Dest", "Cfwd_Busy_Dest", "Cfwd_No_Ans_Dest", "Display_Name_1_", "Display_Name_2_"}


@pytest.mark.parametrize("model", MODELS)
def test_tls_secures_every_call(model: str) -> None:
    found = values(device_file(model, transport="tls"))
    assert found["SIP_Transport_1_"] == ["TLS"] and found["SIP_Transport_2_"] == ["TLS"]
    assert found["Secure_Call_Serv"] == ["Yes"] and found["Secure_Call_Setting"] == ["Yes"]


def test_udp_and_tcp_do_not_ask_for_srtp() -> None:
    assert "Secure_Call_Setting" not in values(device_file("CP-8851-3PCC"))
    found = values(device_file("SPA504G", transport="tcp"))
    assert found["SIP_Transport_2_"] == ["TCP"] and "Secure_Call_Setting" not in found


def test_without_voicemail_there_is_no_voicemail_number() -> None:
    context = device_context.example_context("cisco", "SPA504G", lines=1)
    context["lines"][0]["voicemail"] = False
    assert values(device_file("SPA504G", context=context))["Voice_Mail_Number"] == [""]


def test_a_display_name_cannot_add_a_parameter() -> None:
    context = device_context.example_context("cisco", "CP-8851-3PCC", lines=1)
    context["lines"][0]["display_name"] = "</Display_Name_1_><Profile_Rule>http://evil.example/x</Profile_Rule>"
    found = values(device_file("CP-8851-3PCC", context=context))
    assert found["Profile_Rule"] == ['[--key "K3yK3yK3yK3yK3y1"]http://provisioning.example.net:8080/$MA.xml']
    assert found["Display_Name_1_"] == [context["lines"][0]["display_name"]]


def test_an_unknown_time_zone_fails_instead_of_guessing() -> None:
    context = device_context.example_context("cisco", "SPA504G")
    context["provider"]["timezone"] = "America/Cayenne"
    with pytest.raises(RenderError, match="Cayenne"):
        device_file("SPA504G", context=context)


@pytest.mark.parametrize("model", MODELS)
def test_bootstrap_files_hold_no_secret(model: str) -> None:
    match = VENDOR.match_file(VENDOR.device_files(MAC, model)[0])
    common = device_context.example_common_context("cisco", match.model)
    found = values(render(make_environment(), "cisco", match.template, match.model, common))
    assert found["Profile_Rule"][0].startswith("http://provisioning.example.net:8080/")
    assert found["Time_Zone"] == ["GMT+01:00"] and found["Language_Selection"] == ["French"]
    # Even handed a device's context by mistake, a bootstrap template prints none of its secrets.
    mistaken = device_context.example_context("cisco", model) | common
    text = render(make_environment(), "cisco", match.template, match.model, mistaken)
    assert not any(secret in text for secret in SECRETS)
    assert not [name for name in values(text) if name.startswith(("Admin_Pass", "User_Password", "Password_"))]


@pytest.mark.parametrize("model", MODELS)
def test_every_file_of_every_model_renders_with_all_its_lines(model: str) -> None:
    """StrictUndefined turns any name a template uses but the context lacks into a failure here."""
    max_lines = VENDORS["cisco"][model].max_lines
    for name in VENDOR.device_files(MAC, model):
        match = VENDOR.match_file(name)
        if match.per_device:
            context = device_context.example_context("cisco", model, lines=max_lines, transport="tls")
        else:
            context = device_context.example_common_context("cisco", match.model)
        found = values(render(make_environment(), "cisco", match.template, match.model or model, context))
        if match.per_device:
            assert found[f"Line_Enable_{max_lines}_"] == ["Yes"]
