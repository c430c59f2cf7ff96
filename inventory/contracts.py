"""Service contracts: order and go-live dates, the initial period, tacit renewals and monthly fees."""

from __future__ import annotations

import mongoengine as me

from inventory.customers import REFERENCE_PATTERN, Customer
from inventory.references import Reference
from inventory.versioned import VersionedDocument

CONTRACT_STATES = ("draft", "active", "terminated", "ended")
#: Clause 5: after the initial period the contract renews tacitly for 12 months at a time.
RENEWAL_MONTHS = 12


class Contract(VersionedDocument):
    """One contract of a customer; amounts are in euro cents to keep arithmetic exact."""

    customer = Reference(Customer, required=True)
    reference = me.StringField(required=True, regex=REFERENCE_PATTERN)
    state = me.StringField(required=True, choices=CONTRACT_STATES, default="draft")
    order_date = me.DateField(required=True)
    go_live_date = me.DateField()
    end_date = me.DateField()
    initial_period_months = me.IntField(required=True, min_value=1, max_value=120, default=36)
    renewal_period_months = me.IntField(required=True, min_value=1, max_value=60, default=RENEWAL_MONTHS)
    monthly_service_fee_cents = me.IntField(required=True, min_value=0, default=0)
    monthly_equipment_fee_cents = me.IntField(required=True, min_value=0, default=0)
    setup_fee_cents = me.IntField(min_value=0, default=0)
    order_form_amount_cents = me.IntField(min_value=0, default=0)

    meta = {"collection": "contracts", "indexes": [{"fields": ["reference"], "unique": True}, "customer", "state"]}
    unique_fields = ("reference",)
    formats = {"reference": "3 to 32 upper-case letters, digits or dashes, such as ACME-2026-01"}

    def normalize(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if self.reference:
            self.reference = self.reference.strip().upper()
        if self.go_live_date and self.order_date and self.go_live_date < self.order_date:
            problems["go_live_date"] = "must not be before order_date"
        start = self.go_live_date or self.order_date
        if self.end_date and start and self.end_date < start:
            problems["end_date"] = "must not be before the go-live (or order) date"
        if self.state == "active" and not self.go_live_date:
            problems["go_live_date"] = "an active contract needs its go-live date (Date de Mise en Service)"
        return problems
