"""What a re-sync request reaches: one device by MAC, a site's installed devices, or every device behind on its
configuration; each with the SIP user names of the lines it carries.

`reaches` is the rule, over plain values; `resolve` reads the records it applies to (in a thread: it renders
files for the out-of-date target) and `missing` says why a target names nothing, for the API's and the CLI's 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from bson import ObjectId

from inventory.customers import Site
from inventory.equipment import Equipment
from inventory.lines import Line
from inventory.references import record_by_id
from provisioner.outdated import outdated_devices
from provisioner.provisioning.pipeline import Provisioner

#: The states in which a site's devices are told: at the customer's and set up.
SITE_STATES = frozenset({"installed", "in_service"})
EQUIPMENT_FIELDS = {"mac": 1, "site": 1, "state": 1, "lines": 1}


@dataclass(frozen=True)
class Target:
    """What a request names: ("device", MAC), ("site", site id) or ("out_of_date", "")."""

    kind: str
    value: str = ""

    def describe(self) -> str:
        return {"device": f"device {self.value}", "site": f"site {self.value}"}.get(self.kind, "every device out of date")


@dataclass(frozen=True)
class DeviceLines:
    """A device a request reaches, and the SIP user names of the lines it carries (none: nothing to send)."""

    mac: str
    lines: tuple[str, ...]


def reaches(target: Target, mac: str, site: str, state: str, outdated: bool = False) -> bool:
    """Whether a device (its MAC, site id, lifecycle state, and whether it is behind) is one the target names."""
    if target.kind == "device":
        return mac == target.value
    if target.kind == "site":
        return site == target.value and state in SITE_STATES
    if target.kind == "out_of_date":
        return outdated
    raise ValueError(f"unknown re-sync target kind {target.kind!r}")


def missing(target: Target) -> str | None:
    """Why the target names no record ("no equipment with MAC ..."), or None when its record exists."""
    if target.kind == "device" and Equipment._get_collection().find_one({"mac": target.value}, {"_id": 1}) is None:
        return f"no equipment with MAC {target.value}"
    if target.kind == "site" and _site(target.value) is None:
        return f"no site with id {target.value[:40]!r}"
    return None


def resolve(target: Target, provisioner: Provisioner | None) -> list[DeviceLines]:
    """The devices the target reaches now, by MAC, with their lines' SIP user names (a deleted line is left out).

    The out-of-date target needs the server's Provisioner, to render each file as the device would get it.
    """
    if target.kind == "out_of_date":
        if provisioner is None:
            raise ValueError("the out-of-date target needs the server's provisioner")
        candidates = [(found.item.to_mongo(), True) for found in outdated_devices(provisioner)]
    else:
        # Equality on the `site` or `mac` index, states checked by reaches(): `$in` over a field other than
        # _id scans the collection (docs/storage.rst).
        field = "site" if target.kind == "site" else "mac"
        candidates = [(raw, False) for raw in Equipment._get_collection().find({field: target.value}, EQUIPMENT_FIELDS)]
    chosen = [raw for raw, behind in candidates
              if reaches(target, raw["mac"], str(raw.get("site") or ""), raw.get("state", ""), behind)]
    usernames = _usernames({str(line_id) for raw in chosen for line_id in raw.get("lines") or ()})
    return sorted((DeviceLines(raw["mac"], tuple(usernames[str(i)] for i in raw.get("lines") or () if str(i) in usernames))
                   for raw in chosen), key=lambda device: device.mac)


def resolver(provisioner: Provisioner | None) -> Callable[[Target], list[DeviceLines]]:
    """resolve() bound to a Provisioner, as the re-sync poller calls it."""
    return lambda target: resolve(target, provisioner)


def _site(site_id: str) -> Site | None:
    return record_by_id(Site, site_id)


def _usernames(line_ids: set[str]) -> dict[str, str]:
    """SIP user name by line id, by one `$in` on `_id`."""
    ids = [ObjectId(line_id) for line_id in line_ids if ObjectId.is_valid(line_id)]
    if not ids:
        return {}
    return {str(raw["_id"]): raw["sip_username"]
            for raw in Line._get_collection().find({"_id": {"$in": ids}}, {"sip_username": 1})}
