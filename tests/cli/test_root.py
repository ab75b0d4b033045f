"""The root command: help, version, the command table and what `--help` costs."""

import importlib
import inspect
import subprocess
import sys

import typer
from typer.testing import CliRunner

from sfimport import __version__
from sfimport.cli import app
from sfimport.cli.commands import COMMANDS, PendingCommand

runner = CliRunner()


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"sfimport {__version__}"


def test_help_lists_the_demo_and_emulator_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "demo" in result.output
    assert "emulator" in result.output


def test_help_lists_each_command_with_the_first_line_of_its_own_help() -> None:
    for entry in COMMANDS:
        real = PendingCommand(entry).load()
        assert real.name == entry.name
        assert inspect.cleandoc(real.help or "").splitlines()[0] == entry.summary


def test_every_command_a_module_registers_is_in_the_command_table() -> None:
    listed = {entry.name for entry in COMMANDS}
    for module in {entry.module for entry in COMMANDS}:
        scratch = typer.Typer()
        importlib.import_module(module).register(scratch)
        assert {c.name for c in scratch.registered_commands} <= listed, module


HEAVY = ("duckdb", "pyarrow", "fastapi", "uvicorn", "httpx2", "pydantic_settings", "sfimport.")
PROBE = """
import sys
from sfimport.cli import main
sys.argv = ["sfimport", "--help"]
try:
    main()
except SystemExit as done:
    assert not done.code, done.code
print(" ".join(sorted(sys.modules)))
"""


def test_help_imports_neither_the_engine_nor_the_web_app_nor_the_emulator() -> None:
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = probe.stdout.split()
    assert "sfimport.cli.app" in loaded
    heavy = [
        m
        for m in loaded
        if m.startswith(HEAVY) and m != "sfimport.cli" and not m.startswith("sfimport.cli.")
    ]
    assert heavy == ["sfimport.errors"]
