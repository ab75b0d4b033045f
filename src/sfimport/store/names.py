"""Names in My Data: folder and data set names, checked before they become SQL or paths.

A folder is a DuckDB schema and a data set a table; both names also name staging directories,
so they are held to a small alphabet with no quotes, dots or slashes.
"""

from __future__ import annotations

import re
import unicodedata

from sfimport.errors import UsageError

MAX_NAME_LENGTH = 63
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_ -]*")
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
#: Schemas DuckDB or sfimport itself uses; compared case-insensitively, as DuckDB does.
RESERVED = frozenset({"main", "temp", "system", "memory", "information_schema", "pg_catalog"})


def validate_name(name: str, what: str = "folder") -> str:
    """Return ``name`` if it can name a folder or a data set, else raise UsageError."""
    if not name:
        raise UsageError(f"The {what} name is empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise UsageError(
            f"The {what} name is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}."
        )
    if not _NAME.fullmatch(name) or name != name.strip():
        raise UsageError(
            f"The {what} name {name!r} is not allowed: start with a letter and use only "
            "letters, digits, spaces, '-' and '_' (no leading or trailing spaces)."
        )
    if name.lower() in RESERVED:
        raise UsageError(f"The {what} name {name!r} is reserved; choose another.")
    return name


def validate_run_id(run_id: str) -> str:
    if not _RUN_ID.fullmatch(run_id):
        raise UsageError(f"The run id {run_id!r} is not allowed (letters, digits, '-', '_').")
    return run_id


def suggest_name(text: str) -> str:
    """A valid name close to ``text`` (a report's title, an object's label)."""
    # Drop accents first, so "Über" suggests "Uber" rather than "_ber".
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9_ -]+", "_", ascii_text).strip(" _-")
    cleaned = re.sub(r"_{2,}", "_", cleaned)
    if not cleaned or not cleaned[0].isalpha():
        cleaned = f"Data {cleaned}".strip()
    cleaned = cleaned[:MAX_NAME_LENGTH].rstrip()
    if cleaned.lower() in RESERVED:
        cleaned = f"{cleaned} data"
    return cleaned


def quote(identifier: str) -> str:
    """A SQL identifier in double quotes (column names from report labels may hold quotes)."""
    escaped = identifier.replace('"', '""')
    return f'"{escaped}"'


def table_ref(folder: str, name: str) -> str:
    return f"{quote(folder)}.{quote(name)}"
