"""A device as the provisioning cache keeps it, and how devices are read from the database in batches.

The cache (device_cache.py) decides what to keep and when to let go; this module reads: the equipment by
MAC (through the per-process MAC map, mac_index.py), then the sites, customers and lines they refer to,
a query each for the whole batch.
"""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId

from inventory.customers import Customer, Site
from inventory.equipment import Equipment
from inventory.lines import Line
from provisioner.provisioning.mac_index import MacIndex

#: What a device's entry costs besides its files, as counted against MAX_BYTES.
ENTRY_BYTES = 512
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: The device's secrets the pipeline itself uses (to check credentials, to encrypt), as stored.
DEVICE_SECRETS = ("provisioning_password_enc", "config_key_enc")


@dataclass(eq=False)
class CachedDevice:
    """One device as last read: what authorising a request needs, and its files rendered so far."""

    mac: str
    equipment_id: str
    vendor: str
    model: str
    state: str
    restricted: bool  # its site names address ranges: requests from elsewhere are refused
    networks: tuple[Network, ...]  # those ranges
    problem: str = ""  # why it cannot be served whatever the request (a record it refers to is gone)
    secrets_enc: dict[str, str] = field(default_factory=dict)  # its download password and file key, encrypted
    secrets: dict[str, str] = field(default_factory=dict)  # those decrypted so far
    files: dict[Any, Any] = field(default_factory=dict)
    size: int = ENTRY_BYTES  # counted against MAX_BYTES: the entry and its files
    latest: tuple | None = None  # (file, revision, source, transport) last recorded as the device's latest fetch
    latest_at: float = float("-inf")  # and when (monotonic clock)
    refs: frozenset[str] = frozenset()  # what a change reaching it names: "mac:..", "equipment:..", "lines:..", ...

    def admits(self, source: str) -> bool:
        """Whether `source` lies in the site's address ranges (an unparsable address lies in none)."""
        try:
            address = ipaddress.ip_address(source)
        except ValueError:
            return False
        return any(address in network for network in self.networks)


@functools.lru_cache(maxsize=4096)
def networks_of(texts: tuple[str, ...]) -> tuple[Network, ...]:
    """A site's address ranges, parsed once and shared by its devices."""
    found = []
    for text in texts:
        try:
            found.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            continue  # stored ranges are checked on save; an odd one admits nobody
    return tuple(found)


def read_records(mac_index: MacIndex, macs: list[str], sites: dict[str, dict],
                 customers: dict[str, dict]) -> dict[str, tuple[dict, list[dict], str]]:
    """(equipment, its lines, what is wrong) by MAC, as stored: a few queries for the whole batch.

    The sites and customers they refer to are added to `sites` and `customers` (the epoch's, by id) if
    missing; what is wrong is a record referred to that is gone.
    """
    raws = mac_index.read(Equipment._get_collection(), list(macs))
    if not raws:
        return {}
    sites.update(by_id(Site, {raw["site"] for raw in raws if raw.get("site")} - sites.keys()))
    customers.update(by_id(Customer, {raw["customer"] for raw in raws if raw.get("customer")} - customers.keys()))
    lines = by_id(Line, {line for raw in raws for line in raw.get("lines") or []})
    found = {}
    for raw in raws:
        site, customer, line_ids = raw.get("site"), raw.get("customer"), raw.get("lines") or []
        gone = [what for what, ids, known in (("site", [site] if site else [], sites),
                                               ("customer", [customer] if customer else [], customers),
                                               ("line", line_ids, lines)) if any(i not in known for i in ids)]
        problem = f"a record the device refers to is gone ({', '.join(gone)})" if gone else ""
        found[raw["mac"]] = (raw, [lines[line] for line in line_ids if line in lines], problem)
    return found


def refs_of(mac: str, equipment: dict) -> frozenset[str]:
    """The change keys that reach a device: its MAC, its record, its lines, site and customer."""
    refs = {f"mac:{mac}", f"{Equipment._get_collection_name()}:{equipment['_id']}"}
    refs.update(f"{Line._get_collection_name()}:{line}" for line in equipment.get("lines") or [])
    for kind, name in ((Site, "site"), (Customer, "customer")):
        if equipment.get(name):
            refs.add(f"{kind._get_collection_name()}:{equipment[name]}")
    return frozenset(refs)


def by_id(document: type, ids: set[str]) -> dict[str, dict]:
    """Stored records of one kind by their text id, in one query ($in on `_id` works on both servers for find)."""
    wanted = [ObjectId(i) for i in ids if ObjectId.is_valid(i)]
    if not wanted:
        return {}
    query = {"_id": wanted[0]} if len(wanted) == 1 else {"_id": {"$in": wanted}}
    return {str(raw["_id"]): raw for raw in document._get_collection().find(query)}
