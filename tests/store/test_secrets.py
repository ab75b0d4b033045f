"""Secrets at rest: tokens encrypted with a key from the environment or a private key file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sfimport.errors import ConfigurationError
from sfimport.settings import Settings
from sfimport.store.secrets import TOKEN_KEY_FILE, SecretBox, generate_key

TOKEN = "00DRO0000008aXd!AQ4AQFakeAccessTokenForTests.abcdefghijklmnop"


def test_encrypted_text_decrypts_back_and_hides_the_text(tmp_path: Path) -> None:
    box = SecretBox.from_settings(Settings(home=tmp_path))
    sealed = box.encrypt(TOKEN, context="connection:acme:access_token")
    assert TOKEN.encode() not in sealed
    assert box.decrypt(sealed, context="connection:acme:access_token") == TOKEN


def test_the_same_text_encrypts_differently_each_time(tmp_path: Path) -> None:
    box = SecretBox.from_settings(Settings(home=tmp_path))
    assert box.encrypt(TOKEN, context="c") != box.encrypt(TOKEN, context="c")


def test_a_ciphertext_moved_to_another_connection_does_not_decrypt(tmp_path: Path) -> None:
    box = SecretBox.from_settings(Settings(home=tmp_path))
    sealed = box.encrypt(TOKEN, context="connection:acme:refresh_token")
    with pytest.raises(ConfigurationError):
        box.decrypt(sealed, context="connection:globex:refresh_token")


def test_the_key_file_is_created_once_with_private_permissions(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    sealed = SecretBox.from_settings(settings).encrypt(TOKEN, context="c")
    key_file = tmp_path / TOKEN_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # A second process (a new box) reads the same key.
    assert SecretBox.from_settings(settings).decrypt(sealed, context="c") == TOKEN


def test_a_key_file_readable_by_others_is_made_private_again(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    SecretBox.from_settings(settings)
    key_file = tmp_path / TOKEN_KEY_FILE
    key_file.chmod(0o644)
    SecretBox.from_settings(settings)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_key_from_the_environment_is_used_instead_of_a_file(tmp_path: Path) -> None:
    key = generate_key()
    sealed = SecretBox.from_settings(Settings(home=tmp_path, secret_key=key)).encrypt(
        TOKEN, context="c"
    )
    assert not (tmp_path / TOKEN_KEY_FILE).exists()
    assert (
        SecretBox.from_settings(Settings(home=tmp_path, secret_key=key)).decrypt(
            sealed, context="c"
        )
        == TOKEN
    )
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        SecretBox.from_settings(Settings(home=tmp_path, secret_key=generate_key())).decrypt(
            sealed, context="c"
        )


@pytest.mark.parametrize("bad_key", ["not base64 at all!!", "c2hvcnQ="])
def test_a_malformed_environment_key_is_a_configuration_error(tmp_path: Path, bad_key: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        SecretBox.from_settings(Settings(home=tmp_path, secret_key=bad_key))
    assert "generate_key" in caught.value.remedy


def test_the_box_never_shows_its_key(tmp_path: Path) -> None:
    key = generate_key()
    assert key not in repr(SecretBox.from_settings(Settings(home=tmp_path, secret_key=key)))
