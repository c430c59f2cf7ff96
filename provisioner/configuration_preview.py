"""The preview of a device's configuration: the files it fetches, and one of them exactly as it would be served.

Shared by GET /api/v1/equipment/{id}/configuration and the staff page of a device's configuration; secrets are
masked unless the caller may see them (admin), which the caller says with `masked`.
"""

from __future__ import annotations

from dataclasses import dataclass

from inventory.equipment import Equipment
from provisioner.provisioning.answers import Miss, Served
from provisioner.provisioning.pipeline import Provisioner
from provisioner.vendors import VENDORS


@dataclass(frozen=True)
class Preview:
    """One file of a device as it would receive it now, and the names of all its files."""

    file: str
    files: tuple[str, ...]
    served: Served
    masked: bool

    @property
    def content(self) -> str:
        return self.served.body.decode("utf-8")


def device_files(item: Equipment) -> list[str]:
    """The files the device fetches, the device's own last; none when no vendor module provisions it."""
    vendor = VENDORS.get(item.vendor)
    return vendor.device_files(item.mac, item.model) if vendor else []


def preview(provisioner: Provisioner, item: Equipment, name: str | None, masked: bool) -> Preview:
    """File `name` of `item` (its own file when None) as served now; Miss when it has no such file or none."""
    files = device_files(item)
    name = name if name is not None else (files[-1] if files else "")
    if not name:
        raise Miss(f"no vendor module provisions {item.vendor} devices yet")
    return Preview(name, tuple(files), provisioner.preview(item, name, masked=masked), masked)
