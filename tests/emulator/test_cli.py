"""`sfimport emulator` prints what a person needs to log in, then serves."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from sfimport.cli import app
from sfimport.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USERS


def test_emulator_command_prints_url_client_and_users(monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}

    def fake_run(app_: Any, host: str, port: int, tls: Any) -> None:
        served.update(host=host, port=port, tls=tls)

    monkeypatch.setattr("sfimport.emulator.server.run", fake_run)
    result = CliRunner().invoke(
        app, ["emulator", "--port", "18444", "--tls", "--scale", "Account=20,Contact=30"]
    )
    assert result.exit_code == 0, result.output
    assert "https://127.0.0.1:18444" in result.output
    assert DEMO_CLIENT_ID in result.output and DEMO_CLIENT_SECRET in result.output
    for user in DEMO_USERS:
        assert f"{user.username} / {user.password}" in result.output
    assert served["port"] == 18444 and served["tls"].cert_path.exists()
    assert str(served["tls"].cert_path) in result.output


def test_emulator_command_rejects_a_bad_scale() -> None:
    result = CliRunner().invoke(app, ["emulator", "--scale", "Nope=5"])
    assert result.exit_code == 2
