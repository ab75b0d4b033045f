"""Trust checks of the command line on the real engine and the emulator: where it connects,
what it conceals, which dates it accepts and which API calls it spends."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Run, mint


@pytest.mark.parametrize(
    "login_url",
    [
        "https://evil.example",
        "https://169.254.169.254",
        "javascript:alert(1)",
        "https://x:1:2",
        f"https://{'a' * 300}.my.salesforce.com",
        "https://acme\u200b.my.salesforce.com",
    ],
)
def test_connect_refuses_foreign_or_malformed_login_urls(
    sfimport: Run, base_url: str, login_url: str
) -> None:
    result = sfimport(
        "connect", "x", "--login-url", login_url, "--refresh-token", "-", input=mint(base_url)
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("Error: ") and lines[1].startswith("Fix: "), result.stderr
    assert "Unexpected" not in result.stderr
    assert json.loads(sfimport("connections", "--json").stdout)["connections"] == []
