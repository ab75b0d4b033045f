"""Logging for the web app and the CLI: handlers that redact tokens (from any logger)."""

from __future__ import annotations

from sfimport.salesforce.redaction import redacting_handler

__all__ = ["redacting_handler"]
