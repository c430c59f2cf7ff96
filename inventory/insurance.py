"""Customers' insurance certificates (contract clause 3.7): lent equipment is at the customer's risk from
delivery, and the customer must insure it. A certificate says who insures it and until when.
"""

from __future__ import annotations

import mongoengine as me

from inventory.customers import Customer
from inventory.references import Reference
from inventory.versioned import VersionedDocument


class InsuranceCertificate(VersionedDocument):
    """One insurance policy of a customer covering the equipment it holds, with its validity."""

    customer = Reference(Customer, required=True)
    insurer = me.StringField(required=True, min_length=1, max_length=200)
    policy_number = me.StringField(required=True, min_length=1, max_length=80)
    starts_on = me.DateField(required=True)
    expires_on = me.DateField(required=True)

    meta = {"collection": "insurance_certificates", "indexes": ["customer", "expires_on"]}

    def normalize(self) -> dict[str, str]:
        if self.starts_on and self.expires_on and self.expires_on < self.starts_on:
            return {"expires_on": "must not be before starts_on"}
        return {}
