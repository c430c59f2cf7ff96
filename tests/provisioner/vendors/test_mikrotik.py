"""MikroTik: the file name scheme, /tool fetch's User-Agent, and the RouterOS script rendered for every model."""

from __future__ import annotations

import re

import pytest
from device_context import example_context

from inventory.catalogue import VENDORS as CATALOGUE
from provisioner.provisioning.templates import make_environment, render
from provisioner.vendors.base import FileMatch, UserAgent
from provisioner.vendors.mikrotik import VENDOR

MODELS = list(CATALOGUE["mikrotik"])
SERVICES = ("ssh", "www", "www-ssl", "winbox", "api", "api-ssl")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mikrotik-805ec0a1b2c3.rsc", FileMatch("mikrotik", "device.rsc.j2", mac="805ec0a1b2c3")),
        ("mikrotik-48a98a000001.rsc", FileMatch("mikrotik", "device.rsc.j2", mac="48a98a000001")),
    ],
)
def test_file_names_are_matched(name: str, expected: FileMatch) -> None:
    assert VENDOR.match_file(name) == expected
    assert expected.per_device


@pytest.mark.parametrize(
    "name",
    [
        "mikrotik-805EC0A1B2C3.rsc",  # the scheme writes the canonical, lower-case MAC
        "mikrotik-805ec0a1b2c.rsc",
        "mikrotik-805ec0a1b2c3d.rsc",
        "mikrotik-805ec0a1b2cz.rsc",
        "mikrotik-80-5e-c0-a1-b2-c3.rsc",
        "mikrotik-010000000000.rsc",  # multicast
        "mikrotik-000000000000.rsc",
        "mikrotik-805ec0a1b2c3.txt",
        "../mikrotik-805ec0a1b2c3.rsc",
        "mikrotik-805ec0a1b2c3.rsc\n",
        "openwrt-805ec0a1b2c3.sh",
        "",
    ],
)
def test_other_file_names_are_refused(name: str) -> None:
    assert VENDOR.match_file(name) is None


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ("Mikrotik/6.x Fetch", UserAgent("mikrotik", firmware="6.x")),
        ("Mikrotik/7.x Fetch", UserAgent("mikrotik", firmware="7.x")),
    ]
    + [(agent, None) for agent in (
        "Mikrotik/7.x",
        "MikroTik/6.49 (stable)",  # SSDP Server header, not /tool fetch
        "Mikrotik/7.x Fetch 805ec0a1b2c3",
        "uclient-fetch",
        "Wget",
        "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 000413922D24)",
        "",
    )],
)
def test_user_agents(agent: str, expected: UserAgent | None) -> None:
    assert VENDOR.parse_user_agent(agent) == expected


@pytest.mark.parametrize("model", MODELS)
def test_device_files_are_the_one_script(model: str) -> None:
    assert VENDOR.device_files("80-5E-C0-A1-B2-C3", model) == ["mikrotik-805ec0a1b2c3.rsc"]


@pytest.mark.parametrize(("mac", "model"), [("805ec0a1b2c3", "GL-MT6000"), ("ffffffffffff", "RB5009")])
def test_device_files_refuse_other_models_and_bad_macs(mac: str, model: str) -> None:
    with pytest.raises(ValueError):
        VENDOR.device_files(mac, model)


def test_routers_take_no_notify() -> None:
    assert (VENDOR.kinds, VENDOR.resync_event) == (("router",), "")


# --- rendered script -----------------------------------------------------------------------


def script(model: str = "hEX-S", **changes) -> str:
    context = example_context("mikrotik", model, lines=0, transport=changes.pop("transport", "udp"))
    context["device"]["kind"] = "router"
    context["device"].update(changes.pop("device", {}))
    context["provider"].update(changes)
    [name] = VENDOR.device_files(context["device"]["mac"], model)
    return render(make_environment(), "mikrotik", VENDOR.match_file(name).template, model, context)


def strings_of(line: str) -> list[str]:
    """The double-quoted strings of a RouterOS line, escapes undone; fails on an unclosed or unsafe string."""
    strings, current, escaped = [], None, False
    for char in line:
        if current is None:
            if char == '"':
                current = ""
        elif escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            strings.append(current)
            current = None
        else:
            assert char not in "$?", f"unescaped {char!r} in a string of: {line}"
            current += char
    assert current is None, f"unclosed string in: {line}"
    return strings


