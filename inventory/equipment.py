"""Equipment items (phones, routers, adapters) lent or sold to customers, identified by serial and MAC."""

from __future__ import annotations

from typing import Any

import mongoengine as me

from inventory.catalogue import KINDS, VENDORS, find_model
from inventory.customers import Customer, Site
from inventory.lifecycle_effects import REPLACEMENTS
from inventory.lifecycle_inputs import CONDITIONS, INSPECTION_RESULTS
from inventory.lines import Line
from inventory.mac import normalize_mac
from inventory.references import Reference
from inventory.refusals import Reason, field_problem
from inventory.secret_box import SecretBox
from inventory.versioned import VersionedDocument

#: How many idempotency keys an item remembers (`transition_keys`): a client retrying later than the
#: item's last 20 moves gets a refusal of the move instead (its state has moved on).
KEPT_TRANSITION_KEYS = 20

OWNERSHIPS = ("lent", "sold")
#: Fields left out of event snapshots: the outbox would nest every earlier event in the next one.
NOT_IN_SNAPSHOTS = ("last_event", "outbox_pending")
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

    # What the lifecycle's moves record (inventory/lifecycle_effects.py); written only by inventory/transitions.py.
    staged_at = me.DateTimeField()
    carrier = me.StringField(max_length=80)
    tracking_number = me.StringField(max_length=80)
    shipped_at = me.DateTimeField()
    shipped_accessories = me.ListField(me.StringField(max_length=80), max_length=64)
    replaces = Reference("self")  # the failed item this one replaces
    delivered_at = me.DateTimeField()  # the risk passes to the customer (clause 3.7)
    delivery_proof = me.StringField(max_length=500)
    delivery_place = me.StringField(max_length=500)
    installed_at = me.DateTimeField()
    in_service_at = me.DateTimeField()
    failure_noted_at = me.DateTimeField()
    failure_description = me.StringField(max_length=2000)
    replacement = me.StringField(choices=REPLACEMENTS)
    replacement_due_at = me.DateTimeField()
    contract_ended_on = me.DateField()
    return_due_on = me.DateField()
    overdue_since = me.DateTimeField()
    repossession_opened_at = me.DateTimeField()
    repossession_agent = me.StringField(max_length=200)
    repossession_costs_cents = me.IntField(min_value=0)
    returned_at = me.DateTimeField()
    returned_accessories = me.ListField(me.StringField(max_length=80), max_length=64)
    return_condition = me.StringField(choices=CONDITIONS)
    inspected_at = me.DateTimeField()
    inspection_result = me.StringField(choices=INSPECTION_RESULTS)
    inspection_notes = me.StringField(max_length=2000)
    refurbishing_since = me.DateTimeField()
    restocked_at = me.DateTimeField()
    written_off_at = me.DateTimeField()
    write_off_notes = me.StringField(max_length=2000)
    warranty_end = me.DateTimeField()  # sold items: delivery + 12 months
    setup_fees_paid_at = me.DateTimeField()
    title_transferred_at = me.DateTimeField()  # sold items: when the set-up fees were paid in full

    #: "<move>:<key>" of the last KEPT_TRANSITION_KEYS idempotency keys used on this item.
    transition_keys = me.ListField(me.StringField(max_length=250), max_length=KEPT_TRANSITION_KEYS)
    #: The outbox: the event of the last move, written with the move and copied to `events` after it.
    last_event = me.DictField()
    #: Whether `last_event` may not be in `events` yet (see inventory/transitions.py).
    outbox_pending = me.BooleanField(default=False)

    meta = {
        "collection": "equipment",
        "indexes": [
            {"fields": ["serial"], "unique": True},
            {"fields": ["mac"], "unique": True},
            "site", "customer", "state", ("vendor", "model"),  # no index on `lines`: see docs/storage.rst
            "replaces", "outbox_pending",
            # The staff pages' equipment list (provisioner/web/warehouse/item_list.py), paged in serial order: NX-27017
            # uses neither the prefix of (vendor, model) for a vendor alone nor a one-field index to page in
            # serial order (measured among 100,000 items: 150 to 200 ms a page without these, 2 to 20 with).
            "vendor", ("state", "serial"), ("vendor", "serial"), ("customer", "serial"),
        ],
    }
    unique_fields = ("serial", "mac")
    formats = {"serial": "3 to 64 letters, digits, dots, dashes, slashes or underscores, starting with a letter or digit",
               "mac": "12 hexadecimal digits"}

    def snapshot(self) -> dict[str, Any]:
        """The stored form without secrets nor the outbox, for the event log."""
        raw = super().snapshot()
        for name in NOT_IN_SNAPSHOTS:
            raw.pop(name, None)
        return raw

    def admin_password(self, box: SecretBox) -> str:
        """The device's administrator password in clear, for configuration templates only."""
        return box.decrypt(self.admin_password_enc)

    def provisioning_password(self, box: SecretBox) -> str:
        """The device's password for fetching its files, in clear ("" when it has none yet)."""
        return box.decrypt(self.provisioning_password_enc) if self.provisioning_password_enc else ""

    def config_key(self, box: SecretBox) -> str:
        """The key of the device's encrypted files, in clear ("" when its vendor encrypts none)."""
        return box.decrypt(self.config_key_enc) if self.config_key_enc else ""

    def normalize(self) -> dict[str, str | Reason]:
        problems: dict[str, str | Reason] = {}
        if self.mac:
            try:
                self.mac = normalize_mac(self.mac)
            except ValueError as exc:
                problems["mac"] = field_problem("not_a_mac", str(exc))
        if self.serial:
            self.serial = self.serial.strip()
        if self.vendor and self.model:
            self.vendor = self.vendor.strip().lower()
            try:
                entry = find_model(self.vendor, self.model.strip())
            except ValueError as exc:
                problems.update(_catalogue_problem(self.vendor, str(exc)))
            else:
                self.model, self.kind = entry.name, entry.kind
                if len(self._data.get("lines") or []) > entry.max_lines:
                    problems["lines"] = field_problem(
                        "too_many_lines", f"a {entry.name} carries at most {entry.max_lines} line(s)",
                        model=entry.name, max=entry.max_lines)
        if not self._binding_changed():
            return problems  # site, customer and lines as checked when they were set: no need to read them
        self.customer = self.site.customer if self.site is not None else None
        if self.lines and self.site is None:
            problems["lines"] = field_problem("lines_without_site",
                                              "lines can only be bound to equipment assigned to a site")
        elif self.lines and any(line.customer != self.customer for line in self.lines):
            problems["lines"] = field_problem("lines_of_other_customer",
                                              "every line must belong to the customer of the equipment's site")
        return problems

    def _binding_changed(self) -> bool:
        """Whether the site or lines are new or changed since the record was read (then they are checked)."""
        return self._created or self.pk is None or bool({"site", "lines", "customer"} & set(self._changed_fields))


def _catalogue_problem(vendor: str, text: str) -> dict[str, Reason]:
    """The field that find_model's refusal `text` is about (the model of a known vendor, or the vendor), coded."""
    if "model" in text and vendor in VENDORS:
        return {"model": field_problem("unknown_model", text, vendor=vendor, choices=list(VENDORS[vendor]))}
    return {"model" if "model" in text else "vendor": field_problem("unknown_vendor", text, choices=sorted(VENDORS))}
