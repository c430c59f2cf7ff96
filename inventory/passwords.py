"""Staff passwords: the policy a new password must meet, and salted scrypt hashes to store and check them.

A stored hash describes itself as ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`` so parameters can be raised later.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from inventory.secret_box import random_secret

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32

MIN_LENGTH = 12
MAX_LENGTH = 1024
#: Length of a generated one-time password (letters and digits): well past the policy's minimum.
ONE_TIME_LENGTH = 20

# Bounds on parameters read back from storage, so a tampered row cannot make a login use gigabytes of memory.
_MAX_N = 2**20
_MAX_R = 32
_MAX_P = 16
_MAX_MEMORY = 256 * 1024 * 1024

# The most common passwords that are long enough to pass the length rule; compared case-insensitively.
COMMON_PASSWORDS = frozenset(
    {
        "password1234",
        "password12345",
        "password123456",
        "passwordpassword",
        "password123!",
        "p@ssw0rd1234",
        "motdepasse123",
        "motdepasse1234",
        "motdepassemotdepasse",
        "azertyuiop12",
        "azertyuiop123",
        "azerty123456",
        "azertyazerty",
        "qwertyuiop12",
        "qwertyuiop123",
        "qwerty123456",
        "qwertyqwerty",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "abcdefghijkl",
        "abc123abc123",
        "administrator",
        "administrateur",
        "changeme1234",
        "iloveyou1234",
        "welcome12345",
        "bienvenue123",
        "bienvenue1234",
        "letmein12345",
        "soleil123456",
    }
)


def check_password_policy(password: str) -> None:
    """Raise ValueError naming the rule a new staff password breaks; the message never contains the password."""
    if not isinstance(password, str):
        raise ValueError(f"Password must be text, not {type(password).__name__}")
    if len(password) < MIN_LENGTH:
        raise ValueError(f"Password is too short: expected at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValueError(f"Password is too long: expected at most {MAX_LENGTH} characters")
    if password.isdigit():
        raise ValueError("Password is made only of digits: expected letters or symbols as well")
    if len(set(password)) == 1:
        raise ValueError("Password repeats a single character: expected a mix of characters")
    if password.casefold() in COMMON_PASSWORDS:
        raise ValueError("Password is one of the most common passwords: expected one that is hard to guess")


def one_time_password() -> str:
    """A strong random password for an account, to be changed at first use (it meets the policy)."""
    return random_secret(ONE_TIME_LENGTH)


def _encode(password: str) -> bytes:
    # surrogatepass: a stray surrogate from a form is hashed like any character instead of raising an
    # error whose message would quote part of the password.
    return password.encode("utf-8", "surrogatepass")


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    """Split a stored hash into (n, r, p, salt, key), or None if it is malformed or its parameters are unsafe."""
    if not isinstance(stored, str):
        return None
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    if not all(part.isascii() and part.isdigit() for part in parts[1:4]):
        return None
    n, r, p = (int(part) for part in parts[1:4])
    if not (2 <= n <= _MAX_N and n & (n - 1) == 0 and 1 <= r <= _MAX_R and 1 <= p <= _MAX_P):
        return None
    if 128 * n * r > _MAX_MEMORY:
        return None
    try:
        salt = base64.b64decode(parts[4], validate=True)
        key = base64.b64decode(parts[5], validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(salt) < 8 or not 16 <= len(key) <= 64:
        return None
    return n, r, p, salt, key


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of `password` to store, in the form ``scrypt$n$r$p$salt$hash``."""
    if not isinstance(password, str):
        raise ValueError(f"Password must be text, not {type(password).__name__}")
    salt = os.urandom(SALT_BYTES)
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    key = kdf.derive(_encode(password))
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64encode(salt)}${_b64encode(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Return True if `password` matches the stored hash, comparing in constant time; False if `stored` is malformed."""
    parsed = _parse(stored)
    if parsed is None or not isinstance(password, str):
        return False
    n, r, p, salt, key = parsed
    kdf = Scrypt(salt=salt, length=len(key), n=n, r=r, p=p)
    try:
        kdf.verify(_encode(password), key)
    except InvalidKey:
        return False
    return True


def needs_rehash(stored: str) -> bool:
    """Return True if the stored hash was made with other parameters than today's (or is malformed)."""
    parsed = _parse(stored)
    if parsed is None:
        return True
    n, r, p, salt, key = parsed
    return (n, r, p, len(salt), len(key)) != (SCRYPT_N, SCRYPT_R, SCRYPT_P, SALT_BYTES, KEY_BYTES)
