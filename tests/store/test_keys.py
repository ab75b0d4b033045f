"""The data folder's concealment key file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfimport.errors import StoreError
from sfimport.store.keys import KEY_BYTES, load_or_create_key


def test_key_is_created_once_and_then_read_back(tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "data")
    assert len(key) == KEY_BYTES
    assert load_or_create_key(tmp_path / "data") == key
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["conceal.key"]


def test_a_damaged_key_file_is_reported_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "conceal.key").write_bytes(b"short")
    with pytest.raises(StoreError, match="damaged"):
        load_or_create_key(tmp_path)
    assert (tmp_path / "conceal.key").read_bytes() == b"short"
