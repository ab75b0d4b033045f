"""Log lines the CLI shows (-v, --debug) are redacted at the handler, so a token logged by any
logger (not only those that carry the filter themselves) never reaches stderr."""

from __future__ import annotations

import json
import logging
import sys
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sfimport.cli import app
from sfimport.cli.context import configure_logging

OLD_FOLDER = Path(__file__).parent.parent / "fixtures" / "data-folder-release-0.1.0.tar.gz"
TOKEN = "00D000000000001!AQ4AQFakeSessionIdForTheHandlerTest"


def test_a_token_logged_by_a_logger_without_the_filter_is_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(logging.INFO)
    try:
        plain = logging.getLogger("sfimport.some.plain.module")
        assert not plain.filters
        plain.warning("calling with Authorization: Bearer %s", TOKEN)
    finally:
        configure_logging(None)
    err = capsys.readouterr().err
    assert "calling with Authorization" in err
    assert TOKEN not in err and "AQ4AQFake" not in err
    assert "[redacted]" in err


def test_log_format_json_writes_one_object_per_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with tarfile.open(OLD_FOLDER) as archive:  # an upgrade logs a warning
        archive.extractall(home, filter="data")
    result = CliRunner().invoke(
        app, ["--home", str(home), "--log-format", "json", "-v", "db", "upgrade"]
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    upgrades = [r for r in records if r["logger"] == "sfimport.store.schema"]
    assert len(upgrades) == 1
    assert upgrades[0]["level"] == "warning"
    assert upgrades[0]["message"].startswith("Upgraded the metadata database from schema 0001")
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)


def test_the_json_formatter_redacts_and_carries_the_traceback() -> None:
    from sfimport.app.logs import JsonLineFormatter

    try:
        raise RuntimeError(f"failed with {TOKEN}")
    except RuntimeError:
        record = logging.getLogger("sfimport.x").makeRecord(
            "sfimport.x", logging.ERROR, __file__, 1, "sent %s", (TOKEN,), sys.exc_info()
        )
    line = json.loads(JsonLineFormatter().format(record))
    assert line["level"] == "error" and line["logger"] == "sfimport.x"
    assert line["message"] == "sent [redacted]"
    assert "RuntimeError" in line["traceback"] and TOKEN not in line["traceback"]
