"""Yealink: the file names its phones ask for, their User-Agent, and the locked-down files rendered for every model."""

from __future__ import annotations

import device_context
import pytest

from inventory.catalogue import VENDORS
from provisioner.provisioning.templates import RenderError, make_environment, render
from provisioner.vendors.base import FileMatch, UserAgent
from provisioner.vendors.yealink import HARDWARE_IDS, VENDOR

MAC = "805ec0a1b2c3"
MODELS = sorted(VENDORS["yealink"])
SECRETS = ("Adm1nSecretXyz987", "SipSecret")


def device_file(model: str, transport: str = "udp", context: dict | None = None) -> str:
    """The MAC file of a `model` phone, rendered the way the server renders it (example context by default)."""
    match = VENDOR.match_file(f"{MAC}.cfg")
    assert match is not None
    context = context or device_context.example_context("yealink", model, transport=transport)
    return render(make_environment(), "yealink", match.template, model, context)


def settings(text: str) -> dict[str, list[str]]:
    """Every "key = value" of a Yealink CFG file, in order; fails on any other kind of line."""
    lines = text.splitlines()
    assert lines[0] == "#!version:1.0.0.1"
    found: dict[str, list[str]] = {}
    for line in lines[1:]:
        if not line or line.startswith("#"):
            continue
        key, separator, value = line.partition(" = ")
        assert separator and key.strip() == key and " " not in key, f"not a setting: {line!r}"
        found.setdefault(key, []).append(value)
    return found


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (f"{MAC}.cfg", FileMatch("yealink", "device.cfg.j2", mac=MAC)),
        ("805EC0A1B2C3.cfg", FileMatch("yealink", "device.cfg.j2", mac=MAC)),
        ("y000000000000.cfg", FileMatch("yealink", "common.cfg.j2")),
        ("y000000000107.cfg", FileMatch("yealink", "common.cfg.j2", model="T43U")),
        ("y000000000108.cfg", FileMatch("yealink", "common.cfg.j2", model="T46U")),
        ("y000000000109.cfg", FileMatch("yealink", "common.cfg.j2", model="T48U")),
        ("y000000000095.cfg", FileMatch("yealink", "common.cfg.j2", model="T53W")),
        ("y000000000096.cfg", FileMatch("yealink", "common.cfg.j2", model="T54W")),
        ("y000000000097.cfg", FileMatch("yealink", "common.cfg.j2", model="T57W")),
    ],
)
def test_file_names_the_phones_ask_for(name: str, expected: FileMatch) -> None:
    assert VENDOR.match_file(name) == expected


def test_only_the_mac_file_is_per_device() -> None:
    assert VENDOR.match_file(f"{MAC}.cfg").per_device
    assert not VENDOR.match_file("y000000000108.cfg").per_device


