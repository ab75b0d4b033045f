"""The token registry of a long-running process stays bounded, newest tokens kept."""

from __future__ import annotations

from collections import OrderedDict

import pytest

from sfimport.salesforce import redaction
from sfimport.salesforce.redaction import (
    MAX_REMEMBERED_SECRETS,
    REDACTED,
    redact,
    remember_secret,
    remembered_count,
)


def test_the_registry_keeps_the_newest_tokens_and_stays_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A registry of its own, so the tokens other tests registered stay registered.
    monkeypatch.setattr(redaction, "_secrets", OrderedDict())
    for n in range(MAX_REMEMBERED_SECRETS + 500):
        remember_secret(f"opaque-session-{n:06d}")
    assert remembered_count() == MAX_REMEMBERED_SECRETS
    newest = f"opaque-session-{MAX_REMEMBERED_SECRETS + 499:06d}"
    assert redact(f"sent {newest}") == f"sent {REDACTED}"
    assert redact("sent opaque-session-000000") == "sent opaque-session-000000"  # aged out
