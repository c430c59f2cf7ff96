"""A minimal Yealink-like vendor for pipeline and TFTP tests: <mac>.cfg per device, common.cfg shared."""

from __future__ import annotations

import re

from provisioner.vendors.base import FileMatch, UserAgent, Vendor


class FakeYealink(Vendor):
    """Files common.cfg and <mac>.cfg, User-Agent "Yealink SIP-<model> <firmware>"."""

    name = "yealink"

    def match_file(self, name: str) -> FileMatch | None:
        if name == "common.cfg":
            return FileMatch(self.name, "common.cfg.j2")
        found = re.fullmatch(r"([0-9a-f]{12})\.cfg", name)
        return FileMatch(self.name, "device.cfg.j2", mac=found.group(1)) if found else None

    def parse_user_agent(self, user_agent: str) -> UserAgent | None:
        found = re.match(r"Yealink SIP-(\w+) ([\d.]+)", user_agent)
        return UserAgent(self.name, found.group(1), found.group(2)) if found else None

    def device_files(self, mac: str, model: str) -> list[str]:
        return ["common.cfg", f"{mac}.cfg"]
