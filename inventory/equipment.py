"""Equipment items (phones, routers, adapters) lent or sold to customers, identified by serial and MAC."""

from __future__ import annotations

import mongoengine as me

from inventory.catalogue import KINDS, find_model
from inventory.customers import Customer, Site
from inventory.lines import Line
from inventory.mac import normalize_mac
from inventory.references import Reference
from inventory.secret_box import SecretBox
from inventory.versioned import VersionedDocument

OWNERSHIPS = ("lent", "sold")
#: The lifecycle's vocabulary; which moves are allowed between them is the lifecycle table's business.
EQUIPMENT_STATES = (
    "in_stock", "staged", "shipped", "delivered", "installed", "in_service",
    "failed", "returned", "inspected", "refurbishing", "scrapped",
    "return_due", "overdue", "repossession", "lost", "stolen",
)


class Equipment(VersionedDocument):
    """One physical device; its state changes only through the lifecycle, never by a plain edit."""

    serial = me.StringField(required=True, regex=r"^[A-Za-z0-9][A-Za-z0-9._/-]{2,63}$")
    mac = me.StringField(required=True, regex=r"^[0-9a-f]{12}$")
    vendor = me.StringField(required=True, max_length=40)
    model = me.StringField(required=True, max_length=40)
    kind = me.StringField(choices=KINDS)
    ownership = me.StringField(required=True, choices=OWNERSHIPS, default="lent")
    state = me.StringField(required=True, choices=EQUIPMENT_STATES, default="in_stock")
    customer = Reference(Customer)
    site = Reference(Site)
    lines = me.ListField(Reference(Line), max_length=32)
    admin_password_enc = me.StringField(required=True)
    #: The device's own HTTP digest password for fetching its files (user name: its MAC), encrypted.
    provisioning_password_enc = me.StringField()
    #: The key its configuration files are encrypted with on plain transports (vendors that can), encrypted.
    config_key_enc = me.StringField()
    notes = me.StringField(max_length=2000)

    meta = {
        "collection": "equipment",
        "indexes": [
            {"fields": ["serial"], "unique": True},
            {"fields": ["mac"], "unique": True},
            "site", "customer", "state", ("vendor", "model"),  # no index on `lines`: see docs/storage.rst
        ],
    }
    unique_fields = ("serial", "mac")
    formats = {"serial": "3 to 64 letters, digits, dots, dashes, slashes or underscores, starting with a letter or digit",
               "mac": "12 hexadecimal digits"}

    def admin_password(self, box: SecretBox) -> str:
        """The device's administrator password in clear, for configuration templates only."""
        return box.decrypt(self.admin_password_enc)

    def provisioning_password(self, box: SecretBox) -> str:
        """The device's password for fetching its files, in clear ("" when it has none yet)."""
        return box.decrypt(self.provisioning_password_enc) if self.provisioning_password_enc else ""

    def config_key(self, box: SecretBox) -> str:
        """The key of the device's encrypted files, in clear ("" when its vendor encrypts none)."""
        return box.decrypt(self.config_key_enc) if self.config_key_enc else ""

    def normalize(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if self.mac:
            try:
                self.mac = normalize_mac(self.mac)
            except ValueError as exc:
                problems["mac"] = str(exc)
        if self.serial:
            self.serial = self.serial.strip()
        if self.vendor and self.model:
            self.vendor = self.vendor.strip().lower()
            try:
                entry = find_model(self.vendor, self.model.strip())
            except ValueError as exc:
                problems["model" if "model" in str(exc) else "vendor"] = str(exc)
            else:
                self.model, self.kind = entry.name, entry.kind
                if len(self.lines or []) > entry.max_lines:
                    problems["lines"] = f"a {entry.name} carries at most {entry.max_lines} line(s)"
        self.customer = self.site.customer if self.site is not None else None
        if self.lines and self.site is None:
            problems["lines"] = "lines can only be bound to equipment assigned to a site"
        elif self.lines and any(line.customer != self.customer for line in self.lines):
            problems["lines"] = "every line must belong to the customer of the equipment's site"
        return problems
