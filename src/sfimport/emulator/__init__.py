"""A Salesforce-compatible org for demos and tests: OAuth, REST, describe, SOQL (child
subqueries, semi-joins, INCLUDES/EXCLUDES, FORMAT()), composite reads, SOSL search, limits,
Bulk API 2.0 (resultPages too) and 1.0 query jobs, Salesforce Files (ContentDocument,
ContentVersion, ContentDocumentLink) and blob URLs (Attachment.Body,
ContentVersion.VersionData), the Reports API, fault injection, and Setup pages (`/`: revoke,
block, permissions, field-level security, API usage; see `setup_ui`).

Build an org with `build_demo_org(seed, scale={"Account": 1_000_000})`, wrap it with
`create_emulator` (an ASGI app) and serve it with `serve_in_thread` (tests) or `server.run`
(the CLI). It imports nothing from the product.

Control API (JSON, no auth, never called by the product; answers 400 `{"error"}` on bad input):

- `POST /__emulator__/tokens {"username"}`: a token response (access + refresh token).
- `POST /__emulator__/clock {"advance_seconds": N} | {"set": "2026-03-05T10:00:00Z"}`.
- `POST /__emulator__/limits {"max": N, "remaining": M}`: the DailyApiRequests allowance.
- `POST /__emulator__/session {"timeout_seconds": 7200}`: the session timeout; an access token
  unused for longer answers 401 INVALID_SESSION_ID (each use extends it; default 2 hours).
- `GET /__emulator__/state`: API calls, open cursors, tokens.
- `POST /__emulator__/revoke {"username"}`: revoke the user's tokens (refresh -> 400
  invalid_grant, calls -> 401 INVALID_SESSION_ID).
- `POST /__emulator__/app {"blocked": true|false}`: block the Connected App (revokes every
  token; refresh -> invalid_grant, code grant and /authorize -> OAUTH_APP_BLOCKED).
- `POST /__emulator__/permissions {"username", "permission": "PermissionsApiEnabled",
  "enabled": false}`: take away (or grant) a user permission, e.g. API Enabled or Run Reports.
- `POST /__emulator__/fields {"action": "hide"|"show", "username", "object", "field"}`:
  field-level security for one user; `{"action": "remove"|"restore", "object", "field"}`:
  the field disappears for everyone (describe omits it, SOQL and Bulk answer INVALID_FIELD).
- `POST /__emulator__/faults {"error_rate": 0.2, "error_statuses": [500, 503], "hang_rate": 0.1,
  "hang_seconds": 5, "seed": 7, "path_prefix": "/services/"}`: a seeded share of responses
  fails or hangs; `{}` switches it off.
- `POST /__emulator__/locators/expire`: REST query locators and Bulk result locators stop
  working (400 INVALID_QUERY_LOCATOR).
- `POST /__emulator__/bulk {"delay_seconds": 0.3, "default_page_rows": 50000, "fail_next": 1}`:
  how long Bulk jobs take, the page size without maxRecords, jobs forced to end Failed.
- `POST /__emulator__/reports {"run_delay_seconds": 2.5, "fail_next": 1}`: how long an
  asynchronous report run (instance) stays Running, and instances forced to end in Error.
- `POST /__emulator__/records/{Object} {"insert": [{...}], "update": [{"Id", ...}],
  "delete": [ids]}`: change data; LastModifiedDate and SystemModstamp become the clock's now,
  deletes set IsDeleted (seen by queryAll and /deleted).
"""

from __future__ import annotations

from sfimport.emulator.app import create_emulator
from sfimport.emulator.demo import (
    DEMO_CALLBACK_URLS,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_USERS,
    DemoUser,
    build_demo_org,
)
from sfimport.emulator.errors import OAuthError, SalesforceApiError
from sfimport.emulator.org import Org
from sfimport.emulator.server import RunningServer, serve_in_thread, write_self_signed_tls

__all__ = [
    "DEMO_CALLBACK_URLS",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_USERS",
    "DemoUser",
    "OAuthError",
    "Org",
    "RunningServer",
    "SalesforceApiError",
    "build_demo_org",
    "create_emulator",
    "serve_in_thread",
    "write_self_signed_tls",
]
