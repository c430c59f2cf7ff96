"""Yealink T4x/T5x desk phones: the files they fetch at boot, their User-Agent, and the NOTIFY that makes them re-sync.

At boot a Yealink phone fetches its model's common file ``y0000000000XX.cfg`` (XX is the model's hardware id),
then its own ``<mac>.cfg``. The common file holds the provider's platform and the lock-down, never a secret; the
MAC file repeats them and adds the device's admin password and its lines.
"""

from __future__ import annotations

import re
from typing import ClassVar

from inventory.catalogue import find_model
from inventory.mac import normalize_mac
from provisioner.vendors.base import FileMatch, UserAgent, Vendor, catalogue_name, mac_or_none

#: Hardware id of each catalogue model: it names the model's common file (y000000000108.cfg for a T46U).
HARDWARE_IDS: dict[str, int] = {"T43U": 107, "T46U": 108, "T48U": 109, "T53W": 95, "T54W": 96, "T57W": 97}

#: The common file every model may also be pointed at (by a boot file); it gets the same shared template.
GENERIC_COMMON_FILE = "y000000000000.cfg"

_MODEL_BY_COMMON_FILE = {f"y{hardware_id:012d}.cfg": model for model, hardware_id in HARDWARE_IDS.items()}

# The phone asks for its MAC in lower case; upper-case hex names the same device, so it is accepted too.
_DEVICE_FILE = re.compile(r"([0-9a-fA-F]{12})\.cfg")

# "Yealink SIP-T46U 108.86.0.75 80:5e:c0:aa:bb:cc" when provisioning, without the MAC in SIP requests.
_USER_AGENT = re.compile(
    r"Yealink\s+SIP(?:\s+VP)?-(?P<model>\w+)\s+(?P<firmware>\d+(?:\.\d+)+)"
    r"(?:\s+(?P<mac>[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}))?\s*",
    re.IGNORECASE,
)




class Yealink(Vendor):
    """Yealink SIP-T4xU and SIP-T5xW phones, provisioned over HTTP(S) or TFTP with the CFG format."""

    name: ClassVar[str] = "yealink"
    # With sip.notify_reboot_enable = 0 the phone re-syncs without rebooting unless the event says reboot=true.
    resync_event: ClassVar[str] = "check-sync;reboot=false"
    kinds: ClassVar[tuple[str, ...]] = ("phone",)

    def match_file(self, name: str) -> FileMatch | None:
        """A model's or the generic common file, or a device's ``<mac>.cfg``; anything else is not Yealink's."""
        if name == GENERIC_COMMON_FILE:
            return FileMatch(self.name, "common.cfg.j2")
        if name in _MODEL_BY_COMMON_FILE:
            return FileMatch(self.name, "common.cfg.j2", model=_MODEL_BY_COMMON_FILE[name])
        found = _DEVICE_FILE.fullmatch(name)
        mac = mac_or_none(found.group(1)) if found else None
        if mac is None:
            return None
        return FileMatch(self.name, "device.cfg.j2", mac=mac)

    def parse_user_agent(self, user_agent: str) -> UserAgent | None:
        """Model, firmware and (when provisioning) MAC from a Yealink User-Agent; None for other vendors'."""
        found = _USER_AGENT.fullmatch(user_agent.strip())
        if found is None:
            return None
        mac = mac_or_none(found["mac"]) if found["mac"] else None
        return UserAgent(self.name, model=catalogue_name("yealink", found["model"]), firmware=found["firmware"], mac=mac)

    def device_files(self, mac: str, model: str) -> list[str]:
        """The model's common file, then the device's own; ValueError for a bad MAC or a model not Yealink's."""
        device_mac = normalize_mac(mac)
        entry = find_model(self.name, model)
        return [f"y{HARDWARE_IDS[entry.name]:012d}.cfg", f"{device_mac}.cfg"]


VENDOR = Yealink()
