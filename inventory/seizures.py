"""Seizure notices on equipment (contract clause 3.8): a third party's bailiff tries to seize an item.

The customer must warn the provider at once; a release is obtained at the customer's cost. The record keeps
the notice, the bailiff and how it ended; the item's own lifecycle state does not change.
"""

from __future__ import annotations

import mongoengine as me

from inventory.equipment import Equipment
from inventory.references import Reference
from inventory.versioned import VersionedDocument

SEIZURE_STATUSES = ("notified", "released", "executed")


class Seizure(VersionedDocument):
    """One seizure notice on one item: when it was notified, by which bailiff, and its outcome."""

    item = Reference(Equipment, required=True)
    notified_on = me.DateField(required=True)
    bailiff = me.StringField(required=True, min_length=1, max_length=200)
    status = me.StringField(required=True, choices=SEIZURE_STATUSES, default="notified")
    released_on = me.DateField()
    notes = me.StringField(max_length=2000)

    meta = {"collection": "seizures", "indexes": ["item", "status"]}

    def normalize(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        if self.status == "released" and self.released_on is None:
            problems["released_on"] = "a released seizure needs its release date"
        elif self.status != "released" and self.released_on is not None:
            problems["released_on"] = "only a released seizure has a release date"
        if self.released_on and self.notified_on and self.released_on < self.notified_on:
            problems["released_on"] = "must not be before notified_on"
        return problems
