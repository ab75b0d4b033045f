"""Log lines the CLI shows (-v, --debug) are redacted at the handler, so a token logged by any
logger (not only those that carry the filter themselves) never reaches stderr."""

from __future__ import annotations

import logging

import pytest

from sfimport.cli.context import configure_logging

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
