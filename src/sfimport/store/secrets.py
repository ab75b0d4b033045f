"""Encryption of secrets at rest (OAuth tokens): AES-256-GCM with a per-installation key.

The key comes from ``SFIMPORT_SECRET_KEY`` (URL-safe base64 of 32 bytes) or, when unset, from
``tokens.key`` in the data folder, created once with mode 0600. Each ciphertext is bound to
what it protects (``context``, e.g. ``connection:acme:refresh_token``), so a ciphertext copied
into another row or column does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sfimport.errors import ConfigurationError, StoreError
from sfimport.settings import Settings
from sfimport.store.keys import load_or_create_key

TOKEN_KEY_FILE = "tokens.key"
KEY_BYTES = 32
_NONCE_BYTES = 12
# A format tag in front of every ciphertext, so the scheme can change without guessing.
_VERSION = b"\x01"


def generate_key() -> str:
    """A fresh key in the form ``SFIMPORT_SECRET_KEY`` expects."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


class SecretBox:
    """Encrypts and decrypts short texts. The key never appears in ``repr``."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ConfigurationError(f"The secret key must be {KEY_BYTES} bytes long.")
        self._aead = AESGCM(key)

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        """The box for this installation: the environment's key, else the data folder's."""
        if settings.secret_key:
            return cls(_decode_key(settings.secret_key))
        data_dir = settings.data_dir()
        key = load_or_create_key(data_dir, TOKEN_KEY_FILE)
        _keep_private(data_dir / TOKEN_KEY_FILE)
        return cls(key)

    def encrypt(self, text: str, *, context: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, text.encode("utf-8"), context.encode("utf-8"))
        return _VERSION + nonce + sealed

    def decrypt(self, blob: bytes, *, context: str) -> str:
        if not blob.startswith(_VERSION) or len(blob) < 1 + _NONCE_BYTES + 16:
            raise ConfigurationError("A stored secret is damaged or in an unknown format.")
        nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, context.encode("utf-8")).decode("utf-8")
        except InvalidTag as exc:
            raise ConfigurationError(
                "A stored token cannot be decrypted with this installation's key.",
                remedy="Set SFIMPORT_SECRET_KEY back to the key used when the connection was "
                "made, or delete the connection and create it again.",
            ) from exc

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"


def _decode_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise ConfigurationError(
            "SFIMPORT_SECRET_KEY is not valid base64.", remedy=_KEY_REMEDY
        ) from exc
    if len(key) != KEY_BYTES:
        raise ConfigurationError(
            f"SFIMPORT_SECRET_KEY must decode to {KEY_BYTES} bytes, not {len(key)}.",
            remedy=_KEY_REMEDY,
        )
    return key


_KEY_REMEDY = (
    'Generate a key with: python -c "import sfimport.store.secrets as s; print(s.generate_key())"'
)


def _keep_private(path: Path) -> None:
    """Tighten a key file someone made readable by others back to 0600."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, 0o600)
    except OSError as exc:
        raise StoreError(f"Cannot secure the key file {path}: {exc.strerror}.") from exc
