"""The vendor modules, one per vendor or router family, and the registry the request pipeline asks."""

from __future__ import annotations

from provisioner.vendors import cisco, fanvil, grandstream, mikrotik, openwrt, polycom, snom, yealink
from provisioner.vendors.base import FileMatch, UserAgent, Vendor

#: Every vendor module, by name; adding a vendor is one module here and one template folder.
VENDORS: dict[str, Vendor] = {
    module.VENDOR.name: module.VENDOR for module in (yealink, polycom, cisco, grandstream, snom, fanvil, openwrt, mikrotik)
}

__all__ = ["VENDORS", "FileMatch", "UserAgent", "Vendor"]
