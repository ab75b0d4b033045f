"""Keeping OAuth tokens out of text: error messages, log records and anything shown to people.

Two nets. Every token the client handles is registered (``remember_secret``) and replaced
wherever it appears; and anything shaped like a Salesforce session id (``00D...!...``) or
refresh token (``5Aep...``) is replaced even if nobody registered it.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections import OrderedDict
from typing import Any

REDACTED = "[redacted]"

# Access tokens are "<15-char org id>!<opaque>" (the ! is %21 in a URL); refresh tokens start
# with 5Aep.
_TOKEN_SHAPES = re.compile(
    r"00D[0-9A-Za-z]{12,15}(?:!|%21)[0-9A-Za-z._\-]+|\b5Aep[0-9A-Za-z._\-]{16,}"
    r"|(?i:bearer)\s+[0-9A-Za-z._!\-]{16,}"
)
# Credentials in a URL's query string (a web server's access log prints request lines whole):
# the OAuth authorization code the login sends back, and tokens a client put in the URL.
_QUERY_SECRETS = re.compile(r"([?&](?:code|access_token|refresh_token)=)[^&\s\"'#]+")
# Tokens shorter than this are not registered: replacing short strings would mangle text.
_MIN_SECRET_LENGTH = 8

#: A long-running process (serve, scheduler) meets a new access token every session: the
#: registry keeps the most recent ones only, so its memory stays bounded. Older tokens are
#: expired by then, and token-shaped text is replaced whatever the registry holds.
MAX_REMEMBERED_SECRETS = 4096

_lock = threading.Lock()
_secrets: OrderedDict[str, None] = OrderedDict()


def remember_secret(value: str | None) -> None:
    """Register a token so that :func:`redact` replaces it from now on."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _secrets[value] = None
            _secrets.move_to_end(value)
            while len(_secrets) > MAX_REMEMBERED_SECRETS:
                _secrets.popitem(last=False)


def remembered_count() -> int:
    with _lock:
        return len(_secrets)


def redact(text: str) -> str:
    """``text`` with every registered token and every token-shaped string replaced."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _QUERY_SECRETS.sub(rf"\1{REDACTED}", text)
    return _TOKEN_SHAPES.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """A logging filter that renders the record once and redacts tokens from the result."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = ()
        if record.exc_info and not record.exc_text:
            # A traceback's exception text can carry a token too; formatters use exc_text
            # as given when it is set.
            formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = redact(formatted)
        return True


_FILTER = RedactingFilter()


def redacting_handler(handler: logging.Handler) -> logging.Handler:
    """``handler`` with the token filter attached: every record it writes is redacted, from
    whichever logger it came (a logger's own filters see only the records made on it)."""
    if _FILTER not in handler.filters:
        handler.addFilter(_FILTER)
    return handler


def redacting_logger(name: str) -> logging.Logger:
    """The logger ``name`` with the token filter attached (idempotent)."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


def guard_library_loggers() -> None:
    """Attach the filter to the HTTP library's loggers, which log request URLs."""
    for name in (
        "httpx2",
        "httpcore2.connection",
        "httpcore2.http11",
        "httpcore2.http2",
        "httpcore2.proxy",
    ):
        redacting_logger(name)


def redact_any(value: Any) -> str:
    """``str(value)`` redacted, for exception chains and reprs."""
    return redact(str(value))
