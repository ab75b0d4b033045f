"""`sfimport emulator` prints what a person needs to log in, then serves."""

from __future__ import annotations

import stat
from typing import Any

import pytest
from typer.testing import CliRunner

from sfimport.cli import app
from sfimport.emulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_USERS


def _serve_nothing(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    served: dict[str, Any] = {}

    def fake_run(app_: Any, host: str, port: int, tls: Any, sock: Any) -> None:
        served.update(host=host, port=port, tls=tls, sock=sock)

    monkeypatch.setattr("sfimport.emulator.server.run", fake_run)
    return served


def test_emulator_command_prints_url_client_and_users(monkeypatch: pytest.MonkeyPatch) -> None:
    served = _serve_nothing(monkeypatch)
    result = CliRunner().invoke(
        app, ["emulator", "--port", "0", "--tls", "--scale", "Account=20,Contact=30"]
    )
    try:
        assert result.exit_code == 0, result.output
        port = served["port"]
        assert port == served["sock"].getsockname()[1] and port > 0
        assert f"https://127.0.0.1:{port}" in result.output
        assert DEMO_CLIENT_ID in result.output and DEMO_CLIENT_SECRET in result.output
        for user in DEMO_USERS:
            assert f"{user.username} / {user.password}" in result.output
        assert served["tls"].cert_path.exists()
        assert str(served["tls"].cert_path) in result.output
    finally:
        served["sock"].close()


def test_a_second_emulator_on_a_taken_port_leaves_the_first_ones_tls_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    served = _serve_nothing(monkeypatch)
    first = CliRunner().invoke(app, ["emulator", "--port", "0", "--tls"])
    assert first.exit_code == 0, first.output
    files, sock = served["tls"], served["sock"]
    try:
        sock.listen()
        key = files.key_path.read_bytes()
        assert stat.S_IMODE(files.key_path.stat().st_mode) == 0o600
        assert stat.S_IMODE(files.key_path.parent.stat().st_mode) == 0o700
        second = CliRunner().invoke(app, ["emulator", "--port", str(served["port"]), "--tls"])
        assert second.exit_code == 2
        assert "cannot listen on 127.0.0.1" in second.output
        assert files.key_path.read_bytes() == key  # not overwritten
    finally:
        sock.close()


def test_scale_help_says_it_sets_the_total() -> None:
    result = CliRunner().invoke(app, ["emulator", "--help"], env={"COLUMNS": "200"})
    assert "the total" in result.output


def test_emulator_command_rejects_a_bad_scale() -> None:
    result = CliRunner().invoke(app, ["emulator", "--scale", "Nope=5"])
    assert result.exit_code == 2
