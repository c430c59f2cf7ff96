"""What the admin pages share: the shared functions' refusals put into the user's language next to the field
they concern."""

from __future__ import annotations

from inventory.errors import InvalidRecord
from provisioner.web.messages import Translator


def field_messages(refusal: InvalidRecord, t: Translator, labels: dict[str, str]) -> dict[str, str]:
    """One message per refused field, named in the user's language: `labels` maps a field to its catalogue key
    (fields without one are named as the API names them); the password policy's rules are translated."""
    messages: dict[str, str] = {}
    for name, detail in refusal.fields.items():
        label = t(labels[name]) if name in labels else name
        messages[name] = t("users.problem", field=label, detail=t.policy(detail) if name == "password" else detail)
    return messages
