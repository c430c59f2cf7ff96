"""MikroTik RouterOS routers: one script per router, imported with /import and re-fetched every 6 hours.

RouterOS has no provisioning protocol we use, so the file name scheme is ours: ``mikrotik-<mac>.rsc``, the
MAC in canonical form (12 lower-case hex digits, as the template writes it into the scheduler job).
The router fetches it with /tool fetch, whose User-Agent is "Mikrotik/6.x Fetch" or "Mikrotik/7.x Fetch":
the major version only, no model, no MAC. Routers take no SIP NOTIFY: a change reaches them at their next
scheduled fetch.
"""

from __future__ import annotations

import re
from typing import ClassVar

from inventory.catalogue import find_model
from inventory.mac import normalize_mac
from provisioner.vendors.base import FileMatch, UserAgent, Vendor, mac_or_none

_DEVICE_FILE = re.compile(r"mikrotik-(?P<mac>[0-9a-f]{12})\.rsc")
_USER_AGENT = re.compile(r"Mikrotik/(?P<major>[0-9]+)\.x Fetch")


class MikroTik(Vendor):
    """Routers running RouterOS v7 with MikroTik's default configuration (bridge "bridge", lists LAN and WAN)."""

    name: ClassVar[str] = "mikrotik"
    resync_event: ClassVar[str] = ""  # no SIP stack to NOTIFY
    kinds: ClassVar[tuple[str, ...]] = ("router",)

    def match_file(self, name: str) -> FileMatch | None:
        """mikrotik-<mac>.rsc, the router's own script."""
        found = _DEVICE_FILE.fullmatch(name)
        if not found:
            return None
        mac = mac_or_none(found["mac"])
        if mac is None:
            return None  # a multicast or all-zero address is no router's
        return FileMatch(self.name, "device.rsc.j2", mac=mac)

    def parse_user_agent(self, user_agent: str) -> UserAgent | None:
        """/tool fetch's User-Agent: the vendor and the RouterOS major version ("7.x")."""
        found = _USER_AGENT.fullmatch(user_agent)
        return UserAgent(self.name, firmware=f"{found['major']}.x") if found else None

    def device_files(self, mac: str, model: str) -> list[str]:
        """The router's script, its only file."""
        find_model(self.name, model)
        return [f"mikrotik-{normalize_mac(mac)}.rsc"]


VENDOR = MikroTik()
