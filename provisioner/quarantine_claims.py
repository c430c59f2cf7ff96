"""Claiming a quarantined device: an unknown device that asked for its configuration taken into stock as equipment.

Shared by POST /api/v1/quarantine/{id}/claim and the staff quarantine page: the values checked the same way, the
device's secrets issued, the equipment inserted, then the quarantine entry removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inventory.equipment import OWNERSHIPS, Equipment
from inventory.errors import InvalidRecord
from inventory.events import Actor
from inventory.provisioning_log import QuarantinedDevice
from inventory.refusals import Reason, Refusal, because, field_problem
from inventory.secret_box import SecretBox
from provisioner.provisioning.device_secrets import issue_secrets

#: What a claim may give besides the entry's own MAC, vendor and model.
CLAIM_FIELDS = ("serial", "model", "ownership", "notes")


class ClaimRefused(Refusal):
    """Claim values that are not valid (answered 422): `fields` maps each to what is wrong, in English, and
    `problems` to the same as reasons (inventory/refusals.py)."""

    subject = "quarantine"

    def __init__(self, fields: Mapping[str, str | Reason]):
        super().__init__(422, because("invalid_fields", "some fields are not valid", fields=sorted(fields)),
                         fields=fields)


def claim_values(entry: QuarantinedDevice, given: Mapping[str, Any]) -> dict[str, Any]:
    """The equipment values a claim of `entry` with `given` makes (serial required; model and ownership
    default to the entry's model and "lent"); ClaimRefused for an unknown field or a missing serial."""
    unknown = set(given) - set(CLAIM_FIELDS)
    if unknown:
        raise ClaimRefused({name: field_problem("unknown_field", "unknown field", expected=CLAIM_FIELDS)
                            for name in sorted(unknown)})
    values = {"serial": given.get("serial"), "mac": entry.mac, "vendor": entry.vendor,
              "model": given.get("model") or entry.model, "ownership": given.get("ownership") or "lent",
              "notes": given.get("notes")}
    if not all(isinstance(values[k], str) for k in ("serial", "model", "ownership")):
        raise ClaimRefused({"serial": field_problem("required_text", "required, a string")})
    return values


def claim(entry: QuarantinedDevice, given: Mapping[str, Any], box: SecretBox, actor: Actor) -> Equipment:
    """Take `entry` into stock with the values `given`: the new equipment record (in stock, its secrets issued).

    Raises ClaimRefused (the record's own checks too, in their words) or DuplicateValue (a serial already held,
    say); nothing is written then, and the entry stays in quarantine.
    """
    values = claim_values(entry, given)
    item = Equipment(**{k: v for k, v in values.items() if v is not None})
    issue_secrets(item, box)
    try:
        item.insert(actor)
    except InvalidRecord as invalid:
        raise ClaimRefused(record_problems(invalid.problems, values)) from None
    QuarantinedDevice.objects(pk=entry.pk).delete()
    return item


def record_problems(fields: Mapping[str, str | Reason], values: Mapping[str, Any]) -> dict[str, str | Reason]:
    """The equipment record's problems with the claim's `values` (in their order), each with a code: the record's
    own (Equipment.normalize), or one the claim's value tells; any other is kept in the record's words."""
    problems: dict[str, str | Reason] = {}
    for name, text in fields.items():
        value, limit = values.get(name), getattr(Equipment._fields.get(name), "max_length", None)
        if isinstance(text, Reason):
            problems[name] = text
        elif isinstance(value, str) and limit is not None and len(value) > limit:
            problems[name] = field_problem("too_long", text, max=limit)
        elif name in ("serial", "model", "ownership") and not value:
            problems[name] = field_problem("required", text)
        elif name == "serial":
            problems[name] = field_problem("serial_format", text)
        elif name == "ownership":
            problems[name] = field_problem("not_a_choice", text, choices=OWNERSHIPS)
        else:
            problems[name] = text
    return problems
