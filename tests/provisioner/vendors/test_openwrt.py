"""OpenWrt: the file name scheme, uclient-fetch's User-Agent, and the UCI script rendered for every model."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from device_context import example_context

from inventory.catalogue import VENDORS as CATALOGUE
from provisioner.provisioning.templates import make_environment, render
from provisioner.vendors.base import FileMatch, UserAgent
from provisioner.vendors.openwrt import VENDOR

MODELS = list(CATALOGUE["openwrt"])
SH = shutil.which("sh")
MARKER = "# end of openwrt-provisioning"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("openwrt-805ec0a1b2c3.sh", FileMatch("openwrt", "device.sh.j2", mac="805ec0a1b2c3")),
        ("openwrt-94831c000001.sh", FileMatch("openwrt", "device.sh.j2", mac="94831c000001")),
    ],
)
def test_file_names_are_matched(name: str, expected: FileMatch) -> None:
    assert VENDOR.match_file(name) == expected
    assert expected.per_device


@pytest.mark.parametrize(
    "name",
    [
        "openwrt-805EC0A1B2C3.sh",  # the scheme writes the canonical, lower-case MAC
        "openwrt-805ec0a1b2c.sh",
        "openwrt-805ec0a1b2c3d.sh",
        "openwrt-805ec0a1b2cg.sh",
        "openwrt-80:5e:c0:a1:b2:c3.sh",
        "openwrt-010000000000.sh",  # multicast
        "openwrt-000000000000.sh",
        "openwrt-805ec0a1b2c3.uci",
        "openwrt.sh",
        "../openwrt-805ec0a1b2c3.sh",
        "openwrt-805ec0a1b2c3.sh/..",
        "openwrt-805ec0a1b2c3.sh\n",
        "mikrotik-805ec0a1b2c3.rsc",
        "",
    ],
)
def test_other_file_names_are_refused(name: str) -> None:
    assert VENDOR.match_file(name) is None


@pytest.mark.parametrize(
    ("agent", "expected"),
    [("uclient-fetch", UserAgent("openwrt"))]
    + [(agent, None) for agent in (
        "Wget",  # BusyBox wget: used by far more than OpenWrt
        "Wget/1.21.4",
        "curl/8.5.0",
        "uclient-fetch 805ec0a1b2c3",
        "Mikrotik/7.x Fetch",
        "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 000413922D24)",
        "Yealink SIP-T46U 108.86.0.45 80:5e:c0:a1:b2:c3",
        "",
    )],
)
def test_user_agents(agent: str, expected: UserAgent | None) -> None:
    assert VENDOR.parse_user_agent(agent) == expected


@pytest.mark.parametrize("model", MODELS)
def test_device_files_are_the_one_script(model: str) -> None:
    assert VENDOR.device_files("80:5E:C0:A1:B2:C3", model) == ["openwrt-805ec0a1b2c3.sh"]


@pytest.mark.parametrize(("mac", "model"), [("805ec0a1b2c3", "hEX-S"), ("805ec0a1b2", "GL-MT6000")])
def test_device_files_refuse_other_models_and_bad_macs(mac: str, model: str) -> None:
    with pytest.raises(ValueError):
        VENDOR.device_files(mac, model)


def test_routers_take_no_notify() -> None:
    assert (VENDOR.kinds, VENDOR.resync_event) == (("router",), "")


# --- rendered script -----------------------------------------------------------------------


def router_context(model: str = "GL-MT6000", **changes) -> dict:
    context = example_context("openwrt", model, lines=0, transport=changes.pop("transport", "udp"))
    context["device"]["kind"] = "router"
    context["device"].update(changes.pop("device", {}))
    context["provider"].update(changes)
    return context


def script(model: str = "GL-MT6000", **changes) -> str:
    context = router_context(model, **changes)
    [name] = VENDOR.device_files(context["device"]["mac"], model)
    return render(make_environment(), "openwrt", VENDOR.match_file(name).template, model, context)


def parses(text: str) -> bool:
    return subprocess.run([SH, "-n"], input=text, text=True, capture_output=True).returncode == 0


@pytest.mark.parametrize("model", MODELS)
def test_every_model_renders_a_script_sh_can_parse(model: str) -> None:
    text = script(model)
    assert text.startswith("#!/bin/sh\n")
    assert text.rstrip("\n").splitlines()[-1] == MARKER
    if SH:
        assert parses(text)


@pytest.mark.skipif(not SH, reason="no sh to run the quoting through")
@pytest.mark.parametrize("password", ["Adm1nSecretXyz987", "it's \"quoted\" $(reboot) `id` \\ ; end", "'", "a'b'c"])
def test_the_admin_password_reaches_passwd_unchanged_whatever_it_holds(password: str) -> None:
    text = script(device={"admin_password": password})
    [assignment] = [line for line in text.splitlines() if line.startswith("ADMIN_PASSWORD=")]
    shown = subprocess.run([SH, "-c", assignment + '\nprintf %s "$ADMIN_PASSWORD"'], capture_output=True, text=True)
    assert shown.stdout == password
    assert parses(text)
    assert 'printf \'%s\\n%s\\n\' "$ADMIN_PASSWORD" "$ADMIN_PASSWORD" | passwd root' in text


def test_management_is_reachable_only_from_the_provider_networks() -> None:
    text = script(management_networks=["192.0.2.0/24", "2001:db8::/32"])
    lines = text.splitlines()
    for index, network in enumerate(["192.0.2.0/24", "2001:db8::/32"], start=1):
        assert f"uci set firewall.prov_mgmt_{index}.src_ip='{network}'" in lines
        assert f"uci set firewall.prov_mgmt_{index}.target='ACCEPT'" in lines
        assert f"uci set firewall.prov_mgmt_{index}.src='*'" in lines
    assert "uci set firewall.prov_mgmt_deny.target='REJECT'" in lines
    assert lines.count("uci set firewall.prov_mgmt_deny.dest_port='22 80 443'") == 1
    # fw4 emits rules in section order: every allow rule must come before the refusal.
    last_allow = max(i for i, line in enumerate(lines) if line.startswith("uci set firewall.prov_mgmt_2=rule"))
    assert last_allow < lines.index("uci set firewall.prov_mgmt_deny=rule")


def test_sip_alg_is_off() -> None:
    text = script()
    assert "uci set firewall.@defaults[0].auto_helper='0'" in text
    assert "for module in nf_nat_sip nf_conntrack_sip; do rmmod" in text


def test_time_is_pinned_to_the_provider_ntp_servers_and_paris() -> None:
    lines = script(ntp_servers=["ntp1.example.net", "ntp2.example.net"]).splitlines()
    assert "uci -q delete system.ntp.server" in lines
    assert [line for line in lines if line.startswith("uci add_list system.ntp.server=")] == [
        "uci add_list system.ntp.server='ntp1.example.net'", "uci add_list system.ntp.server='ntp2.example.net'"]
    assert "uci set system.ntp.enable_server='0'" in lines
    assert "uci set system.@system[0].zonename='Europe/Paris'" in lines
    assert "uci set system.@system[0].timezone='CET-1CEST,M3.5.0,M10.5.0/3'" in lines


@pytest.mark.parametrize(("vlan", "address"), [(20, "172.16.20.1"), (300, "172.17.44.1"), (4094, "172.31.254.1")])
def test_the_voice_vlan_gets_an_interface_dhcp_and_a_zone(vlan: int, address: str) -> None:
    lines = script(voice_vlan=vlan).splitlines()
    assert f"uci set network.voice.device='br-lan.{vlan}'" in lines
    assert f"uci set network.voice.ipaddr='{address}'" in lines
    assert "uci set dhcp.voice.interface='voice'" in lines
    assert "uci set firewall.voice.forward='REJECT'" in lines
    assert "uci set firewall.prov_voice_wan.dest='wan'" in lines


def test_no_voice_vlan_leaves_no_voice_network_and_marks_sip_from_the_lan() -> None:
    text = script(voice_vlan=0)
    assert "network.voice=" not in text and "firewall.voice=" not in text and "prov_dscp_rtp" not in text
    assert "uci -q delete network.voice" in text  # one made by an earlier run goes away
    assert "uci set firewall.prov_dscp_sip.src='lan'" in text


@pytest.mark.parametrize(("transport", "proto"), [("udp", "udp"), ("tcp", "tcp"), ("tls", "tcp")])
def test_media_is_marked_ef_and_signalling_cs3(transport: str, proto: str) -> None:
    lines = script(transport=transport, sip_port=5061).splitlines()
    assert "uci set firewall.prov_dscp_rtp.set_dscp='EF'" in lines
    assert "uci set firewall.prov_dscp_rtp.proto='udp'" in lines
    assert "uci set firewall.prov_dscp_sip.set_dscp='CS3'" in lines
    assert f"uci set firewall.prov_dscp_sip.proto='{proto}'" in lines
    assert "uci set firewall.prov_dscp_sip.dest_port='5061'" in lines
    # DSCP rules are not final: the SIP rule must come last for SIP over UDP to end up CS3.
    assert lines.index("uci set firewall.prov_dscp_rtp=rule") < lines.index("uci set firewall.prov_dscp_sip=rule")


def test_the_script_fetches_itself_again_from_the_provisioning_server() -> None:
    text = script()
    url = "http://provisioning.example.net:8080/" + VENDOR.device_files("805ec0a1b2c3", "GL-MT6000")[0]
    assert f"-O \"$script\" '{url}' || exit 1" in text
    assert f"[ \"$(tail -n 1 \"$script\")\" = '{MARKER}' ] || exit 1" in text
    cron = re.search(r"^echo '(.*)' >> /etc/crontabs/root$", text, re.MULTILINE)
    assert cron and re.fullmatch(r"[0-9]{1,2} \*/6 \* \* \* /usr/sbin/openwrt-provisioning", cron[1])
    assert int(cron[1].split()[0]) < 60
