"""A device's own secrets, made when it is recorded: administrator password, download password, file key.

All three are random, stored encrypted (inventory.secret_box) and reach only the device, in its own file.
The file key exists for vendors whose phones decrypt their files (provisioning/encryption.py) and follows
the vendor: a device recorded as another vendor gets a key of that vendor's form.
"""

from __future__ import annotations

from inventory.equipment import Equipment
from inventory.secret_box import SecretBox, random_secret
from provisioner.provisioning.encryption import SCHEMES, new_device_key

ADMIN_PASSWORD_LENGTH = 20
PROVISIONING_PASSWORD_LENGTH = 24


def secrets_due(vendor: str, current: Equipment | None, box: SecretBox) -> dict[str, str | None]:
    """The encrypted secrets to store for a device of `vendor` that is `current` (None: being created)."""
    due: dict[str, str | None] = {}
    if current is None or not current.admin_password_enc:
        due["admin_password_enc"] = box.encrypt(random_secret(ADMIN_PASSWORD_LENGTH))
    if current is None or not current.provisioning_password_enc:
        due["provisioning_password_enc"] = box.encrypt(random_secret(PROVISIONING_PASSWORD_LENGTH))
    if vendor in SCHEMES:
        if current is None or not current.config_key_enc or current.vendor != vendor:
            due["config_key_enc"] = box.encrypt(new_device_key(vendor))
    elif current is not None and current.config_key_enc:
        due["config_key_enc"] = None
    return due


def issue_secrets(item: Equipment, box: SecretBox) -> None:
    """Give a device being created all its secrets."""
    for name, value in secrets_due(item.vendor, None, box).items():
        setattr(item, name, value)
