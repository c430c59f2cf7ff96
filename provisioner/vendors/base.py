"""What every vendor module says about its devices: the files they ask for, their User-Agent, their re-sync event.

A vendor is one module in this package plus one template folder in phone_templates/<name>/. The
request pipeline asks each vendor what a file name and a User-Agent mean and keeps the best answer.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from inventory.catalogue import VENDORS as CATALOGUE
from inventory.mac import normalize_mac


@dataclass(frozen=True)
class UserAgent:
    """What a device's User-Agent header tells: always its vendor, often its model and firmware, sometimes its MAC."""

    vendor: str
    model: str | None = None
    firmware: str | None = None
    mac: str | None = None  # normalized: 12 lower-case hex digits


@dataclass(frozen=True)
class FileMatch:
    """What a requested file name means to one vendor."""

    vendor: str
    template: str  # template path inside phone_templates/<vendor>/, e.g. "device.cfg.j2"
    mac: str | None = None  # set for per-device files: normalized, 12 lower-case hex digits
    model: str | None = None  # the catalogue's model name when the file name carries it
    content_type: str = "text/plain; charset=utf-8"

    @property
    def per_device(self) -> bool:
        """Whether the file belongs to one device (it holds that device's secrets)."""
        return self.mac is not None


class Vendor(ABC):
    """Base of the vendor modules; subclasses set the class attributes and the three methods."""

    #: The vendor's key in inventory.catalogue.VENDORS and its template folder's name.
    name: ClassVar[str]
    #: The Event header of the SIP NOTIFY that makes the device fetch its configuration again.
    resync_event: ClassVar[str] = "check-sync"
    #: Kinds of device this module provisions ("phone", "adapter", "router").
    kinds: ClassVar[tuple[str, ...]] = ("phone",)

    @abstractmethod
    def match_file(self, name: str) -> FileMatch | None:
        """What a requested file name (without leading slash or directories) means, or None if not ours."""

    @abstractmethod
    def parse_user_agent(self, user_agent: str) -> UserAgent | None:
        """What a User-Agent header says, or None when it is not this vendor's."""

    @abstractmethod
    def device_files(self, mac: str, model: str) -> list[str]:
        """Every file name a device of `model` with `mac` asks for at boot, per-device file last."""


def mac_or_none(text: str | None) -> str | None:
    """The normalized MAC in `text`, or None when it is not a device's MAC (absent, all zeros, multicast, malformed)."""
    if not text:
        return None
    try:
        return normalize_mac(text)
    except ValueError:
        return None


def catalogue_name(vendor: str, model: str) -> str:
    """The catalogue's spelling of a model a device names, or the device's own for models the provider does not supply."""
    return next((name for name in CATALOGUE[vendor] if name.lower() == model.lower()), model)
