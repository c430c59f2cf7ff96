"""Staff passwords meet the policy, are stored as salted scrypt hashes and are checked against them."""

import base64

import pytest
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from inventory.passwords import check_password_policy, hash_password, needs_rehash, verify_password

SECRET = "Correct-Horse-Battery-9"


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password(SECRET)


def test_hash_describes_its_parameters(stored):
    scheme, n, r, p, salt, key = stored.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16384", "8", "1")
    assert len(base64.b64decode(salt, validate=True)) == 16
    assert len(base64.b64decode(key, validate=True)) == 32
    assert SECRET not in stored


def test_same_password_gets_a_new_salt_each_time(stored):
    assert hash_password(SECRET) != stored


@pytest.mark.parametrize(
    ("attempt", "matches"),
    [
        (SECRET, True),
        (SECRET.lower(), False),
        (SECRET + " ", False),
        (SECRET[:-1], False),
        ("", False),
    ],
)
def test_verify_password(stored, attempt, matches):
    assert verify_password(attempt, stored) is matches


def test_verify_uses_the_parameters_in_the_stored_string():
    old = hash_password("an older password")
    # A hash made with other parameters (as after a future change of defaults) still verifies.
    salt = b"0123456789abcdef"
    key = Scrypt(salt=salt, length=32, n=2**12, r=8, p=1).derive(b"an older password")
    weaker = f"scrypt$4096$8$1${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"
    assert verify_password("an older password", weaker)
    assert not verify_password("another password", weaker)
    assert needs_rehash(weaker)
    assert not needs_rehash(old)


def test_unicode_passwords_round_trip():
    stored = hash_password("mot de passe très sûr ✓")
    assert verify_password("mot de passe très sûr ✓", stored)
    assert not verify_password("mot de passe tres sur ✓", stored)


def _variant(stored: str, index: int, value: str) -> str:
    parts = stored.split("$")
    parts[index] = value
    return "$".join(parts)


@pytest.mark.parametrize(
    "make_malformed",
    [
        lambda s: "",
        lambda s: "not a hash",
        lambda s: "scrypt$",
        lambda s: s.replace("scrypt", "bcrypt", 1),
        lambda s: s + "$extra",
        lambda s: s.rsplit("$", 1)[0],
        lambda s: _variant(s, 1, "abc"),
        lambda s: _variant(s, 1, "-16384"),
        lambda s: _variant(s, 1, "16385"),  # not a power of two
        lambda s: _variant(s, 1, str(2**30)),  # would use gigabytes
        lambda s: _variant(s, 2, "0"),
        lambda s: _variant(s, 3, "0"),
        lambda s: _variant(s, 4, "!!not base64!!"),
        lambda s: _variant(s, 5, "!!not base64!!"),
        lambda s: _variant(s, 5, ""),
        lambda s: None,
        lambda s: 12,
    ],
)
def test_malformed_stored_hash_does_not_verify(stored, make_malformed):
    malformed = make_malformed(stored)
    assert verify_password(SECRET, malformed) is False
    assert needs_rehash(malformed) is True


def test_tampered_hash_does_not_verify(stored):
    key = base64.b64decode(stored.rsplit("$", 1)[1])
    flipped = bytes([key[0] ^ 1]) + key[1:]
    assert not verify_password(SECRET, _variant(stored, 5, base64.b64encode(flipped).decode()))


@pytest.mark.parametrize(
    "password",
    [
        "Correct-Horse-Battery-9",
        "twelve chars",
        "abcdefghijk1",
        "a" * 11 + "b",
        "x" * 1023 + "y",
        "mot de passe très sûr",
    ],
)
def test_policy_accepts(password):
    check_password_policy(password)


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("", "too short: expected at least 12 characters"),
        ("Short-pass1", "too short: expected at least 12 characters"),
        ("x" * 1024 + "y", "too long: expected at most 1024 characters"),
        ("123456789012", "only of digits"),
        ("000000000000000000", "only of digits"),
        ("aaaaaaaaaaaa", "single character"),
        ("password1234", "most common passwords"),
        ("PASSWORD1234", "most common passwords"),
        ("azerty123456", "most common passwords"),
        ("Motdepasse123", "most common passwords"),
        (None, "must be text"),
    ],
)
def test_policy_rejects(password, fragment):
    with pytest.raises(ValueError, match=fragment):
        check_password_policy(password)


@pytest.mark.parametrize(
    "password",
    ["", "Short-pass1", "x" * 1024 + "y", "123456789012", "aaaaaaaaaaaa", "password1234", "PASSWORD1234"],
)
def test_policy_message_never_contains_the_password(password):
    with pytest.raises(ValueError) as caught:
        check_password_policy(password)
    if password:
        assert password.casefold() not in str(caught.value).casefold()
