"""The root command: help and version."""

from typer.testing import CliRunner

from sfimport import __version__
from sfimport.cli import app

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
