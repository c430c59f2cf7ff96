"""Configuration encryption: our files round-trip, and the openssl command, an independent tool, reads them."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from provisioner.provisioning.encryption import (
    SCHEMES,
    cisco_decrypt,
    cisco_encrypt,
    evp_bytes_to_key_md5,
    new_device_key,
    yealink_decrypt,
    yealink_encrypt,
)

OPENSSL = shutil.which("openssl") or "openssl"  # installed by .ci/run: these tests fail without it

YEALINK_KEY = "k3Y9a7QzP2mW8xR4"
CISCO_KEY = "SecretPhrase1234"  # the example of Cisco's provisioning guides

BODIES = {
    "empty": b"",
    "one byte": b"\n",
    "one block": b"lang.gui=French\n",  # 16 bytes
    "exact multiple of 16": b"account.1.enable = 1\nlang.gui=1\n",  # 32 bytes
    "one short of a block": b"static.auto_provision.server.url = http://prov.example.net/\n"[:47],
    "utf-8": "## Ligne 1 : Sébastien Lefèvre — 電話\naccount.1.display_name = Zoë\n".encode("utf-8"),
    "every byte value": bytes(range(256)) * 3,
    "xml profile": b'<?xml version="1.0" encoding="UTF-8"?>\n<flat-profile>\n'
                   + b'  <Password_1_ ua="na">p&amp;ss&lt;word</Password_1_>\n' * 40 + b"</flat-profile>\n",
}


def test_the_fixed_lengths_are_what_the_cases_say():
    assert len(BODIES["one block"]) == 16
    assert len(BODIES["exact multiple of 16"]) == 32
    assert len(BODIES["one short of a block"]) == 47


def openssl(*args: str, data: bytes) -> bytes:
    """Run ``openssl enc`` with `args` on `data` and return its output; fail the test with its error if it fails."""
    result = subprocess.run([OPENSSL, "enc", *args], input=data, capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    return result.stdout


# How openssl decrypts and encrypts each vendor's format, given the key.
OPENSSL_DECRYPT = {
    "yealink": lambda key: ["-d", "-aes-128-ecb", "-K", key.encode("ascii").hex()],
    "cisco": lambda key: ["-d", "-aes-256-cbc", "-md", "md5", "-k", key],
}
OPENSSL_ENCRYPT = {
    "yealink": lambda key: ["-e", "-aes-128-ecb", "-K", key.encode("ascii").hex()],
    "cisco": lambda key: ["-e", "-aes-256-cbc", "-md", "md5", "-k", key],
}
KEYS = {"yealink": YEALINK_KEY, "cisco": CISCO_KEY}
CASES = [(vendor, name) for vendor in SCHEMES for name in BODIES]


@pytest.mark.parametrize("vendor, body_name", CASES)
def test_round_trip(vendor, body_name):
    scheme, body = SCHEMES[vendor], BODIES[body_name]
    encrypted = scheme.encrypt(body, KEYS[vendor])
    assert len(body) < 8 or body not in encrypted  # a byte or two may turn up in random ciphertext by chance
    assert scheme.decrypt(encrypted, KEYS[vendor]) == body


@pytest.mark.parametrize("vendor, body_name", CASES)
def test_openssl_decrypts_our_files(vendor, body_name):
    body = BODIES[body_name]
    encrypted = SCHEMES[vendor].encrypt(body, KEYS[vendor])
    # openssl checks the PKCS#7 padding itself: a wrong pad or key fails the command, not just the comparison.
    assert openssl(*OPENSSL_DECRYPT[vendor](KEYS[vendor]), data=encrypted) == body


@pytest.mark.parametrize("vendor, body_name", CASES)
def test_we_decrypt_files_openssl_made(vendor, body_name):
    body = BODIES[body_name]
    made_by_openssl = openssl(*OPENSSL_ENCRYPT[vendor](KEYS[vendor]), data=body)
    assert SCHEMES[vendor].decrypt(made_by_openssl, KEYS[vendor]) == body


@pytest.mark.parametrize("body_name", BODIES)
def test_yealink_files_are_byte_for_byte_openssl_aes_128_ecb(body_name):
    # ECB has no IV or salt, so the same key and file must give exactly openssl's bytes.
    body = BODIES[body_name]
    assert yealink_encrypt(body, YEALINK_KEY) == openssl(*OPENSSL_ENCRYPT["yealink"](YEALINK_KEY), data=body)


def test_cisco_key_derivation_is_openssl_evp_bytes_to_key_with_md5():
    # openssl -P prints the salt, key and IV it derives from a passphrase and a fixed salt.
    printed = openssl("-e", "-aes-256-cbc", "-md", "md5", "-k", CISCO_KEY, "-S", "0001020304050607", "-P", data=b"")
    values = dict(re.findall(r"(salt|key|iv)\s*=\s*([0-9A-F]+)", printed.decode("ascii")))
    derived = evp_bytes_to_key_md5(CISCO_KEY.encode("ascii"), bytes(range(8)), 48)
    assert derived.hex().upper() == values["key"] + values["iv"]


@pytest.mark.parametrize("body_name", ["empty", "one block", "exact multiple of 16", "utf-8"])
def test_lengths_follow_the_padding(body_name):
    body = BODIES[body_name]
    padded = (len(body) // 16 + 1) * 16  # PKCS#7 always adds 1 to 16 bytes: a whole block for 0, 16 or 32 bytes
    assert len(yealink_encrypt(body, YEALINK_KEY)) == padded
    encrypted = cisco_encrypt(body, CISCO_KEY)
    assert encrypted[:8] == b"Salted__" and len(encrypted) == 16 + padded


def test_cisco_files_have_a_new_salt_each_time():
    first, second = cisco_encrypt(b"same profile", CISCO_KEY), cisco_encrypt(b"same profile", CISCO_KEY)
    assert first[8:16] != second[8:16] and first[16:] != second[16:]
    assert cisco_decrypt(first, CISCO_KEY) == cisco_decrypt(second, CISCO_KEY) == b"same profile"


@pytest.mark.parametrize("vendor, pattern", [
    ("yealink", r"[A-Za-z0-9]{16}"),
    ("cisco", r"[A-Za-z0-9]{32}"),
])
def test_new_device_keys_have_the_scheme_alphabet_and_length(vendor, pattern):
    keys = {new_device_key(vendor) for _ in range(50)}
    assert len(keys) == 50
    assert all(re.fullmatch(pattern, key) for key in keys)
    for key in keys:
        assert SCHEMES[vendor].decrypt(SCHEMES[vendor].encrypt(b"x", key), key) == b"x"


@pytest.mark.parametrize("vendor", ["grandstream", "snom", "Yealink", ""])
def test_vendors_without_a_scheme_are_named_in_the_error(vendor):
    with pytest.raises(ValueError, match="expected one of yealink, cisco"):
        new_device_key(vendor)


@pytest.mark.parametrize("function, key, expected", [
    (yealink_encrypt, "short", "16 characters"),
    (yealink_encrypt, "k3Y9a7QzP2mW8xR4k3Y9a7QzP2mW8xR4", "16 characters"),  # 32 characters: not verified
    (yealink_encrypt, "k3Y9a7QzP2mW8xRé", "16 characters"),
    (yealink_encrypt, "k3Y9a7QzP2mW8x R", "16 characters"),
    (cisco_encrypt, "", "8 to 64"),
    (cisco_encrypt, "with space 1234", "8 to 64"),
    (cisco_encrypt, 'quote"inside1234', "8 to 64"),
    (cisco_encrypt, "$MA-expands-1234", "8 to 64"),
])
def test_keys_of_the_wrong_form_are_refused(function, key, expected):
    with pytest.raises(ValueError, match=expected):
        function(b"profile", key)


def test_yealink_accepts_the_documented_special_characters():
    key = "#$%*+,-.:=?@[]^_"
    assert yealink_decrypt(yealink_encrypt(b"x", key), key) == b"x"


@pytest.mark.parametrize("function, key, data, expected", [
    (yealink_decrypt, YEALINK_KEY, b"", "16-byte blocks"),
    (yealink_decrypt, YEALINK_KEY, b"\x00" * 15, "16-byte blocks"),
    (cisco_decrypt, CISCO_KEY, b"plain profile, no header", "Salted__"),
    (cisco_decrypt, CISCO_KEY, b"Salted__12345678", "16-byte blocks"),
    (cisco_decrypt, CISCO_KEY, b"Salted__12345678" + b"\x00" * 20, "16-byte blocks"),
])
def test_damaged_files_are_refused(function, key, data, expected):
    with pytest.raises(ValueError, match=expected):
        function(data, key)


def test_a_file_decrypted_with_another_key_is_refused_not_returned():
    # Fixed inputs: this pair's last block does not end in valid padding (checked once, deterministic for ECB).
    encrypted = yealink_encrypt(b"account.1.password = secret\n", YEALINK_KEY)
    with pytest.raises(ValueError, match="wrong key or damaged file"):
        yealink_decrypt(encrypted, "AAAAAAAAAAAAAAAA")
