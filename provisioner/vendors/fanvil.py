"""Fanvil X4U/X5U/X6U desk phones: the file they fetch, their User-Agent, and the NOTIFY that makes them re-sync.

A Fanvil phone fetches ``<mac>.cfg`` (its MAC in lower case, ``$mac.cfg`` in its provisioning settings) from its
configuration server; the file is the phone's XML "sysConf" format and holds its admin password and lines. The
phones' own common configuration file is switched off (``DownloadCommonConf``): its name for these models is not
documented in the sources we could check, so it is not served.
"""

from __future__ import annotations

import re
from typing import ClassVar

from inventory.catalogue import find_model
from inventory.mac import normalize_mac
from provisioner.vendors.base import FileMatch, UserAgent, Vendor, catalogue_name, mac_or_none

_XML = "application/xml; charset=utf-8"

# The phone substitutes its MAC in lower case; upper case, separators or other lengths are not its request.
_DEVICE_FILE = re.compile(r"([0-9a-f]{12})\.cfg")

# "Fanvil X6U 2.12.16.18 0c383e32a7cb": model, firmware, MAC. Hardware revisions add "-V2" ("Fanvil X6U-V2 ..."),
# the Pro range adds " Pro" ("Fanvil X6U Pro 0.0.10 0c383e2cd782"), a different model.
_USER_AGENT = re.compile(
    r"Fanvil (?P<model>[A-Za-z]+[0-9]+[A-Za-z]*)(?P<revision>-V[0-9]+)?(?P<pro> Pro)?"
    r" (?P<firmware>\d+(?:\.\d+)+)(?: (?P<mac>[0-9A-Fa-f]{12}))?"
)




class Fanvil(Vendor):
    """Fanvil X4U, X5U and X6U phones, provisioned over HTTP(S) with the sysConf XML format."""

    name: ClassVar[str] = "fanvil"
    # A SIP NOTIFY with "Event: check-sync" makes the phone run its auto provisioning again.
    resync_event: ClassVar[str] = "check-sync"
    kinds: ClassVar[tuple[str, ...]] = ("phone",)

    def match_file(self, name: str) -> FileMatch | None:
        """A device's ``<mac>.cfg``; anything else is not Fanvil's."""
        found = _DEVICE_FILE.fullmatch(name)
        mac = mac_or_none(found.group(1)) if found else None
        if mac is None:
            return None
        return FileMatch(self.name, "device.xml.j2", mac=mac, content_type=_XML)

    def parse_user_agent(self, user_agent: str) -> UserAgent | None:
        """Model, firmware and MAC from a Fanvil User-Agent; a hardware revision ("-V2") is the same model."""
        found = _USER_AGENT.fullmatch(user_agent.strip())
        if found is None:
            return None
        model = found["model"] + ("-Pro" if found["pro"] else "")
        return UserAgent(self.name, model=catalogue_name("fanvil", model), firmware=found["firmware"],
                         mac=mac_or_none(found["mac"]))

    def device_files(self, mac: str, model: str) -> list[str]:
        """The device's ``<mac>.cfg``; ValueError for a bad MAC or a model not Fanvil's."""
        device_mac = normalize_mac(mac)
        find_model(self.name, model)
        return [f"{device_mac}.cfg"]


VENDOR = Fanvil()
