"""Snom: file names, User-Agents, and the settings files rendered for every catalogue model."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from device_context import example_common_context, example_context

from inventory.catalogue import VENDORS as CATALOGUE
from provisioner.provisioning.templates import RenderError, make_environment, render
from provisioner.vendors.base import FileMatch, UserAgent
from provisioner.vendors.snom import VENDOR, XML

MODELS = list(CATALOGUE["snom"])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("snomD785.htm", FileMatch("snom", "common.xml.j2", model="D785", content_type=XML)),
        ("snomD315.htm", FileMatch("snom", "common.xml.j2", model="D315", content_type=XML)),
        ("snomD785-805EC0A1B2C3.htm", FileMatch("snom", "device.xml.j2", "805ec0a1b2c3", "D785", XML)),
        ("snomD385-805ec0a1b2c3.htm", FileMatch("snom", "device.xml.j2", "805ec0a1b2c3", "D385", XML)),
        ("snomD735-000413A11FA7.htm", FileMatch("snom", "device.xml.j2", "000413a11fa7", "D735", XML)),
    ],
)
def test_file_names_are_matched(name: str, expected: FileMatch) -> None:
    assert VENDOR.match_file(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "snomD785-805EC0A1B2C.htm",  # 11 digits
        "snomD785-805EC0A1B2C3D.htm",  # 13 digits
        "snomD785-805EC0A1B2CG.htm",  # not hexadecimal
        "snomD785-805ec0A1B2C3.htm",  # mixed case
        "snomD785-80:5E:C0:A1:B2:C3.htm",  # separators
        "snomD785-010000000000.htm",  # multicast
        "snomD785-000000000000.htm",  # all zeros
        "snomD999.htm",  # not in the catalogue
        "snomd785.htm",  # model case differs from the phone's
        "SNOMD785.htm",
        "snomD785.xml",
        "805EC0A1B2C3.xml",  # Cisco's name too: not claimed
        "../snomD785.htm",
        "snomD785.htm/..",
        "snom/snomD785.htm",
        "snomD785.htm\n",
        "snomD785.htm\x00",
        "snomD785-805EC0A1B2C3.htm.bak",
        "",
    ],
)
def test_other_file_names_are_refused(name: str) -> None:
    assert VENDOR.match_file(name) is None


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (
            "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)",
            UserAgent("snom", "D785", "10.1.33.33", "000413922d24"),
        ),
        ("Mozilla/4.0 (compatible; snomD315-SIP 10.1.54.13 000413A11FA7)", UserAgent("snom", "D315", "10.1.54.13", "000413a11fa7")),
        ("Mozilla/4.0 (compatible; snomD385-SIP 10.1.54.13)", UserAgent("snom", "D385", "10.1.54.13")),
        ("Mozilla/4.0 (compatible; snom320-SIP 8.4.18 1.1.3-s)", UserAgent("snom", "320", "8.4.18")),
        ("Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 010000000000)", UserAgent("snom", "D785", "10.1.33.33")),
        ("snomD735/10.1.54.13", UserAgent("snom", "D735", "10.1.54.13")),
    ],
)
def test_user_agents_are_read(agent: str, expected: UserAgent) -> None:
    assert VENDOR.parse_user_agent(agent) == expected


@pytest.mark.parametrize(
    "agent",
    [
        "Yealink SIP-T46U 108.86.0.45 80:5e:c0:a1:b2:c3",
        "PolycomVVX-VVX_450-UA/6.4.3.5018",
        "Cisco/SPA504G-7.6.2c (805EC0A1B2C3)(CCQ123)",
        "Grandstream Model HW GXP2160 SW 1.0.11.23 DevId 000b82a1b2c3",
        "Fanvil X6U 2.12.1 0c383ea1b2c3",
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Mozilla/4.0 (compatible; snom-SIP)",
        "uclient-fetch",
        "Mikrotik/7.x Fetch",
        "",
    ],
)
def test_other_user_agents_are_not_snom(agent: str) -> None:
    assert VENDOR.parse_user_agent(agent) is None


@pytest.mark.parametrize(
    ("mac", "model", "expected"),
    [
        ("805ec0a1b2c3", "D785", ["snomD785.htm", "snomD785-805EC0A1B2C3.htm"]),
        ("80:5E:C0:A1:B2:C3", "d315", ["snomD315.htm", "snomD315-805EC0A1B2C3.htm"]),
    ],
)
def test_device_files(mac: str, model: str, expected: list[str]) -> None:
    assert VENDOR.device_files(mac, model) == expected
    assert [VENDOR.match_file(name).per_device for name in expected] == [False, True]


@pytest.mark.parametrize(("mac", "model"), [("805ec0a1b2c3", "T46U"), ("not a mac", "D785"), ("010000000000", "D785")])
def test_device_files_refuse_unknown_models_and_bad_macs(mac: str, model: str) -> None:
    with pytest.raises(ValueError):
        VENDOR.device_files(mac, model)


def test_the_vendor_says_how_to_resync() -> None:
    assert (VENDOR.name, VENDOR.kinds, VENDOR.resync_event) == ("snom", ("phone",), "check-sync;reboot=false")


# --- rendered files ------------------------------------------------------------------------


def settings_of(text: str) -> dict[tuple[str, str | None], tuple[str, str | None]]:
    """(setting, identity index) -> (value, perm) of a Snom XML settings file; fails if it is not well-formed."""
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "settings"
    [block] = root.findall("phone-settings")
    found = {}
    for element in block:
        key = (element.tag, element.get("idx"))
        assert key not in found, f"{key} set twice"
        found[key] = (element.text or "", element.get("perm"))
    return found


def device_file(model: str, **changes) -> str:
    context = example_context("snom", model, lines=changes.pop("lines", 2), transport=changes.pop("transport", "udp"))
    context["provider"].update(changes)
    return render(make_environment(), "snom", VENDOR.match_file(VENDOR.device_files(context["device"]["mac"], model)[1]).template, model, context)


@pytest.mark.parametrize("model", MODELS)
def test_the_device_file_is_locked_down(model: str) -> None:
    settings = settings_of(device_file(model))
    password = example_context("snom", model)["device"]["admin_password"]
    expected = {
        "setting_server": "http://provisioning.example.net:8080/",
        "update_policy": "settings_only",
        "ntp_server": "0.fr.pool.ntp.org",
        "timezone": "FRA+1",
        "language": "Francais",
        "web_language": "Francais",
        "tone_scheme": "FRA",
        "filter_registrar": "on",
        "admin_mode": "off",
        "admin_mode_password": password,
        "admin_mode_password_confirm": password,
        "http_user": "admin",
        "http_pass": password,
        "vlan_id": "20",
        "codec_tos": "184",
        "signaling_tos": "96",
        "call_waiting": "on",
    }
    assert {name: settings[(name, None)][0] for name in expected} == expected
    # Everything is read-only for the user except call forwarding, which the user keeps.
    unlocked = {key for key, (_, perm) in settings.items() if perm != "R"}
    assert unlocked == {("redirect_event", None)}
    assert settings[("redirect_event", None)] == ("none", "!")


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize(("transport", "srtp", "savp"), [("udp", "off", "off"), ("tcp", "off", "off"), ("tls", "on", "mandatory")])
def test_lines_become_identities(model: str, transport: str, srtp: str, savp: str) -> None:
    context = example_context("snom", model, lines=2, transport=transport)
    context["lines"][1]["voicemail"] = False
    settings = settings_of(render(make_environment(), "snom", "device.xml.j2", model, context))
    for line in context["lines"]:
        idx = str(line["index"])
        assert {name: settings[(name, idx)][0] for name in (
            "user_active", "user_realname", "user_name", "user_pname", "user_pass", "user_host", "user_outbound",
            "user_srtp", "user_savp", "user_mailbox", "user_hold_inactive")} == {
            "user_active": "on",
            "user_realname": line["display_name"],  # "Poste 1 & Cie <Accueil>" survives escaping
            "user_name": line["sip_username"],
            "user_pname": line["sip_username"],
            "user_pass": line["sip_password"],
            "user_host": "sip.example.net",
            "user_outbound": f"sip.example.net:5060;transport={transport}",
            "user_srtp": srtp,
            "user_savp": savp,
            "user_mailbox": "*98" if line["voicemail"] else "",
            "user_hold_inactive": "off",
        }


@pytest.mark.parametrize("model", MODELS)
def test_identities_without_a_line_are_switched_off_up_to_the_model_capacity(model: str) -> None:
    settings = settings_of(device_file(model, lines=1))
    capacity = CATALOGUE["snom"][model].max_lines
    indexes = {int(idx) for (_, idx) in settings if idx}
    assert indexes == set(range(1, capacity + 1))
    for idx in range(2, capacity + 1):
        assert [settings[(name, str(idx))][0] for name in ("user_active", "user_name", "user_pass")] == ["off", "", ""]


def test_special_characters_are_escaped() -> None:
    text = device_file("D785")
    assert "Poste 1 &amp; Cie &lt;Accueil&gt;" in text
    assert "& Cie" not in text and "<Accueil>" not in text


def test_no_voice_vlan_means_no_vlan_tag() -> None:
    settings = settings_of(device_file("D785", voice_vlan=0))
    assert ("vlan_id", None) not in settings and ("vlan_qos", None) not in settings


def test_an_unknown_time_zone_fails_instead_of_leaving_the_phone_on_the_wrong_time() -> None:
    with pytest.raises(RenderError, match="America/Cayenne"):
        device_file("D785", timezone="America/Cayenne")


@pytest.mark.parametrize("model", MODELS)
def test_the_common_file_pins_the_platform_and_holds_no_secret(model: str) -> None:
    context = example_common_context("snom", model)
    text = render(make_environment(), "snom", VENDOR.match_file(f"snom{model}.htm").template, model, context)
    settings = settings_of(text)
    assert settings[("setting_server", None)] == ("http://provisioning.example.net:8080/", "R")
    assert settings[("timezone", None)] == ("FRA+1", "R")
    secrets = example_context("snom", model)
    assert secrets["device"]["admin_password"] not in text
    assert not any(line["sip_password"] in text for line in secrets["lines"])
    assert not {name for name, _ in settings} & {"http_pass", "admin_mode_password", "user_pass", "user_name"}
