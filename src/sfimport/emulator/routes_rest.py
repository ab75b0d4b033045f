"""REST API routes under /services/data: translate HTTP to `Org` calls and back, nothing more."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import pyarrow.compute as pc
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sfimport.emulator.errors import SalesforceApiError, not_found, retired_version
from sfimport.emulator.ids import to_18
from sfimport.emulator.org import DEFAULT_BATCH_SIZE, Org, User
from sfimport.emulator.responses import api_error_response, base_url, json_response

OLDEST_VERSION = 31
NEWEST_VERSION = 66
_SEASONS = ("Winter", "Spring", "Summer")
_VERSION = re.compile(r"^v(\d+)\.0$")


def versions() -> list[dict[str, str]]:
    """Supported API versions, oldest first: v31.0 was Summer '14, three releases a year."""
    out = []
    for number in range(OLDEST_VERSION, NEWEST_VERSION + 1):
        steps = number - 32
        season = _SEASONS[steps % 3]
        year = 15 + steps // 3
        out.append(
            {
                "label": f"{season} '{year:02d}",
                "url": f"/services/data/v{number}.0",
                "version": f"{number}.0",
            }
        )
    return out


def _batch_size(request: Request) -> int:
    # Sforce-Query-Options: batchSize=N is a hint between 200 and 2,000.
    options = request.headers.get("sforce-query-options", "")
    match = re.search(r"batchSize\s*=\s*(\d+)", options)
    if match is None:
        return DEFAULT_BATCH_SIZE
    return min(2000, max(200, int(match.group(1))))


def _resources(org: Org, user: User, version: str, base: str) -> dict[str, Any]:
    root = f"/services/data/v{version}"
    names = (
        "tooling",
        "metadata",
        "eclair",
        "folders",
        "prechatForms",
        "contact-tracing",
        "jsonxform",
        "chatter",
        "tabs",
        "appMenu",
        "quickActions",
        "queryAll",
        "commerce",
        "wave",
        "iot",
        "analytics",
        "search",
        "identity",
        "composite",
        "parameterizedSearch",
        "fingerprint",
        "theme",
        "nouns",
        "recent",
        "licensing",
        "limits",
        "async-queries",
        "query",
        "emailConnect",
        "compactLayouts",
        "knowledgeManagement",
        "sobjects",
        "actions",
        "support",
        "flexiPage",
        "connect",
        "jobs",
        "ui-api",
    )
    return {
        name: (f"{base}/id/{org.org_id}/{user.id}" if name == "identity" else f"{root}/{name}")
        for name in names
    }


def _record(org: Org, user: User, name: str, record_id: str, version: str) -> dict[str, Any]:
    spec = org.visible_object(user, name)
    if spec is None or not spec.fields:
        raise not_found()
    fields = ", ".join(f.name for f in org.visible_fields(user, spec))
    escaped = record_id.replace("\\", "\\\\").replace("'", "\\'")
    result = org.query(
        user,
        f"SELECT {fields} FROM {spec.name} WHERE Id = '{escaped}'",
        include_deleted=False,
        batch_size=200,
        version=version,
    )
    if not result["records"]:
        gone = org.query(
            user,
            f"SELECT Id FROM {spec.name} WHERE Id = '{escaped}' AND IsDeleted = true",
            include_deleted=True,
            batch_size=200,
            version=version,
        )
        if gone["records"]:
            # A record in the recycle bin is known but gone, as a real org answers.
            raise SalesforceApiError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
        raise not_found()
    record: dict[str, Any] = result["records"][0]
    return record


def _looks_like_id(spec_prefix: str | None, text: str) -> bool:
    return (
        spec_prefix is not None
        and len(text) in {15, 18}
        and text.isalnum()
        and text.startswith(spec_prefix)
    )


def _by_external_id(
    org: Org, user: User, name: str, field_name: str, value: str, version: str
) -> dict[str, Any]:
    """GET /sobjects/{Object}/{idLookupField}/{value}: the one record with that value."""
    spec = org.visible_object(user, name)
    if spec is None or not spec.fields:
        raise not_found()
    lookup = next(
        (
            f
            for f in org.visible_fields(user, spec)
            if f.name.lower() == field_name.lower()
            and (f.type == "id" or f.external_id or (f.type == "email" and not f.custom))
        ),
        None,
    )
    if lookup is None:
        raise SalesforceApiError(
            404,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {field_name}",
        )
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    found = org.query(
        user,
        f"SELECT Id FROM {spec.name} WHERE {lookup.name} = '{escaped}'",
        include_deleted=False,
        batch_size=200,
        version=version,
    )["records"]
    if len(found) != 1:
        raise not_found()
    return _record(org, user, spec.name, str(found[0]["Id"]), version)


