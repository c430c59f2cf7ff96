"""Administrator-access exceptions (contract clause 8.6): the provider gives no administrator access to the
equipment; when it grants one anyway, who granted it, when and why is recorded, and the customer bears the
consequences (the site's security conditions no longer hold while it lasts).
"""

from __future__ import annotations

import mongoengine as me

from inventory.equipment import Equipment
from inventory.references import Reference
from inventory.versioned import VersionedDocument


class AdminAccessException(VersionedDocument):
    """Administrator access to one item granted to the customer, until revoked."""

    item = Reference(Equipment, required=True)
    granted_by = me.StringField(required=True, min_length=1, max_length=200)  # who at the provider granted it
    granted_at = me.DateTimeField(required=True)
    reason = me.StringField(required=True, min_length=1, max_length=2000)
    revoked_at = me.DateTimeField()

    meta = {"collection": "admin_access_exceptions", "indexes": ["item"]}

    def normalize(self) -> dict[str, str]:
        if self.revoked_at and self.granted_at and self.revoked_at < self.granted_at:
            return {"revoked_at": "must not be before granted_at"}
        return {}
