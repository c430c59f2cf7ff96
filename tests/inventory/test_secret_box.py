"""Secrets are encrypted at rest, survive key rotation, never leak into messages, and are generated strong."""

import string

import pytest
from cryptography.fernet import Fernet

from inventory.secret_box import SecretBox, SecretError, mask, random_secret

SECRET = "Sip-Passw0rd-4242"


@pytest.fixture
def old_key() -> str:
    return SecretBox.generate_key()


@pytest.fixture
def new_key() -> str:
    return SecretBox.generate_key()


def test_generated_key_is_a_fernet_key(old_key):
    assert isinstance(old_key, str) and len(old_key) == 44
    Fernet(old_key)


@pytest.mark.parametrize("plain", [SECRET, "", "é ✓ 中文", "x" * 10_000])
def test_encrypt_then_decrypt(old_key, plain):
    box = SecretBox([old_key])
    token = box.encrypt(plain)
    assert isinstance(token, str) and token.isascii()
    assert plain == "" or plain not in token
    assert box.decrypt(token) == plain


def test_each_encryption_differs(old_key):
    box = SecretBox([old_key])
    assert box.encrypt(SECRET) != box.encrypt(SECRET)


def test_keys_may_be_bytes_or_text(old_key):
    assert SecretBox([old_key.encode()]).decrypt(SecretBox([old_key]).encrypt(SECRET)) == SECRET


def test_key_rotation(old_key, new_key):
    token = SecretBox([old_key]).encrypt(SECRET)
    both = SecretBox([new_key, old_key])
    assert both.decrypt(token) == SECRET

    rotated = both.rotate(token)
    assert SecretBox([new_key]).decrypt(rotated) == SECRET
    with pytest.raises(SecretError):
        SecretBox([new_key]).decrypt(token)
    with pytest.raises(SecretError):
        SecretBox([old_key]).decrypt(rotated)


def test_first_key_encrypts(old_key, new_key):
    token = SecretBox([new_key, old_key]).encrypt(SECRET)
    assert SecretBox([new_key]).decrypt(token) == SECRET


def _bad_tokens(key: str) -> list:
    good = SecretBox([key]).encrypt(SECRET)
    return [
        "",
        "not a token",
        good[:-4],
        good[:20] + ("A" if good[20] != "A" else "B") + good[21:],
        "é" + good,
        SecretBox([SecretBox.generate_key()]).encrypt(SECRET),
        None,
        42,
    ]


@pytest.mark.parametrize("index", range(8))
def test_decrypt_and_rotate_raise_secret_error(old_key, index):
    box = SecretBox([old_key])
    token = _bad_tokens(old_key)[index]
    for operation in (box.decrypt, box.rotate):
        with pytest.raises(SecretError) as caught:
            operation(token)
        assert isinstance(caught.value, ValueError)
        message = str(caught.value)
        assert old_key not in message
        if isinstance(token, str) and token:
            assert token not in message
        # No chained error that a log would print along with its token material.
        assert caught.value.__cause__ is None
        assert caught.value.__context__ is None or caught.value.__suppress_context__


def test_secret_never_appears_in_any_error_message(old_key, new_key):
    """Every failure path of the module, given inputs carrying the secret or the keys, keeps them out."""
    box = SecretBox([old_key])
    token = box.encrypt(SECRET)
    failures = [
        lambda: SecretBox([new_key]).decrypt(token),
        lambda: SecretBox([new_key]).rotate(token),
        lambda: box.decrypt(token[:-3] + "xyz"),
        lambda: box.decrypt(SECRET),
        lambda: SecretBox([SECRET]),
        lambda: SecretBox([old_key, SECRET]),
        lambda: SecretBox(SECRET),
        lambda: SecretBox.from_text(f"{old_key},{SECRET}"),
        lambda: SecretBox.from_text(f"{old_key}\n{old_key[:-1]}"),
        lambda: SecretBox.from_text(f"{SECRET}é"),
    ]
    for fail in failures:
        with pytest.raises(ValueError) as caught:
            fail()
        text = str(caught.value) + repr(caught.value)
        for material in (SECRET, old_key, new_key, old_key[:-1], token):
            assert material not in text


def test_repr_hides_keys(old_key, new_key):
    box = SecretBox([new_key, old_key])
    assert old_key not in repr(box) and new_key not in repr(box)
    assert "2 key" in repr(box)


@pytest.mark.parametrize(
    ("layout", "count"),
    [
        ("{new}", 1),
        ("{new},{old}", 2),
        ("{new}, {old}", 2),
        ("{new}\n{old}\n", 2),
        ("  {new}\r\n{old}  ", 2),
        ("\n{new},\n,{old},", 2),
    ],
)
def test_from_text(old_key, new_key, layout, count):
    token = SecretBox([old_key]).encrypt(SECRET)
    box = SecretBox.from_text(layout.format(new=new_key, old=old_key))
    assert repr(box) == f"<SecretBox with {count} key(s)>"
    assert SecretBox([new_key]).decrypt(box.encrypt(SECRET)) == SECRET
    if count == 2:
        assert box.decrypt(token) == SECRET


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "No encryption key found"),
        (" , \n ", "No encryption key found"),
        ("{new},short", "key #2 of 2 is not valid: expected 32 url-safe base64-encoded bytes"),
        ("bad,{new}", "key #1 of 2 is not valid"),
        ("{new};{old}", "key #1 of 1 is not valid"),  # Fernet alone would ignore what follows the padding
        ("{new} {old}", "key #1 of 1 is not valid"),
        ("{new}=", "key #1 of 1 is not valid"),
    ],
)
def test_from_text_rejects(old_key, new_key, text, fragment):
    with pytest.raises(ValueError, match=fragment):
        SecretBox.from_text(text.format(new=new_key, old=old_key))


@pytest.mark.parametrize(
    ("keys", "fragment"),
    [
        ([], "at least one encryption key"),
        ("a-single-string", "a list of keys"),
        ([42], "must be text or bytes"),
        (["é" * 44], "is not valid"),
    ],
)
def test_constructor_rejects(keys, fragment):
    with pytest.raises(ValueError, match=fragment):
        SecretBox(keys)


@pytest.mark.parametrize(("value", "shown"), [("secret", "********"), ("x", "********"), ("", ""), (None, "")])
def test_mask(value, shown):
    assert mask(value) == shown


@pytest.mark.parametrize("length", [8, 12, 16, 20, 64])
def test_random_secret(length):
    for _ in range(50):
        value = random_secret(length)
        assert len(value) == length
        assert set(value) <= set(string.ascii_letters + string.digits)
        assert any(c.isdigit() for c in value)
        assert any(c.islower() for c in value)
        assert any(c.isupper() for c in value)


def test_random_secret_default_length_and_uniqueness():
    values = {random_secret() for _ in range(200)}
    assert len(values) == 200
    assert all(len(v) == 16 for v in values)


@pytest.mark.parametrize(
    ("length", "fragment"),
    [
        (7, "too small: expected at least 8"),
        (0, "too small"),
        (-1, "too small"),
        ("16", "whole number"),
        (True, "whole number"),
    ],
)
def test_random_secret_rejects(length, fragment):
    with pytest.raises(ValueError, match=fragment):
        random_secret(length)
