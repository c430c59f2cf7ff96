"""Devices behind on their configuration: the revision they would get now differs from the one they last fetched.

Shared by the list of them a page at a time (GET /api/v1/provisioning/outdated and the support pages: `read_page`)
and the re-sync of them all (resync_targets.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterable

from inventory.equipment import Equipment
from inventory.provisioning_log import LastFetch
from inventory.secret_box import SecretError
from provisioner.provisioning.answers import Miss
from provisioner.provisioning.pipeline import Provisioner
from provisioner.vendors import VENDORS

log = logging.getLogger("provisioner.outdated")

#: Lifecycle states in which a device may be behind: it has been given a configuration to fetch.
OUTDATED_STATES = ("staged", "shipped", "delivered", "installed", "in_service")


def is_outdated(current_revision: str, fetched_revision: str | None) -> bool:
    """Whether a device fetching now would get another file than it last did (never fetched: it would)."""
    return fetched_revision is None or fetched_revision != current_revision


@dataclass(frozen=True)
class Outdated:
    """A device behind on its own file: which file, the revision it would get now, and its latest fetch."""

    item: Equipment
    file: str
    current_revision: str
    fetched: LastFetch | None


def outdated_devices(provisioner: Provisioner, items: Iterable[Equipment] | None = None) -> list[Outdated]:
    """Devices (in OUTDATED_STATES, or of `items`) whose own file's revision now differs from their latest fetch's.

    Each file is rendered as the device would get it (Provisioner.preview): a device whose file cannot be
    rendered, or whose vendor has no module, is left out; one whose stored secrets cannot be decrypted too,
    with a warning naming it (the device itself gets nothing either, until its secrets are set again).
    """
    if items is None:
        chosen: Iterable[Equipment] = Equipment.objects(state__in=OUTDATED_STATES)
        latest = {entry.mac: entry for entry in LastFetch.objects}
    else:
        # Only the given devices' latest fetches: by MAC, their _id (a page of devices need not read them all).
        chosen = list(items)
        macs = [item.mac for item in chosen if item.mac]
        latest = {entry.mac: entry for entry in LastFetch.objects(pk__in=macs)} if macs else {}
    found = []
    for item in chosen:
        vendor = VENDORS.get(item.vendor)
        if vendor is None:
            continue
        name = vendor.device_files(item.mac, item.model)[-1]
        try:
            current = provisioner.preview(item, name, masked=False).revision
        except Miss:
            continue
        except SecretError:
            log.warning("device %s (%s) left out of the outdated list: its stored secrets cannot be decrypted",
                        item.serial, item.pk)
            continue
        fetched = latest.get(item.mac)
        if is_outdated(current, fetched.revision if fetched else None):
            found.append(Outdated(item, name, current, fetched))
    return found


@dataclass(frozen=True)
class Cursor:
    """Where a page of devices that may be behind starts: a state of OUTDATED_STATES and an offset within it."""

    state: int = 0
    offset: int = 0

    @classmethod
    def parse(cls, text: str) -> "Cursor":
        """The cursor of ?from=<state>-<offset>; the first page for anything else."""
        state, _, offset = text.partition("-")
        if state.isdigit() and offset.isdigit() and int(state) < len(OUTDATED_STATES) and len(offset) < 9:
            return cls(int(state), int(offset))
        return cls()

    def __str__(self) -> str:
        return f"{self.state}-{self.offset}"


def read_page(provisioner: Provisioner, cursor: Cursor, per_page: int) -> tuple[list[Outdated], int, Cursor | None]:
    """The devices behind among the `per_page` devices that may be from `cursor` on (state by state, each read by
    equality on its index, in stored order: NX-27017 scans for `$in`, and sorts slowly), how many were checked,
    and where the next page starts (None at the end). No count: NX-27017 reads every matching id to count."""
    collection = Equipment._get_collection()
    ids: list[Any] = []
    state, offset = cursor.state, cursor.offset
    while len(ids) < per_page and state < len(OUTDATED_STATES):
        wanted = per_page - len(ids)
        got = [raw["_id"] for raw in collection.find({"state": OUTDATED_STATES[state]}, {"_id": 1})
               .skip(offset).limit(wanted + 1)]
        ids += got[:wanted]
        if len(got) > wanted:
            offset += wanted
        else:
            state, offset = state + 1, 0
    items = [Equipment._from_son(raw) for raw in collection.find({"_id": {"$in": ids}})] if ids else []
    order = {item_id: n for n, item_id in enumerate(ids)}
    items.sort(key=lambda item: order[item.pk])
    following = Cursor(state, offset) if state < len(OUTDATED_STATES) else None
    return outdated_devices(provisioner, items), len(items), following
