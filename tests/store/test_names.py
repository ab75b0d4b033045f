"""Folder and data set names."""

from __future__ import annotations

import pytest

from sfimport.errors import UsageError
from sfimport.store.names import quote, suggest_name, validate_name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Opportunities by Stage (Q3)", "Opportunities by Stage _Q3"),
        ("2024 pipeline", "Data 2024 pipeline"),
        ("main", "main data"),
        ("Ünïcode Report", "Unicode Report"),
    ],
)
def test_suggested_names_are_valid(text: str, expected: str) -> None:
    assert suggest_name(text) == expected
    assert validate_name(suggest_name(text)) == expected


def test_long_names_are_refused_with_the_limit() -> None:
    with pytest.raises(UsageError, match="63"):
        validate_name("a" * 64)
    assert len(suggest_name("a" * 100)) == 63


def test_quoted_identifiers_escape_quotes() -> None:
    assert quote('Amount "USD"') == '"Amount ""USD"""'
