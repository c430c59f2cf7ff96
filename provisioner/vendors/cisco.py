"""Cisco SPA500 and Multiplatform (3PCC) desk phones: the files they fetch, their User-Agent, their re-sync event.

A factory-new phone follows its default profile rule, relative to the server DHCP option 66 names:
``/spa$PSN.cfg`` on the SPA500 series (``spa504G.cfg``), ``/$PSN.xml`` on the Multiplatform phones
(``8851.xml``). That bootstrap file holds no secret: it sets an absolute profile rule on this server (so DHCP
option 66 no longer applies) naming the device's own file, ``spa$MA.xml`` (SPA) or ``$MA.xml`` (Multiplatform),
the only one with secrets. Every file is an XML flat profile.
"""

from __future__ import annotations

import re
from typing import ClassVar

from inventory.catalogue import find_model
from inventory.mac import normalize_mac
from provisioner.vendors.base import FileMatch, UserAgent, Vendor, catalogue_name, mac_or_none

#: Product series number ($PSN) of each catalogue model: it names the model's bootstrap file.
SERIES: dict[str, str] = {"SPA504G": "504G", "SPA525G2": "525G2", "CP-7841-3PCC": "7841", "CP-8851-3PCC": "8851"}
#: The Multiplatform (third-party call control) models; the others are SPA500 series.
MULTIPLATFORM = frozenset({"CP-7841-3PCC", "CP-8851-3PCC"})

_XML = "application/xml; charset=utf-8"

# $MA is the MAC in lower-case hex: upper case, separators or other lengths are not a Cisco phone's request.
_SPA_DEVICE_FILE = re.compile(r"spa([0-9a-f]{12})\.xml")
_MPP_DEVICE_FILE = re.compile(r"([0-9a-f]{12})\.xml")
_SPA_BOOT_FILE = re.compile(r"spa([0-9A-Za-z]+)\.cfg")
_MPP_BOOT_FILE = re.compile(r"([0-9]{4})\.xml")

# SPA500: "Cisco/SPA504G-7.6.2b (001122334455)(CCQ16220ABC)"; some firmware omit the MAC: "Cisco/SPA525G-7.4.7 (CBT1)".
_SPA_AGENT = re.compile(
    r"Cisco/(?P<model>SPA[0-9A-Za-z]+)-(?P<firmware>\d[0-9A-Za-z.]*)\s*"
    r"(?:\((?P<mac>[0-9A-Fa-f]{12})\))?\s*(?:\([0-9A-Za-z]*\))?"
)
# Multiplatform: "$VERSION ($MA)", e.g. "Cisco-CP-8851-3PCC/11.3.7 (00562b043615)".
_MPP_AGENT = re.compile(
    r"Cisco-(?P<model>CP-[0-9]{4}-3PCC)/(?P<firmware>[0-9A-Za-z._-]+)(?:\s*\((?P<mac>[0-9A-Fa-f]{12})\))?"
)




def _model_of_series(series: str, multiplatform: bool) -> str | None:
    """The catalogue model whose product series number is `series` (case-insensitive), in the right family."""
    return next((model for model, psn in SERIES.items()
                 if psn.lower() == series.lower() and (model in MULTIPLATFORM) == multiplatform), None)


class Cisco(Vendor):
    """Cisco SPA504G/SPA525G2 and CP-7841/CP-8851 Multiplatform phones, provisioned with XML flat profiles."""

    name: ClassVar[str] = "cisco"
    # "Resync From SIP": a NOTIFY with "Event: resync" makes the phone fetch its profile again.
    resync_event: ClassVar[str] = "resync"
    kinds: ClassVar[tuple[str, ...]] = ("phone",)

    def match_file(self, name: str) -> FileMatch | None:
        """A model's bootstrap file or a device's own file; anything else is not Cisco's."""
        for pattern in (_SPA_DEVICE_FILE, _MPP_DEVICE_FILE):
            found = pattern.fullmatch(name)
            if found:
                mac = mac_or_none(found.group(1))
                return FileMatch(self.name, "device.xml.j2", mac=mac, content_type=_XML) if mac else None
        for pattern, multiplatform in ((_SPA_BOOT_FILE, False), (_MPP_BOOT_FILE, True)):
            found = pattern.fullmatch(name)
            model = _model_of_series(found.group(1), multiplatform) if found else None
            if model:
                return FileMatch(self.name, "common.xml.j2", model=model, content_type=_XML)
        return None

    def parse_user_agent(self, user_agent: str) -> UserAgent | None:
        """Model, firmware and (when present) MAC from a SPA or Multiplatform User-Agent; None for other vendors'."""
        text = user_agent.strip()
        found = _SPA_AGENT.fullmatch(text) or _MPP_AGENT.fullmatch(text)
        if found is None:
            return None
        return UserAgent(self.name, model=catalogue_name("cisco", found["model"]), firmware=found["firmware"],
                         mac=mac_or_none(found["mac"]))

    def device_files(self, mac: str, model: str) -> list[str]:
        """The model's bootstrap file, then the device's own; ValueError for a bad MAC or a model not Cisco's."""
        device_mac = normalize_mac(mac)
        entry = find_model(self.name, model)
        if entry.name in MULTIPLATFORM:
            return [f"{SERIES[entry.name]}.xml", f"{device_mac}.xml"]
        return [f"spa{SERIES[entry.name]}.cfg", f"spa{device_mac}.xml"]


VENDOR = Cisco()
