"""Logging for the web app and the CLI: handlers that redact tokens (from any logger), and
JSON lines for services (``--log-format json``)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from sfimport.salesforce.redaction import redact, redacting_handler

__all__ = ["JsonLineFormatter", "redacting_handler"]


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, and the
    traceback when there is one (redacted like the message)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["traceback"] = redact(record.exc_text)
        return json.dumps(line, ensure_ascii=False)
