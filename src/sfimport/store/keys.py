"""The data folder's concealment key: a private key file, created once and then reused.

The key makes pseudonyms deterministic per data folder (the same value gives the same pseudonym
in every data set and every refresh) while the original values stay unrecoverable without it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from sfimport.errors import StoreError

CONCEAL_KEY_FILE = "conceal.key"
KEY_BYTES = 32


def load_or_create_key(data_dir: Path, name: str = CONCEAL_KEY_FILE) -> bytes:
    """Read the key file in ``data_dir``, creating it (mode 0600) on first use.

    Two processes starting at once agree on one key: the file is created with O_EXCL from a
    fully written temporary file, so a reader never sees a partial key.
    """
    path = data_dir / name
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = data_dir / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        # link() fails when another process won the race; then its key is the key.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    except OSError as error:
        raise StoreError(f"Cannot create the key file {path}: {error.strerror}.") from error
    finally:
        temporary.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> bytes:
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise StoreError(f"Cannot read the key file {path}: {error.strerror}.") from error
    if len(key) != KEY_BYTES:
        raise StoreError(
            f"The key file {path} is damaged ({len(key)} bytes, expected {KEY_BYTES}).",
            remedy="Restore it from a backup; a new key would give every value a new pseudonym.",
        )
    return key
