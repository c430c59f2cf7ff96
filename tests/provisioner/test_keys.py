"""Where the secret keys come from: the environment, or a key file made once with mode 0600."""

from __future__ import annotations

import stat

import pytest

from inventory.secret_box import SecretBox
from provisioner.keys import ENV_KEYS, KeyFileError, cookie_secret, load_secret_box


def test_key_file_is_generated_once_with_mode_0600(tmp_path):
    path = tmp_path / "var" / "secret.key"
    first = load_secret_box(path, environ={})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    token = first.encrypt("sip secret")
    second = load_secret_box(path, environ={})
    assert second.decrypt(token) == "sip secret"
    assert cookie_secret(first) == cookie_secret(second)


def test_environment_keys_take_precedence_and_rotate(tmp_path):
    old, new = SecretBox.generate_key(), SecretBox.generate_key()
    token = load_secret_box(tmp_path / "unused.key", environ={ENV_KEYS: old}).encrypt("device admin")
    rotated = load_secret_box(tmp_path / "unused.key", environ={ENV_KEYS: f"{new},{old}"})
    assert rotated.decrypt(token) == "device admin"
    assert SecretBox([new]).decrypt(rotated.rotate(token)) == "device admin"
    assert not (tmp_path / "unused.key").exists()


def test_a_key_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / "secret.key"
    load_secret_box(path, environ={})
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_secret_box(path, environ={})


def test_a_damaged_key_file_is_refused_without_echoing_it(tmp_path):
    path = tmp_path / "secret.key"
    path.write_text("not-a-fernet-key-but-a-secret-looking-thing\n")
    path.chmod(0o600)
    with pytest.raises(KeyFileError) as caught:
        load_secret_box(path, environ={})
    assert "secret-looking" not in str(caught.value)