@pytest.mark.parametrize("model", MODELS)
def test_every_model_renders_a_script_whose_strings_are_all_closed(model: str) -> None:
    text = script(model)
    for line in text.splitlines():
        strings_of(line)
    assert text.startswith("# MikroTik " + model)


@pytest.mark.parametrize("password", ["Adm1nSecretXyz987", 'a"b\\c$d?e', "$(x) \"; /system reset-configuration"])
def test_the_admin_password_stays_one_string_whatever_it_holds(password: str) -> None:
    [line] = [line for line in script(device={"admin_password": password}).splitlines() if line.startswith("/user ")]
    assert line.startswith('/user set [find where name="admin"] password="')
    assert strings_of(line) == ["admin", password]


def test_management_is_reachable_only_from_the_provider_networks() -> None:
    lines = script(management_networks=["192.0.2.0/24", "198.51.100.0/25"]).splitlines()
    for service in SERVICES:
        assert f'/ip service set {service} address="192.0.2.0/24,198.51.100.0/25"' in lines
    assert "/ip service set telnet disabled=yes" in lines and "/ip service set ftp disabled=yes" in lines
    assert "/tool mac-server mac-winbox set allowed-interface-list=none" in lines


def test_sip_alg_is_off() -> None:
    assert "/ip firewall service-port set sip disabled=yes" in script().splitlines()


def test_time_is_pinned_to_the_provider_ntp_servers_and_paris() -> None:
    lines = script(ntp_servers=["ntp1.example.net", "ntp2.example.net"]).splitlines()
    assert '/system ntp client set enabled=yes servers="ntp1.example.net,ntp2.example.net"' in lines
    assert '/system clock set time-zone-autodetect=no time-zone-name="Europe/Paris"' in lines


def test_the_voice_vlan_sits_on_the_bridge_with_its_own_subnet_and_dhcp() -> None:
    text = script(voice_vlan=300)
    assert '/interface vlan add name="voice" interface=bridge vlan-id=300' in text
    assert '/ip address set [find where interface="voice"] address=172.17.44.1/24' in text
    assert "/ip dhcp-server network add address=172.17.44.0/24 gateway=172.17.44.1" in text
    assert '/interface list member add list=LAN interface="voice"' in text


def test_no_voice_vlan_removes_what_an_earlier_one_made() -> None:
    text = script(voice_vlan=0)
    assert "/interface vlan add" not in text and "new-dscp=46" not in text
    assert '/interface vlan remove [find where name="voice"]' in text


@pytest.mark.parametrize(("transport", "proto"), [("udp", "udp"), ("tcp", "tcp"), ("tls", "tcp")])
def test_media_is_marked_ef_and_signalling_cs3_and_kept_off_fasttrack(transport: str, proto: str) -> None:
    lines = script(transport=transport, sip_port=5061).splitlines()
    [media] = [line for line in lines if "new-dscp=46" in line]
    [signalling] = [line for line in lines if "new-dscp=24" in line]
    assert 'in-interface="voice"' in media and "protocol=udp" in media and "passthrough=yes" in media
    assert f"protocol={proto} dst-port=5061" in signalling
    assert lines.index(media) < lines.index(signalling)  # the later mark wins for SIP over UDP
    assert any(f"protocol={proto} port=5061" in line and "place-before=$fasttrack" in line for line in lines)


def test_the_script_fetches_and_imports_itself_again_on_schedule() -> None:
    [line] = [line for line in script().splitlines() if line.startswith("/system scheduler set")]
    [name, job] = strings_of(line)
    [file] = VENDOR.device_files("805ec0a1b2c3", "hEX-S")
    assert name == "voip-provisioning"
    assert job == (f'/tool fetch url="http://provisioning.example.net:8080/{file}" dst-path="{file}"; '
                   f'/import file-name="{file}"')
    assert re.search(r" start-time=00:[0-5][0-9]:00 interval=6h ", line)
