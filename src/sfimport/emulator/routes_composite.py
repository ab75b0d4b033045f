"""Composite reads and SOSL search under /services/data/vXX.X:

- `POST composite`: `compositeRequest` sub-requests (GET), answered as `compositeResponse`
  items with `body`, `httpHeaders`, `httpStatusCode`, `referenceId` (as the CumulusCI
  recordings show, errors in a sub-request's body included);
- `POST composite/batch`: `batchRequests` (GET, up to 25) -> `hasErrors` and `results` with
  `statusCode` and `result`; `haltOnError` stops at the first failure (the rest answer 412);
- `GET|POST composite/sobjects/{Object}`: records by `ids` with `fields`, null for ids not found;
- `GET search?q=FIND {term} [IN ALL|NAME|EMAIL|PHONE FIELDS] [RETURNING Obj(fields [WHERE ..]
  [LIMIT n]), ...] [LIMIT n]`: `searchRecords` (the Swiftly recording's shape).

A composite request is one API call, as in Salesforce; its sub-requests are not counted.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sfimport.emulator.api_call import api_call
from sfimport.emulator.errors import SalesforceApiError, not_found
from sfimport.emulator.org import Org, User
from sfimport.emulator.responses import json_response
from sfimport.emulator.routes_rest import _dispatch

MAX_BATCH = 25
MAX_COMPOSITE = 25
MAX_SEARCH_ROWS = 2000
_SOSL = re.compile(
    r"^\s*FIND\s*\{(?P<term>(?:[^}\\]|\\.)*)\}\s*"
    r"(?:IN\s+(?P<scope>ALL|NAME|EMAIL|PHONE)\s+FIELDS\s*)?"
    r"(?:RETURNING\s+(?P<returning>.*?))?\s*"
    r"(?:LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_RETURNING_ITEM = re.compile(r"^\s*(?P<object>\w+)\s*(?:\((?P<inner>.*)\))?\s*$", re.DOTALL)
_SEARCHED_TYPES = {
    "ALL": {"string", "email", "phone", "url", "picklist", "textarea", "combobox"},
    "EMAIL": {"email"},
    "PHONE": {"phone"},
}


def _bad_json(message: str) -> SalesforceApiError:
    return SalesforceApiError(400, "JSON_PARSER_ERROR", message)


async def _body(request: Request) -> dict[str, Any]:
    try:
        value = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise _bad_json(f"Unexpected character: {exc}") from exc
    if not isinstance(value, dict):
        raise _bad_json("The request body must be a JSON object")
    return value


def _sub_request(request: Request, url: str) -> Request:
    """A GET request for `url` on the same host and headers as `request`."""
    parts = urlsplit(url)
    scope = dict(request.scope)
    scope.update(
        {
            "method": "GET",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
        }
    )
    return Request(scope)


def _run(org: Org, user: User, request: Request, url: str, default_version: str) -> Any:
    """The body of one GET sub-request; raises SalesforceApiError like a direct call."""
    path = urlsplit(url).path
    if not path.startswith("/"):
        # Batch URLs may be relative to /services/data/ ("v62.0/sobjects/...").
        url = "/services/data/" + url
        path = urlsplit(url).path
    if not path.startswith("/services/data/"):
        raise not_found()
    segments = [s for s in path.removeprefix("/services/data/").split("/") if s]
    if not segments or not re.fullmatch(r"v\d+\.0", segments[0]):
        raise not_found()
    version = segments[0][1:] if segments[0][1:] else default_version
    body, _ = _dispatch(org, user, _sub_request(request, url), version, segments[1:])
    return body


def _error_body(error: SalesforceApiError) -> list[dict[str, str]]:
    # As recorded: a 404 sub-response names errorCode first, a query's 400 message first.
    if error.status == 404:
        return [{"errorCode": error.error_code, "message": error.message}]
    return [{"message": error.message, "errorCode": error.error_code}]


def _method(item: dict[str, Any]) -> str:
    method = str(item.get("method", "")).upper()
    if method != "GET":
        raise SalesforceApiError(
            400, "INVALID_FIELD", f"The emulator serves read sub-requests only, not {method}"
        )
    return method


def search(org: Org, user: User, sosl: str | None, version: str) -> dict[str, Any]:
    """A basic SOSL FIND: a substring match of the term over the searched fields."""
    if not sosl or not sosl.strip():
        raise SalesforceApiError(400, "MALFORMED_SEARCH", "No search term found.")
    match = _SOSL.match(sosl)
    if match is None:
        raise SalesforceApiError(
            400,
            "MALFORMED_SEARCH",
            "No search term found. The search term must be enclosed in braces.",
        )
    term = re.sub(r"\\(.)", r"\1", match.group("term")).strip().strip('"')
    if len(term.replace("*", "").replace("?", "")) < 2:
        raise SalesforceApiError(
            400, "MALFORMED_SEARCH", "search term must be longer than one character"
        )
    scope = (match.group("scope") or "ALL").upper()
    limit = min(int(match.group("limit") or MAX_SEARCH_ROWS), MAX_SEARCH_ROWS)
    targets = _returning(org, user, match.group("returning"))
    pattern = term.replace("\\", "\\\\").replace("'", "\\'").replace("%", "\\%").replace("_", "\\_")
    pattern = "%" + pattern.replace("*", "%").replace("?", "_") + "%"
    records: list[dict[str, Any]] = []
    for name, fields, where, item_limit in targets:
        spec = org.visible_object(user, name)
        if spec is None:
            raise SalesforceApiError(
                400, "INVALID_TYPE", f"sObject type '{name}' is not supported."
            )
        visible = [f for f in org.visible_fields(user, spec) if f.filterable]
        if scope == "NAME":
            searched = [f.name for f in visible if f.name_field]
        else:
            searched = [f.name for f in visible if f.type in _SEARCHED_TYPES[scope]]
        if not searched or spec.name not in org.tables:
            continue
        condition = " OR ".join(f"{field} LIKE '{pattern}'" for field in searched)
        if where:
            condition = f"({condition}) AND ({where})"
        room = min(limit - len(records), item_limit or MAX_SEARCH_ROWS)
        if room <= 0:
            break
        soql = f"SELECT {fields} FROM {spec.name} WHERE {condition} LIMIT {room}"
        answer = org.query(user, soql, include_deleted=False, batch_size=2000, version=version)
        records.extend(answer["records"])
    return {"searchRecords": records}


def _returning(
    org: Org, user: User, text: str | None
) -> list[tuple[str, str, str | None, int | None]]:
    """(object, select list, where, limit) per RETURNING item; every searchable data object
    with Id alone when there is no RETURNING."""
    if not text:
        return [
            (spec.name, "Id", None, None)
            for spec in sorted(org.objects.values(), key=lambda s: s.name)
            if spec.name in org.tables
            and spec.flags.get("searchable", False)
            and org.visible_object(user, spec.name) is not None
        ]
    items: list[str] = []
    depth, start = 0, 0
    for position, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(text[start:position])
            start = position + 1
    items.append(text[start:])
    out: list[tuple[str, str, str | None, int | None]] = []
    for item in items:
        found = _RETURNING_ITEM.match(item)
        if found is None:
            raise SalesforceApiError(400, "MALFORMED_SEARCH", f"unexpected token: '{item.strip()}'")
        inner = (found.group("inner") or "Id").strip()
        clause = re.match(
            r"^(?P<fields>.*?)(?:\s+WHERE\s+(?P<where>.*?))?(?:\s+LIMIT\s+(?P<limit>\d+))?$",
            inner,
            re.IGNORECASE | re.DOTALL,
        )
        assert clause is not None  # the pattern matches any text
        limit = clause.group("limit")
        out.append(
            (
                found.group("object"),
                clause.group("fields").strip() or "Id",
                clause.group("where"),
                int(limit) if limit else None,
            )
        )
    return out


def composite_routes(org: Org) -> list[BaseRoute]:
    root = "/services/data/{version}"

    async def composite(request: Request) -> Response:
        async def work(user: User, version: str) -> Response:
            body = await _body(request)
            items = body.get("compositeRequest")
            if not isinstance(items, list) or not items:
                raise _bad_json("compositeRequest must be a non-empty array")
            if len(items) > MAX_COMPOSITE:
                raise SalesforceApiError(
                    400, "LIMIT_EXCEEDED", f"Max number of subrequests is {MAX_COMPOSITE}"
                )
            answers = []
            for item in items:
                entry: dict[str, Any] = {}
                try:
                    _method(item)
                    entry["body"] = _run(org, user, request, str(item.get("url", "")), version)
                    status = 200
                except SalesforceApiError as error:
                    entry["body"] = _error_body(error)
                    status = error.status
                entry["httpHeaders"] = {}
                entry["httpStatusCode"] = status
                entry["referenceId"] = item.get("referenceId")
                answers.append(entry)
            return json_response({"compositeResponse": answers}, pretty=True)

        return await api_call(org, request, work)

    async def batch(request: Request) -> Response:
        async def work(user: User, version: str) -> Response:
            body = await _body(request)
            items = body.get("batchRequests")
            if not isinstance(items, list) or not items:
                raise _bad_json("batchRequests must be a non-empty array")
            if len(items) > MAX_BATCH:
                raise SalesforceApiError(
                    400, "LIMIT_EXCEEDED", f"Max number of batch requests is {MAX_BATCH}"
                )
            halt = bool(body.get("haltOnError", False))
            results: list[dict[str, Any]] = []
            failed = False
            for item in items:
                if failed and halt:
                    results.append(
                        {
                            "statusCode": 412,
                            "result": [
                                {
                                    "errorCode": "BATCH_PROCESSING_HALTED",
                                    "message": "Batch processing halted per request",
                                }
                            ],
                        }
                    )
                    continue
                try:
                    _method(item)
                    result = _run(org, user, request, str(item.get("url", "")), version)
                    results.append({"statusCode": 200, "result": result})
                except SalesforceApiError as error:
                    failed = True
                    results.append({"statusCode": error.status, "result": _error_body(error)})
            has_errors = any(r["statusCode"] >= 400 for r in results)
            return json_response({"hasErrors": has_errors, "results": results}, pretty=True)

        return await api_call(org, request, work)

    async def sobjects(request: Request) -> Response:
        async def work(user: User, version: str) -> Response:
            if request.method == "POST":
                body = await _body(request)
                ids, fields = body.get("ids"), body.get("fields")
            else:
                ids = [i for i in request.query_params.get("ids", "").split(",") if i]
                fields = [f for f in request.query_params.get("fields", "").split(",") if f]
            if not isinstance(ids, list) or not ids or not isinstance(fields, list) or not fields:
                raise SalesforceApiError(
                    400, "INVALID_FIELD", "ids and fields are required (non-empty lists)"
                )
            name = str(request.path_params["object"])
            spec = org.visible_object(user, name)
            if spec is None:
                raise not_found()
            quoted = ", ".join("'" + str(i).replace("\\", "").replace("'", "") + "'" for i in ids)
            selected = [str(f) for f in fields]
            if not any(f.lower() == "id" for f in selected):
                selected.insert(0, "Id")  # to match records to the ids asked for
            soql = f"SELECT {', '.join(selected)} FROM {spec.name} WHERE Id IN ({quoted})"
            answer = org.query(user, soql, include_deleted=False, batch_size=2000, version=version)
            by_id = {str(r.get("Id", ""))[:15]: r for r in answer["records"]}
            # One entry per requested id, in order; null where no record was found.
            ordered = [by_id.get(str(i)[:15]) for i in ids]
            return json_response(ordered, pretty=True)

        return await api_call(org, request, work)

    async def sosl(request: Request) -> Response:
        async def work(user: User, version: str) -> Response:
            return json_response(
                search(org, user, request.query_params.get("q"), version), pretty=True
            )

        return await api_call(org, request, work)

    return [
        Route(root + "/composite", composite, methods=["POST"]),
        Route(root + "/composite/", composite, methods=["POST"]),
        Route(root + "/composite/batch", batch, methods=["POST"]),
        Route(root + "/composite/sobjects/{object}", sobjects, methods=["GET", "POST"]),
        Route(root + "/search", sosl, methods=["GET"]),
        Route(root + "/search/", sosl, methods=["GET"]),
    ]
