"""Where the secret keys come from: PROVISIONER_SECRET_KEYS, or a key file generated once under the data directory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from inventory.secret_box import SecretBox

ENV_KEYS = "PROVISIONER_SECRET_KEYS"


class KeyFileError(RuntimeError):
    """The key file exists but cannot be used safely (wrong mode, unreadable, not a key)."""


def load_secret_box(key_path: Path, environ: Mapping[str, str] = os.environ) -> SecretBox:
    """The secret box from the environment's keys, else from `key_path` (created with mode 0600 if missing)."""
    text = environ.get(ENV_KEYS, "").strip()
    if text:
        return SecretBox.from_text(text)
    if not key_path.exists():
        key_path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(SecretBox.generate_key() + "\n")
    mode = key_path.stat().st_mode & 0o777
    if mode & 0o077:
        raise KeyFileError(f"{key_path} is readable by others (mode {mode:o}); run: chmod 600 {key_path}")
    try:
        return SecretBox.from_text(key_path.read_text())
    except ValueError as exc:
        raise KeyFileError(f"{key_path}: {exc}") from None


def cookie_secret(box: SecretBox) -> str:
    """The key that signs session cookies, derived from the primary secret key so there is one key to keep."""
    return box.derive("provisioner session cookies")
