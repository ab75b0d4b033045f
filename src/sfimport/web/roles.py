"""Which role each request of team mode needs, and which requests the audit log records.

One table, read top to bottom, first match wins; pages and the JSON API share it, so a viewer
refused a form is refused the API call that does the same. Reads need a viewer, imports,
refreshes, schedules and exports a member, connections and users an admin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sfimport.app.accounts import Permission

_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Rule:
    """What a request needs, and the audit log's name for it (None: not recorded)."""

    needs: Permission
    action: str | None


@dataclass(frozen=True)
class _Row:
    pattern: re.Pattern[str]
    #: None: any method; "safe" or "write" otherwise.
    methods: str | None
    rule: Rule


def _row(pattern: str, methods: str | None, needs: Permission, action: str | None) -> _Row:
    return _Row(re.compile(pattern), methods, Rule(needs, action))


_TABLE = (
    _row(r"^/logout$", None, Permission.READ, None),
    # Users and the audit log: admins only, to see as well as to change (the accounts service
    # records each change to users itself, by name).
    _row(r"^/(api/)?(admin|users|audit)(/|$)", "write", Permission.ADMIN, None),
    _row(r"^/(api/)?(admin|users|audit)(/|$)", "safe", Permission.ADMIN, None),
    # An export is a read, but it takes the data away: members, and always recorded.
    _row(r"^/mydata/[^/]+/export\.", "safe", Permission.WORK, "export"),
    _row(r"^/api/datasets/[^/]+/export$", "safe", Permission.WORK, "export"),
    # The import wizard's pages call Salesforce for the person who will import.
    _row(r"^/import/", "safe", Permission.WORK, None),
    _row(r"", "safe", Permission.READ, None),
    # Read-only SQL over My Data is a read, though sent as a POST.
    _row(r"^/(api/query|sql)$", "write", Permission.READ, None),
    # So is a pipe's preview (it saves nothing); saving, running or deleting one is work.
    _row(r"^/api/pipes/preview$", "write", Permission.READ, None),
    _row(r"^/(api/)?pipes(/|$)", "write", Permission.WORK, "pipe"),
    _row(r"^/(api/)?connections/[^/]+/schedule(/|$)", "write", Permission.WORK, "schedule"),
    _row(r"^/(api/)?connections(/|$)", "write", Permission.ADMIN, "connection"),
    _row(r"^/api/plans$", "write", Permission.WORK, None),
    _row(r"^/api/runs$", "write", Permission.WORK, "import"),
    _row(r"^/api/runs/refresh$", "write", Permission.WORK, "refresh"),
    _row(r"^/(api/)?runs(/|$)", "write", Permission.WORK, "run"),
    _row(r"^/import/", "write", Permission.WORK, "import"),
    _row(r"^/mydata/[^/]+/refresh$", "write", Permission.WORK, "refresh"),
    _row(r"^/(mydata|api/datasets)/[^/]+/schedule(/|$)", "write", Permission.WORK, "schedule"),
    _row(r"^/api/schedules(/|$)", "write", Permission.WORK, "schedule"),
    # Anything else that changes something: a member, recorded.
    _row(r"", "write", Permission.WORK, "change"),
)


def rule_for(method: str, path: str) -> Rule:
    kind = "safe" if method.upper() in _SAFE else "write"
    for row in _TABLE:
        if row.methods in (None, kind) and row.pattern.search(path):
            return row.rule
    raise AssertionError("the table ends with catch-alls")  # pragma: no cover
