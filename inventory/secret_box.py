"""Secrets at rest (SIP and device admin passwords): Fernet encryption with key rotation, masking and generation.

The first key encrypts; every key decrypts, so a new key can be put first while old records are re-encrypted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

MASK = "********"

_EXPECTED_KEY = "expected 32 url-safe base64-encoded bytes (44 characters) as made by SecretBox.generate_key()"
_ALPHABET = string.ascii_letters + string.digits
# Fernet's own check decodes leniently and ignores anything after the padding (two keys joined by ';'
# pass as the first one), so the written form is checked first.
_KEY_FORM = re.compile(r"[A-Za-z0-9_-]{43}=")
_MIN_SECRET_LENGTH = 8


class SecretError(ValueError):
    """A secret could not be decrypted; the message holds no key or token material."""


def _fernet(key: bytes | str, position: int, count: int) -> Fernet:
    """Build one Fernet from a key, naming only its position if it is not valid."""
    if isinstance(key, bytes):
        key = key.decode("ascii", "replace")
    if not isinstance(key, str):
        raise ValueError(f"Encryption key #{position} of {count} must be text or bytes, not {type(key).__name__}")
    key = key.strip()
    if not _KEY_FORM.fullmatch(key):
        raise ValueError(f"Encryption key #{position} of {count} is not valid: {_EXPECTED_KEY}")
    try:
        return Fernet(key)
    except (ValueError, TypeError):
        # from None: the chained error could carry parts of the key into a log.
        raise ValueError(f"Encryption key #{position} of {count} is not valid: {_EXPECTED_KEY}") from None


class SecretBox:
    """Encrypts secrets with the first of its keys and decrypts them with any of them."""

    def __init__(self, keys: Iterable[bytes | str]):
        if isinstance(keys, (str, bytes)):
            raise ValueError("SecretBox expects a list of keys, not a single value: use SecretBox.from_text for text")
        key_list = list(keys)
        if not key_list:
            raise ValueError(f"SecretBox needs at least one encryption key: {_EXPECTED_KEY}")
        count = len(key_list)
        self._fernet = MultiFernet([_fernet(key, i, count) for i, key in enumerate(key_list, start=1)])
        self._count = count
        self._primary = key_list[0].encode("ascii") if isinstance(key_list[0], str) else bytes(key_list[0])

    def __repr__(self) -> str:
        return f"<SecretBox with {self._count} key(s)>"

    def derive(self, purpose: str) -> str:
        """A key for another use (such as signing cookies), derived from the primary key so only one is kept."""
        return hmac.new(self._primary, purpose.encode("utf-8"), hashlib.sha256).hexdigest()

    @classmethod
    def from_text(cls, text: str) -> SecretBox:
        """Build a box from keys separated by commas or newlines, as held in a configuration value."""
        if not isinstance(text, str):
            raise ValueError(f"Encryption keys must be text, not {type(text).__name__}")
        keys = [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]
        if not keys:
            raise ValueError(
                f"No encryption key found in the key list: {_EXPECTED_KEY}, separated by commas or newlines"
            )
        return cls(keys)

    @staticmethod
    def generate_key() -> str:
        """Return a new random Fernet key as text."""
        return Fernet.generate_key().decode("ascii")

    def encrypt(self, plain: str) -> str:
        """Return `plain` encrypted with the first key, as an ASCII token."""
        if not isinstance(plain, str):
            raise ValueError(f"Secret to encrypt must be text, not {type(plain).__name__}")
        return self._fernet.encrypt(plain.encode("utf-8", "surrogatepass")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Return the secret in `token`; raise SecretError if no key opens it or it was altered."""
        try:
            data = self._fernet.decrypt(self._token_bytes(token))
            return data.decode("utf-8", "surrogatepass")
        except (InvalidToken, UnicodeDecodeError):
            raise SecretError(
                "Secret could not be decrypted: the stored value is damaged or was encrypted with a key "
                "that is no longer configured"
            ) from None

    def rotate(self, token: str) -> str:
        """Return `token` re-encrypted with the first key; raise SecretError if no key opens it."""
        try:
            return self._fernet.rotate(self._token_bytes(token)).decode("ascii")
        except InvalidToken:
            raise SecretError(
                "Secret could not be re-encrypted: the stored value is damaged or was encrypted with a key "
                "that is no longer configured"
            ) from None

    @staticmethod
    def _token_bytes(token: str) -> bytes:
        if not isinstance(token, (str, bytes)):
            raise SecretError(f"Encrypted secret must be text, not {type(token).__name__}")
        if isinstance(token, str):
            if not token.isascii():
                raise SecretError("Encrypted secret is not valid: expected an ASCII Fernet token")
            token = token.encode("ascii")
        return token


def mask(value: str | None) -> str:
    """Return "********" for any non-empty secret and "" when there is none, for display."""
    return MASK if value else ""


def random_secret(length: int = 16) -> str:
    """Return a random password of letters and digits with at least one digit, one lower- and one upper-case letter."""
    if not isinstance(length, int) or isinstance(length, bool):
        raise ValueError(f"Random secret length must be a whole number, not {type(length).__name__}")
    if length < _MIN_SECRET_LENGTH:
        raise ValueError(f"Random secret length {length} is too small: expected at least {_MIN_SECRET_LENGTH}")
    while True:
        # Drawing again until all classes appear keeps every accepted password equally likely.
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if (
            any(c.isdigit() for c in candidate)
            and any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
        ):
            return candidate
