"""API errors as RFC 9457 problem details (``application/problem+json``).

Every error of the JSON API is one object with the standard members ``type``, ``title``,
``status`` and ``detail``, and sfimport's own as extension members: ``kind`` (stable, for
scripts to branch on), ``message`` (same as ``detail``), ``remedy`` (what to do) and
``retryable`` (whether the same call can succeed later). A removed field adds ``field`` and
``object``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse

PROBLEM_JSON = "application/problem+json"


class Problem(BaseModel):
    """An RFC 9457 problem; unknown extension members may be added later."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI naming the kind of problem: urn:sfimport:problem:<kind>.")
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code of this answer.")
    detail: str = Field(description="What happened, in words for a person.")
    kind: str = Field(description="Stable error kind for scripts (usage, not_found, ...).")
    message: str = Field(description="Same as detail (kept for earlier clients).")
    remedy: str = Field(description="What to do about it; may be empty.")
    retryable: bool = Field(description="Whether the same call can succeed later.")


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


def problem(
    status: int,
    kind: str,
    detail: str,
    *,
    remedy: str = "",
    retryable: bool = False,
    title: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": f"urn:sfimport:problem:{kind}",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "kind": kind,
        "message": detail,
        "remedy": remedy,
        "retryable": retryable,
        **extra,
    }


def problem_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> ProblemResponse:
    return ProblemResponse(body, status_code=status, headers=headers)


#: The ``responses`` entry of one documented error status.
def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": Problem,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
