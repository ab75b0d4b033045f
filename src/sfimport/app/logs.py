"""Logging for the web app and the CLI: handlers that redact tokens (from any logger), and
JSON lines for services (``--log-format json``)."""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime

from sfimport.salesforce.redaction import redact, redacting_handler

__all__ = [
    "JsonLineFormatter",
    "guard_server_handlers",
    "redacting_handler",
    "server_log_level",
]

#: uvicorn configures handlers of its own on these loggers, which do not propagate to ours.
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


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


class ArgsRedactingFilter(logging.Filter):
    """Redacts a record's message and each of its text arguments, keeping the arguments: a
    formatter of uvicorn's reads them by position (its access lines), so they cannot be folded
    into the message as the engine's filter does."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if record.exc_info and not record.exc_text:
            formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = redact(formatted)
        return True


_SERVER_FILTER = ArgsRedactingFilter()


def server_log_level() -> str:
    """uvicorn's level, following sfimport's: ``sfimport -v serve`` shows its access lines."""
    level = logging.getLogger("sfimport").getEffectiveLevel()
    return "info" if level <= logging.INFO else "warning"


def guard_server_handlers() -> None:
    """Redact tokens on every handler uvicorn set up (its access lines carry request paths and
    query strings), and write JSON lines there too when sfimport's own handler does."""
    json_lines = any(
        isinstance(handler.formatter, JsonLineFormatter)
        for handler in logging.getLogger("sfimport").handlers
    )
    for name in SERVER_LOGGERS:
        for handler in logging.getLogger(name).handlers:
            if _SERVER_FILTER not in handler.filters:
                handler.addFilter(_SERVER_FILTER)
            if json_lines:
                handler.setFormatter(JsonLineFormatter())