def _blob(org: Org, user: User, name: str, record_id: str, field_name: str) -> bytes:
    """The bytes of a base64 field (Attachment.Body, ContentVersion.VersionData): what the
    URL a query answers for such a field serves."""
    spec = org.visible_object(user, name)
    if spec is None or not spec.fields:
        raise not_found()
    blob = next(
        (
            f
            for f in org.visible_fields(user, spec)
            if f.name.lower() == field_name.lower() and f.type == "base64"
        ),
        None,
    )
    table = org.table(user, spec.name)
    if blob is None or blob.name not in table.column_names or len(record_id) not in {15, 18}:
        raise not_found()
    found = table.filter(pc.equal(table["Id"], to_18(record_id)))
    if "IsDeleted" in found.column_names:
        found = found.filter(pc.invert(found["IsDeleted"]))
    value = found[blob.name].to_pylist()[0] if found.num_rows else None
    if value is None:
        raise not_found()
    return base64.b64decode(value)


def _dispatch(
    org: Org, user: User, request: Request, version: str, parts: list[str]
) -> tuple[Any, bool]:
    """(body, pretty) for an authenticated, counted call; raises SalesforceApiError."""
    params = request.query_params
    head = parts[0] if parts else ""
    if not parts:
        return _resources(org, user, version, base_url(request)), False
    if head in {"query", "queryAll"}:
        if len(parts) == 2:
            return org.query_more(user, parts[1], version), True
        if len(parts) == 1:
            return org.query(
                user,
                params.get("q"),
                include_deleted=head == "queryAll",
                batch_size=_batch_size(request),
                version=version,
            ), True
    if head == "sobjects":
        if len(parts) == 1:
            return org.describe_global(user, version), False
        name = parts[1]
        if len(parts) == 2:
            spec = org.visible_object(user, name)
            if spec is None:
                raise not_found()
            from sfimport.emulator.schema import describe_global_entry

            return {"objectDescribe": describe_global_entry(spec, version), "recentItems": []}, True
        if len(parts) == 3 and parts[2] == "describe":
            return org.describe(user, name, version, base_url(request)), False
        if len(parts) == 3 and parts[2] == "updated":
            return org.updated(user, name, params.get("start"), params.get("end")), True
        if len(parts) == 3 and parts[2] == "deleted":
            return org.deleted(user, name, params.get("start"), params.get("end")), True
        if len(parts) == 3:
            return _record(org, user, name, parts[2], version), True
    if head == "limits":
        if len(parts) == 1:
            return org.limits(user), True
        if len(parts) == 2 and parts[1] == "recordCount":
            names = params.get("sObjects")
            wanted = None if names is None else [n for n in names.split(",") if n]
            return org.record_count(user, wanted), True
    raise not_found()


def rest_routes(org: Org) -> list[BaseRoute]:
    """Routes for /services/data and everything under it."""

    async def list_versions(request: Request) -> Response:
        # The versions list needs no session and does not count against the allowance.
        return json_response(versions())

    async def versioned(request: Request) -> Response:
        segments = [s for s in request.path_params["rest"].split("/") if s]
        match = _VERSION.match(segments[0]) if segments else None
        user: User | None = None
        try:
            if match is None:
                raise not_found()
            number = int(match.group(1))
            if number < OLDEST_VERSION:
                # Retired versions are gone (410); versions the org does not know yet are 404.
                raise retired_version()
            if number > NEWEST_VERSION:
                raise not_found()
            user = org.authenticate(request.headers.get("authorization"))
            counted = user
            org.begin_api_call(counted)
            if request.method not in {"GET", "HEAD"}:
                raise SalesforceApiError(
                    405,
                    "METHOD_NOT_ALLOWED",
                    f"HTTP Method '{request.method}' not allowed. Allowed are GET,HEAD",
                )
            rest = segments[1:]
            spec = org.visible_object(user, rest[1]) if len(rest) == 4 else None
            if len(rest) == 4 and rest[0] == "sobjects" and spec is not None:
                if not _looks_like_id(spec.key_prefix, rest[2]):
                    body = _by_external_id(org, user, spec.name, rest[2], rest[3], f"{number}.0")
                    return json_response(
                        body, pretty=True, headers={"Sforce-Limit-Info": org.limit_info()}
                    )
                data = _blob(org, user, rest[1], rest[2], rest[3])
                # Binary, neither JSON nor XML: Salesforce labels blobs as octet streams.
                return Response(
                    data,
                    media_type="application/octetstream",
                    headers={"Sforce-Limit-Info": org.limit_info()},
                )
            body, pretty = _dispatch(org, user, request, f"{number}.0", rest)
        except SalesforceApiError as error:
            headers = {"Sforce-Limit-Info": org.limit_info()} if user is not None else None
            return api_error_response(error, headers)
        return json_response(body, pretty=pretty, headers={"Sforce-Limit-Info": org.limit_info()})

    handler: Callable[[Request], Any] = versioned
    return [
        Route("/services/data", list_versions, methods=["GET"]),
        Route("/services/data/", list_versions, methods=["GET"]),
        Route(
            "/services/data/{rest:path}",
            handler,
            methods=["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"],
        ),
    ]
