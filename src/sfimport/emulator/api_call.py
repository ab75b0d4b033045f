"""The envelope of every versioned API call outside the REST router (Bulk, Reports): version
check, session, API access and daily allowance, then `Sforce-Limit-Info` on the answer and
Salesforce's array error body on failure."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from sfimport.emulator.errors import SalesforceApiError, not_found, retired_version
from sfimport.emulator.org import Org, User
from sfimport.emulator.responses import api_error_response
from sfimport.emulator.routes_rest import NEWEST_VERSION, OLDEST_VERSION

_VERSION = re.compile(r"^v(\d+)\.0$")

Work = Callable[[User, str], Awaitable[Response]]


def api_version(segment: str) -> str:
    """`v62.0` -> `62.0`; retired versions are 410, unknown ones 404 (as the REST router)."""
    match = _VERSION.match(segment)
    if match is None:
        raise not_found()
    number = int(match.group(1))
    if number < OLDEST_VERSION:
        raise retired_version()
    if number > NEWEST_VERSION:
        raise not_found()
    return f"{number}.0"


async def api_call(org: Org, request: Request, work: Work) -> Response:
    """Run `work(user, version)` for an authenticated, counted call of `request`."""
    user: User | None = None
    try:
        version = api_version(str(request.path_params["version"]))
        user = org.authenticate(request.headers.get("authorization"))
        org.begin_api_call(user)
        response = await work(user, version)
    except SalesforceApiError as error:
        headers = {"Sforce-Limit-Info": org.limit_info()} if user is not None else None
        return api_error_response(error, headers)
    response.headers["Sforce-Limit-Info"] = org.limit_info()
    return response
