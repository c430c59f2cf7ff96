"""Polycom VVX phones (UC Software): the files they fetch at boot, their User-Agent, and their re-sync event.

At boot a VVX phone fetches its master file ``<mac>.cfg`` (``000000000000.cfg`` when there is none), then the files
its CONFIG_FILES attribute lists: ``<mac>-device.cfg`` (this device's admin password and lines, the only file with
secrets) and ``polycom-common.cfg`` (the provider's platform and the lock-down). All of them are XML.
"""

from __future__ import annotations

import re
from typing import ClassVar

from inventory.catalogue import find_model
from inventory.mac import normalize_mac
from provisioner.vendors.base import FileMatch, UserAgent, Vendor, catalogue_name, mac_or_none

#: The master file a phone falls back to when the server has none for its MAC.
DEFAULT_MASTER_FILE = "000000000000.cfg"
#: The shared configuration file the master files list; it holds no secret.
COMMON_FILE = "polycom-common.cfg"
#: Suffix of the per-device configuration file. Not "-phone.cfg" nor "-web.cfg": the phone keeps its local
#: changes (override files) under those names and would read them back over ours.
DEVICE_FILE_SUFFIX = "-device.cfg"

_XML = "application/xml; charset=utf-8"

# The phone substitutes its MAC in lower case; Polycom allows either case for hex digits, so both are accepted.
_PER_MAC_FILE = re.compile(r"([0-9a-fA-F]{12})(\.cfg|" + re.escape(DEVICE_FILE_SUFFIX) + ")")

# "FileTransport PolycomVVX-VVX_450-UA/6.4.3.5018 Type/Application" when provisioning, without the
# "FileTransport" and "Type/" parts in SIP requests. The MAC never appears: only the file names carry it.
_USER_AGENT = re.compile(
    r"(?:FileTransport\s+)?Polycom\w+-(?P<model>\w+)-UA/(?P<firmware>\d+(?:\.\d+)+)(?:\s+Type/\w+)?\s*"
)




class Polycom(Vendor):
    """Polycom VVX phones running UC Software 5.x/6.x, provisioned over HTTP(S) with XML configuration files."""

    name: ClassVar[str] = "polycom"
    # With voIpProt.SIP.specialEvent.checkSync.alwaysReboot = 0 the phone reboots only when a change needs it.
    resync_event: ClassVar[str] = "check-sync"
    kinds: ClassVar[tuple[str, ...]] = ("phone",)

    def match_file(self, name: str) -> FileMatch | None:
        """The master files, the common file or a device's ``<mac>-device.cfg``; anything else is not ours."""
        if name == DEFAULT_MASTER_FILE:
            return FileMatch(self.name, "master.xml.j2", content_type=_XML)
        if name == COMMON_FILE:
            return FileMatch(self.name, "common.xml.j2", content_type=_XML)
        found = _PER_MAC_FILE.fullmatch(name)
        mac = mac_or_none(found.group(1)) if found else None
        if found is None or mac is None:
            return None
        template = "master.xml.j2" if found.group(2) == ".cfg" else "device.xml.j2"
        return FileMatch(self.name, template, mac=mac, content_type=_XML)

    def parse_user_agent(self, user_agent: str) -> UserAgent | None:
        """Model and firmware from a Polycom User-Agent; None for other vendors'."""
        found = _USER_AGENT.fullmatch(user_agent.strip())
        if found is None:
            return None
        return UserAgent(self.name, model=_polycom_name(found["model"]), firmware=found["firmware"])

    def device_files(self, mac: str, model: str) -> list[str]:
        """Master, common, then per-device file; ValueError for a bad MAC or a model that is not Polycom's."""
        device_mac = normalize_mac(mac)
        find_model(self.name, model)
        return [f"{device_mac}.cfg", COMMON_FILE, f"{device_mac}{DEVICE_FILE_SUFFIX}"]



def _polycom_name(model: str) -> str:
    """A User-Agent's model ("VVX_450") in the catalogue's spelling ("VVX450")."""
    return catalogue_name("polycom", model.replace("_", ""))


VENDOR = Polycom()
