"""The Salesforce API client: OAuth, REST, Bulk API 2.0 and the Reports API over httpx2.

It is pointed at an org only by a login URL and the ``instance_url`` Salesforce returns, and
never imports storage libraries. Start from :class:`SalesforceClient` and :mod:`.auth`.
"""

from __future__ import annotations

from sfimport.salesforce.auth import (
    AuthorizationRequest,
    OAuthApp,
    OAuthClient,
    Pkce,
    SalesforceAuth,
    TokenSet,
    authorization_request,
    is_sandbox_login_url,
    normalize_login_url,
    pkce_challenge,
)
from sfimport.salesforce.bulk2 import BulkApi, BulkJob, PollPolicy, ResultPage
from sfimport.salesforce.client import (
    DEFAULT_API_VERSION,
    ApiUsage,
    RetryPolicy,
    SalesforceClient,
    parse_limit_info,
)
from sfimport.salesforce.hosts import is_allowed_host, is_loopback_host
from sfimport.salesforce.redaction import redact
from sfimport.salesforce.reports import ReportsApi
from sfimport.salesforce.rest import RestApi

__all__ = [
    "DEFAULT_API_VERSION",
    "ApiUsage",
    "AuthorizationRequest",
    "BulkApi",
    "BulkJob",
    "OAuthApp",
    "OAuthClient",
    "Pkce",
    "PollPolicy",
    "ReportsApi",
    "RestApi",
    "ResultPage",
    "RetryPolicy",
    "SalesforceAuth",
    "SalesforceClient",
    "TokenSet",
    "authorization_request",
    "is_allowed_host",
    "is_loopback_host",
    "is_sandbox_login_url",
    "normalize_login_url",
    "parse_limit_info",
    "pkce_challenge",
    "redact",
]
