"""Grandstream GXP/GRP desk phones and the HT802 adapter: the files they fetch, their User-Agent, their re-sync event.

At boot a Grandstream device asks for ``cfg<mac>`` (historically a binary file) then ``cfg<mac>.xml``, the MAC in
lower case; only when that file is missing does it fall back to its model's ``cfg<model>.xml`` (``cfggxp2160.xml``)
and then to the generic ``cfg.xml``. Every file here is the XML format with P-value parameters; only the MAC files
hold secrets. The HT802's two FXS ports take the device's lines 1 and 2.
"""

from __future__ import annotations

import re
from typing import ClassVar

from inventory.catalogue import VENDORS as CATALOGUE
from inventory.catalogue import find_model
from inventory.mac import normalize_mac
from provisioner.vendors.base import FileMatch, UserAgent, Vendor, catalogue_name, mac_or_none

#: The generic file a device falls back to when neither its own nor its model's file exists.
COMMON_FILE = "cfg.xml"
#: Each catalogue model's own fallback file: "cfg" and the model in lower case.
MODEL_FILES: dict[str, str] = {f"cfg{model.lower()}.xml": model for model in CATALOGUE["grandstream"]}

_XML = "application/xml; charset=utf-8"

# "The configuration file name should be in lower case letters": upper-case hex is not a Grandstream request.
_DEVICE_FILE = re.compile(r"cfg([0-9a-f]{12})(?:\.xml)?")

# "Grandstream Model HW GXP2160 SW 1.0.11.6 DevId 000b82aabbcc"; adapters add a hardware revision after the model:
# "Grandstream Model HW HT802 V2.1A SW 1.0.17.5 DevId c074ad273a10".
_USER_AGENT = re.compile(
    r"Grandstream Model HW (?P<model>[A-Za-z]+[0-9]+[A-Za-z]*)(?:\s+V[0-9A-Za-z.]+)?\s+"
    r"SW (?P<firmware>\d+(?:\.\d+)+)(?:\s+DevId (?P<mac>[0-9A-Fa-f]{12}))?"
)
# In SIP requests the same devices say only "Grandstream GXP2160 1.0.11.44".
_SIP_AGENT = re.compile(r"Grandstream (?P<model>[A-Za-z]+[0-9]+[A-Za-z]*) (?P<firmware>\d+(?:\.\d+)+)")




class Grandstream(Vendor):
    """Grandstream GXP2160, GRP2614 and GRP2616 phones and the HT802 two-port adapter (XML P-value provisioning)."""

    name: ClassVar[str] = "grandstream"
    # A SIP NOTIFY with "Event: check-sync" makes the device fetch its configuration again.
    resync_event: ClassVar[str] = "check-sync"
    kinds: ClassVar[tuple[str, ...]] = ("phone", "adapter")

    def match_file(self, name: str) -> FileMatch | None:
        """A device's ``cfg<mac>`` or ``cfg<mac>.xml``, a model's or the generic fallback file; else not ours."""
        if name == COMMON_FILE:
            return FileMatch(self.name, "common.xml.j2", content_type=_XML)
        if name in MODEL_FILES:
            return FileMatch(self.name, "common.xml.j2", model=MODEL_FILES[name], content_type=_XML)
        found = _DEVICE_FILE.fullmatch(name)
        mac = mac_or_none(found.group(1)) if found else None
        if mac is None:
            return None
        return FileMatch(self.name, "device.xml.j2", mac=mac, content_type=_XML)

    def parse_user_agent(self, user_agent: str) -> UserAgent | None:
        """Model, firmware and MAC (DevId) from a Grandstream User-Agent; None for other vendors'."""
        text = user_agent.strip()
        found = _USER_AGENT.fullmatch(text) or _SIP_AGENT.fullmatch(text)
        if found is None:
            return None
        return UserAgent(self.name, model=catalogue_name("grandstream", found["model"]), firmware=found["firmware"],
                         mac=mac_or_none(found.groupdict().get("mac")))

    def device_files(self, mac: str, model: str) -> list[str]:
        """``cfg<mac>`` then ``cfg<mac>.xml``; ValueError for a bad MAC or a model not Grandstream's."""
        device_mac = normalize_mac(mac)
        find_model(self.name, model)
        return [f"cfg{device_mac}", f"cfg{device_mac}.xml"]


VENDOR = Grandstream()
