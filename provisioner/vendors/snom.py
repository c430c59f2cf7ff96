"""Snom D-series desk phones: XML settings in files named after the phone type and its MAC.

A Snom phone whose setting_server holds no file name asks for snom<MODEL>.htm, then snom<MODEL>-<MAC>.htm
with its MAC in upper case; both hold XML settings (Snom wiki: "Auto Provisioning", "Desk Phone
Configuration Files"). The templates pin setting_server to the provider's URL with no file name, so these
two are the only files a provisioned phone asks for, and snom<MODEL>-firmware.xml (the Firmware
Configuration File, naming the image to install) when a firmware image is pinned for its model.
"""

from __future__ import annotations

import re
from typing import ClassVar

from inventory.catalogue import VENDORS as CATALOGUE
from inventory.catalogue import find_model
from inventory.mac import normalize_mac
from provisioner.vendors.base import FileMatch, UserAgent, Vendor, mac_or_none

XML = "application/xml; charset=utf-8"

_MODELS = {name.lower(): name for name in CATALOGUE["snom"]}
_MODEL = "|".join(re.escape(name) for name in CATALOGUE["snom"])
# The phone writes its MAC in upper case; a lower-case one (typed by hand) is accepted, a mixed one is not.
_COMMON_FILE = re.compile(rf"snom(?P<model>{_MODEL})\.htm")
_DEVICE_FILE = re.compile(rf"snom(?P<model>{_MODEL})-(?P<mac>[0-9A-F]{{12}}|[0-9a-f]{{12}})\.htm")
_FIRMWARE_FILE = re.compile(rf"snom(?P<model>{_MODEL})-firmware\.xml")

# HTTP, firmware 8 and later, the MAC after a build string (wazo-provd Snom plugin, common.py):
#   "Mozilla/4.0 (compatible; snomD785-SIP 10.1.33.33 2010.12-00004-g9ba52f5 000413922D24 SXM:0 UXM:0)"
#   "Mozilla/4.0 (compatible; snom320-SIP 8.4.18 1.1.3-s)"
_HTTP_AGENT = re.compile(r"Mozilla/4\.0 \(compatible; snom(?P<model>\w+)-SIP (?P<firmware>\d+(?:\.\d+)+)(?P<rest>[^)]*)\)")
# SIP requests from the same phones: "snomD785/10.1.33.33".
_SIP_AGENT = re.compile(r"snom(?P<model>[A-Za-z0-9]+)/(?P<firmware>\d+(?:\.\d+)+)")
_HEX12 = re.compile(r"[0-9A-Fa-f]{12}")


class Snom(Vendor):
    """Snom D-series phones (D315, D385, D735, D785)."""

    name: ClassVar[str] = "snom"
    # The Event of the NOTIFY that makes a Snom phone fetch its settings without rebooting (wazo-provd).
    resync_event: ClassVar[str] = "check-sync;reboot=false"

    def match_file(self, name: str) -> FileMatch | None:
        """snom<MODEL>.htm (the model's shared settings), snom<MODEL>-firmware.xml or snom<MODEL>-<MAC>.htm (the phone's own)."""
        found = _COMMON_FILE.fullmatch(name)
        if found:
            return FileMatch(self.name, "common.xml.j2", model=found["model"], content_type=XML)
        found = _FIRMWARE_FILE.fullmatch(name)
        if found:
            return FileMatch(self.name, "firmware.xml.j2", model=found["model"], content_type=XML)
        found = _DEVICE_FILE.fullmatch(name)
        if not found:
            return None
        mac = mac_or_none(found["mac"])
        if mac is None:
            return None  # a multicast or all-zero address is no phone's
        return FileMatch(self.name, "device.xml.j2", mac=mac, model=found["model"], content_type=XML)

    def parse_user_agent(self, user_agent: str) -> UserAgent | None:
        """The model, firmware and (firmware 8.7 and later) MAC of a Snom phone's HTTP or SIP User-Agent."""
        found = _HTTP_AGENT.match(user_agent) or _SIP_AGENT.fullmatch(user_agent)
        if not found:
            return None
        model = _MODELS.get(found["model"].lower(), found["model"])
        return UserAgent(self.name, model=model, firmware=found["firmware"], mac=_mac_in(found.groupdict().get("rest")))

    def device_files(self, mac: str, model: str) -> list[str]:
        """The model's shared file, then the phone's own."""
        phone_type = "snom" + find_model(self.name, model).name
        return [f"{phone_type}.htm", f"{phone_type}-{normalize_mac(mac).upper()}.htm"]


def _mac_in(text: str | None) -> str | None:
    """The first word of a User-Agent's tail that is a phone's MAC address."""
    for word in (text or "").split():
        if _HEX12.fullmatch(word):
            try:
                return normalize_mac(word)
            except ValueError:
                continue
    return None


VENDOR = Snom()
