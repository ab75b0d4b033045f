"""Errors at the edge: one clear line and the documented exit code, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sfimport.cli import app
from tests.cli.conftest import Invoke
from tests.fakes.services import FakeServices


def test_help_documents_every_command_and_the_exit_codes(invoke: Invoke) -> None:
    result = invoke(["--help"])
    assert result.exit_code == 0
    for command in (
        "connect",
        "connections",
        "check",
        "disconnect",
        "objects",
        "reports",
        "fields",
        "import",
        "datasets",
        "preview",
        "export",
        "sql",
        "refresh",
        "runs",
        "schedule",
        "serve",
        "demo",
        "emulator",
    ):
        assert f" {command} " in result.output
    assert "Exit codes: 0 complete; 1 failed; 2 bad usage" in " ".join(result.output.split())
    assert "3 partial" in result.output


def test_unknown_connection_is_one_error_line_and_exit_2(invoke: Invoke) -> None:
    result = invoke(["objects", "nope"])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "Error: There is no connection named 'nope'."
    assert lines[1].startswith("Fix: ")
    assert len(lines) == 2
    assert "Traceback" not in result.output


def test_unknown_connection_with_json_is_a_json_error_on_stdout(invoke: Invoke) -> None:
    result = invoke(["objects", "nope", "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "not_found"
    assert error["message"] == "There is no connection named 'nope'."
    assert error["remedy"]


def test_a_bad_option_is_a_usage_error_with_exit_2(invoke: Invoke) -> None:
    result = invoke(["datasets", "--bogus"])
    assert result.exit_code == 2
    assert "Error: No such option: --bogus" in result.stderr
    assert "Traceback" not in result.output


def test_a_bad_option_with_json_is_still_json(invoke: Invoke) -> None:
    result = invoke(["datasets", "--json", "--bogus"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["kind"] == "usage"


def test_an_unknown_command_exits_2(invoke: Invoke) -> None:
    result = invoke(["frobnicate"])
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.stderr


def test_an_unexpected_exception_is_one_line_and_exit_1(invoke: Invoke, fake: FakeServices) -> None:
    fake.explode = RuntimeError("disk on fire")
    result = invoke(["objects", "prod"])
    assert result.exit_code == 1
    assert "Error: Unexpected error: RuntimeError: disk on fire" in result.stderr
    assert "--debug" in result.stderr
    assert "Traceback" not in result.output


def test_debug_shows_the_traceback_of_an_unexpected_exception(
    invoke: Invoke, fake: FakeServices
) -> None:
    fake.explode = RuntimeError("disk on fire")
    result = invoke(["--debug", "objects", "prod"])
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr


def test_global_json_flag_applies_to_the_command(invoke: Invoke) -> None:
    result = invoke(["--json", "connections"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["connections"][0]["name"] == "prod"


def test_home_option_chooses_the_data_folder(tmp_path: Path) -> None:
    home = tmp_path / "elsewhere"
    result = CliRunner().invoke(app, ["--home", str(home), "connections", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"connections": []}
    assert (home / "metadata.sqlite").exists()
