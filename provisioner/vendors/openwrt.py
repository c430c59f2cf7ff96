"""OpenWrt routers: one shell script per router, which sets UCI options and re-fetches itself every 6 hours.

OpenWrt has no provisioning protocol of its own, so the file name scheme is ours: ``openwrt-<mac>.sh``,
the MAC in canonical form (12 lower-case hex digits, as the template writes it into the cron job).
The installer runs it once by hand (``uclient-fetch -O - <url> | sh``); cron runs it from then on.
The router fetches it with uclient-fetch, whose User-Agent is the bare "uclient-fetch" (no model, no MAC).
Routers take no SIP NOTIFY: a change reaches them at their next scheduled fetch.
"""

from __future__ import annotations

import re
from typing import ClassVar

from inventory.catalogue import find_model
from inventory.mac import normalize_mac
from provisioner.vendors.base import FileMatch, UserAgent, Vendor, mac_or_none

_DEVICE_FILE = re.compile(r"openwrt-(?P<mac>[0-9a-f]{12})\.sh")
# uclient-fetch.c: static const char *user_agent = "uclient-fetch"; BusyBox and GNU wget ("Wget...") are
# used by far more than OpenWrt, so they are not taken as an OpenWrt router's.
_USER_AGENT = "uclient-fetch"


class OpenWrt(Vendor):
    """Routers running OpenWrt 22.03 or later (firewall4), scripted with UCI."""

    name: ClassVar[str] = "openwrt"
    resync_event: ClassVar[str] = ""  # no SIP stack to NOTIFY
    kinds: ClassVar[tuple[str, ...]] = ("router",)

    def match_file(self, name: str) -> FileMatch | None:
        """openwrt-<mac>.sh, the router's own script."""
        found = _DEVICE_FILE.fullmatch(name)
        if not found:
            return None
        mac = mac_or_none(found["mac"])
        if mac is None:
            return None  # a multicast or all-zero address is no router's
        return FileMatch(self.name, "device.sh.j2", mac=mac)

    def parse_user_agent(self, user_agent: str) -> UserAgent | None:
        """uclient-fetch's User-Agent says only that an OpenWrt system is asking."""
        return UserAgent(self.name) if user_agent == _USER_AGENT else None

    def device_files(self, mac: str, model: str) -> list[str]:
        """The router's script, its only file."""
        find_model(self.name, model)
        return [f"openwrt-{normalize_mac(mac)}.sh"]


VENDOR = OpenWrt()