@pytest.mark.parametrize(
    "name",
    [
        "805ec0a1b2c.cfg",  # 11 digits
        "805ec0a1b2c3d.cfg",  # 13 digits
        "805ec0a1b2cg.cfg",  # not hexadecimal
        "80:5e:c0:a1:b2:c3.cfg",  # separators
        "000000000000.cfg",  # all zeros: Polycom's default master file, no device
        "ffffffffffff.cfg",  # broadcast
        "010000a1b2c3.cfg",  # multicast
        "../x.cfg",
        f"../{MAC}.cfg",
        f"phones/{MAC}.cfg",
        f"{MAC}.cfg/",
        f"{MAC}.cfg\n",
        f" {MAC}.cfg",
        f"{MAC}.CFG",
        f"{MAC}.boot",
        f"{MAC}-local.cfg",
        f"{MAC}-contact.xml",
        "Y000000000108.cfg",
        "y000000000108.CFG",
        "y000000000001.cfg",  # no catalogue model has this hardware id
        "y00000000108.cfg",
        "y000000000108.cfg.bak",
        "y000000000000.boot",
        "polycom-common.cfg",
        f"{MAC}-device.cfg",
        "",
    ],
)
def test_refuses_other_names(name: str) -> None:
    assert VENDOR.match_file(name) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Yealink SIP-T46U 108.86.0.75 80:5e:c0:aa:bb:cc", UserAgent("yealink", "T46U", "108.86.0.75", "805ec0aabbcc")),
        ("Yealink SIP-T54W 96.86.0.70 80:5E:C0:AA:BB:CC", UserAgent("yealink", "T54W", "96.86.0.70", "805ec0aabbcc")),
        ("Yealink SIP-T43U 108.86.0.45 24:9a:d8:6e:9d:88", UserAgent("yealink", "T43U", "108.86.0.45", "249ad86e9d88")),
        ("Yealink SIP-T46U 108.86.0.40", UserAgent("yealink", "T46U", "108.86.0.40")),  # SIP requests: no MAC
        ("yealink SIP-T57W 96.86.0.45 80:5e:c0:00:00:02", UserAgent("yealink", "T57W", "96.86.0.45", "805ec0000002")),
        ("Yealink SIP-t48u 108.86.0.75", UserAgent("yealink", "T48U", "108.86.0.75")),
        ("Yealink SIP-T31P 124.86.0.75 80:5e:c0:00:00:03", UserAgent("yealink", "T31P", "124.86.0.75", "805ec0000003")),
        ("Yealink SIP VP-T49G 51.80.0.10 00:15:65:9b:5a:44", UserAgent("yealink", "T49G", "51.80.0.10", "0015659b5a44")),
        # A MAC no phone can have is dropped, the rest of what the header says is kept.
        ("Yealink SIP-T46U 108.86.0.75 01:00:5e:00:00:01", UserAgent("yealink", "T46U", "108.86.0.75")),
    ],
)
def test_user_agents(header: str, expected: UserAgent) -> None:
    assert VENDOR.parse_user_agent(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        "FileTransport PolycomVVX-VVX_450-UA/6.4.3.5018 Type/Application",
        "PolycomVVX-VVX_450-UA/6.4.3.5018",
        "Grandstream GXP2160 1.0.11.44",
        "Grandstream Model HW GXP2160 SW 1.0.11.44 DevId 000b82aabbcc",
        "snom D785/10.1.159.12",
        "Fanvil X5U 2.12.1.4 0c383e000005",
        "Cisco/SPA504G-7.6.2c (88755AAAAAAA)(SN)",
        "Mozilla/5.0 (X11; Linux x86_64)",
        "Yealink",
        "Yealink SIP-T46U",
        "Yealink SIP-T46U 108.86.0.75 80:5e:c0:aa:bb",
        "",
    ],
)
def test_other_user_agents_are_not_yealink(header: str) -> None:
    assert VENDOR.parse_user_agent(header) is None


@pytest.mark.parametrize(
    ("model", "files"),
    [
        ("T43U", ["y000000000107.cfg", f"{MAC}.cfg"]),
        ("T46U", ["y000000000108.cfg", f"{MAC}.cfg"]),
        ("T48U", ["y000000000109.cfg", f"{MAC}.cfg"]),
        ("T53W", ["y000000000095.cfg", f"{MAC}.cfg"]),
        ("T54W", ["y000000000096.cfg", f"{MAC}.cfg"]),
        ("t57w", ["y000000000097.cfg", f"{MAC}.cfg"]),
    ],
)
def test_device_files(model: str, files: list[str]) -> None:
    assert VENDOR.device_files("80:5E:C0:A1:B2:C3", model) == files


@pytest.mark.parametrize(("mac", "model"), [(MAC, "VVX450"), (MAC, "T99X"), ("805ec0a1b2", "T46U")])
def test_device_files_refuse_unknown_models_and_bad_macs(mac: str, model: str) -> None:
    with pytest.raises(ValueError):
        VENDOR.device_files(mac, model)


def test_every_catalogue_model_has_a_hardware_id() -> None:
    assert sorted(HARDWARE_IDS) == MODELS


@pytest.mark.parametrize("model", MODELS)
def test_device_file_carries_every_line(model: str) -> None:
    found = settings(device_file(model))
    for line in device_context.example_context("yealink", model)["lines"]:
        n = line["index"]
        assert found[f"account.{n}.enable"] == ["1"]
        assert found[f"account.{n}.user_name"] == [line["sip_username"]]
        assert found[f"account.{n}.auth_name"] == [line["sip_username"]]
        assert found[f"account.{n}.password"] == [line["sip_password"]]
        assert found[f"account.{n}.display_name"] == [line["display_name"]]  # key=value format: not escaped
        assert found[f"account.{n}.sip_server.1.address"] == ["sip.example.net"]
        assert found[f"account.{n}.sip_server.1.port"] == ["5060"]
        assert found[f"account.{n}.sip_server.1.transport_type"] == ["0"]
        assert found[f"account.{n}.srtp_encryption"] == ["0"]
        assert found[f"voice_mail.number.{n}"] == ["*98"]
    # Accounts a phone no longer carries are switched off, so old credentials do not stay registered.
    assert found["account.3.enable"] == ["0"] and found["account.16.enable"] == ["0"]


