"""Claiming a quarantined device: an unknown device that asked for its configuration taken into stock as equipment.

Shared by POST /api/v1/quarantine/{id}/claim and the staff quarantine page: the values checked the same way, the
device's secrets issued, the equipment inserted, then the quarantine entry removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inventory.equipment import Equipment
from inventory.events import Actor
from inventory.provisioning_log import QuarantinedDevice
from inventory.secret_box import SecretBox
from provisioner.provisioning.device_secrets import issue_secrets

#: What a claim may give besides the entry's own MAC, vendor and model.
CLAIM_FIELDS = ("serial", "model", "ownership", "notes")


class ClaimRefused(ValueError):
    """Claim values that are not valid (answered 422): `fields` maps each to what is wrong."""

    def __init__(self, fields: Mapping[str, str]):
        self.fields = dict(fields)
        super().__init__("some fields are not valid")


def claim_values(entry: QuarantinedDevice, given: Mapping[str, Any]) -> dict[str, Any]:
    """The equipment values a claim of `entry` with `given` makes (serial required; model and ownership
    default to the entry's model and "lent"); ClaimRefused for an unknown field or a missing serial."""
    unknown = set(given) - set(CLAIM_FIELDS)
    if unknown:
        raise ClaimRefused({name: "unknown field" for name in sorted(unknown)})
    values = {"serial": given.get("serial"), "mac": entry.mac, "vendor": entry.vendor,
              "model": given.get("model") or entry.model, "ownership": given.get("ownership") or "lent",
              "notes": given.get("notes")}
    if not all(isinstance(values[k], str) for k in ("serial", "model", "ownership")):
        raise ClaimRefused({"serial": "required, a string"})
    return values


def claim(entry: QuarantinedDevice, given: Mapping[str, Any], box: SecretBox, actor: Actor) -> Equipment:
    """Take `entry` into stock with the values `given`: the new equipment record (in stock, its secrets issued).

    Raises ClaimRefused, or the record's InvalidRecord / DuplicateValue (a serial already held, say); nothing is
    written then, and the entry stays in quarantine.
    """
    values = claim_values(entry, given)
    item = Equipment(**{k: v for k, v in values.items() if v is not None})
    issue_secrets(item, box)
    item.insert(actor)
    QuarantinedDevice.objects(pk=entry.pk).delete()
    return item