@pytest.mark.parametrize("model", MODELS)
def test_device_file_is_locked_down(model: str) -> None:
    found = settings(device_file(model))
    expected = {
        "static.security.user_password": ["admin:Adm1nSecretXyz987", "user:Adm1nSecretXyz987"],
        "static.auto_provision.server.url": ["http://provisioning.example.net:8080/"],
        "static.auto_provision.dhcp_option.enable": ["0"],
        "static.auto_provision.pnp_enable": ["0"],
        "static.zero_touch.enable": ["0"],
        "static.managementserver.enable": ["0"],
        "sip.trust_ctrl": ["1"],
        "sip.notify_reboot_enable": ["0"],
        "features.direct_ip_call_enable": ["0"],
        "static.wui.http_enable": ["0"],
        "features.factory_pwd_enable": ["1"],
        "features.reset_by_long_press_enable": ["0"],
        "local_time.ntp_server1": ["0.fr.pool.ntp.org"],
        "local_time.ntp_server2": ["1.fr.pool.ntp.org"],
        "local_time.manual_ntp_srv_prior": ["1"],
        "local_time.time_zone": ["+1"],
        "local_time.time_zone_name": ["France(Paris)"],
        "local_time.summer_time": ["2"],
        "lang.gui": ["French"],
        "lang.wui": ["French"],
        "voice.tone.country": ["France"],
        "features.fwd.allow": ["1"],
        "features.conference.local.enable": ["1"],
        "sip.rfc2543_hold": ["0"],
        "static.network.vlan.internet_port_vid": ["20"],
    }
    assert {key: found.get(key) for key in expected} == expected


@pytest.mark.parametrize("model", MODELS)
def test_tls_makes_srtp_compulsory(model: str) -> None:
    found = settings(device_file(model, transport="tls"))
    assert found["account.1.sip_server.1.transport_type"] == ["2"]
    assert found["account.1.srtp_encryption"] == ["2"]
    assert found["static.security.trust_certificates"] == ["1"]


def test_tcp_transport() -> None:
    found = settings(device_file("T46U", transport="tcp"))
    assert found["account.2.sip_server.1.transport_type"] == ["1"]
    assert found["account.2.srtp_encryption"] == ["0"]


def test_a_display_name_cannot_add_a_setting() -> None:
    context = device_context.example_context("yealink", "T46U", lines=1)
    context["lines"][0]["display_name"] = "Accueil\nstatic.auto_provision.server.url = http://evil.example/"
    found = settings(device_file("T46U", context=context))
    assert found["static.auto_provision.server.url"] == ["http://provisioning.example.net:8080/"]
    assert found["account.1.display_name"] == ["Accueil static.auto_provision.server.url = http://evil.example/"]


def test_a_line_without_voicemail_has_no_voicemail_number() -> None:
    context = device_context.example_context("yealink", "T46U", lines=1)
    context["lines"][0]["voicemail"] = False
    found = settings(device_file("T46U", context=context))
    assert found["voice_mail.number.1"] == [""]
    assert found["account.1.subscribe_mwi"] == ["0"]


def test_an_unknown_time_zone_fails_instead_of_guessing() -> None:
    context = device_context.example_context("yealink", "T46U")
    context["provider"]["timezone"] = "America/Cayenne"
    with pytest.raises(RenderError, match="Cayenne|undefined"):
        device_file("T46U", context=context)


@pytest.mark.parametrize("name", ["y000000000000.cfg", *(f"y{HARDWARE_IDS[m]:012d}.cfg" for m in MODELS)])
def test_common_files_hold_no_secret(name: str) -> None:
    match = VENDOR.match_file(name)
    common = device_context.example_common_context("yealink", match.model)
    text = render(make_environment(), "yealink", match.template, match.model, common)
    assert settings(text)["static.auto_provision.server.url"] == ["http://provisioning.example.net:8080/"]
    # Even handed a device's context by mistake, a common template prints none of its secrets.
    mistaken = device_context.example_context("yealink", match.model or "T46U") | common
    text = render(make_environment(), "yealink", match.template, match.model, mistaken)
    assert not any(secret in text for secret in SECRETS)
    assert not [key for key in settings(text) if key.startswith(("account.", "static.security.user_password"))]


@pytest.mark.parametrize("model", MODELS)
def test_every_file_of_every_model_renders_with_all_its_lines(model: str) -> None:
    """StrictUndefined turns any name a template uses but the context lacks into a failure here."""
    max_lines = VENDORS["yealink"][model].max_lines
    for name in ["y000000000000.cfg", *VENDOR.device_files(MAC, model)]:
        match = VENDOR.match_file(name)
        if match.per_device:
            context = device_context.example_context("yealink", model, lines=max_lines, transport="tls")
        else:
            context = device_context.example_common_context("yealink", match.model)
        found = settings(render(make_environment(), "yealink", match.template, match.model or model, context))
        if match.per_device:
            assert found[f"account.{max_lines}.enable"] == ["1"]
