"""Loading the real Salesforce responses in ../shared/recordings and replaying them."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import yaml

RECORDINGS = Path(__file__).resolve().parents[2] / ".." / "shared" / "recordings"
# Only these recorded headers mean anything to the client; the rest are transport noise.
_KEPT_HEADERS = {"content-type", "sforce-limit-info"}


def recordings_dir() -> Path:
    if not RECORDINGS.is_dir():
        raise RuntimeError(
            f"The recorded Salesforce responses are missing: expected {RECORDINGS.resolve()} "
            "(the shared/ folder beside the repository)."
        )
    return RECORDINGS


@dataclass(frozen=True)
class Recorded:
    """One recorded response: status (None when the source did not record it), headers, body."""

    name: str
    status: int | None
    body: str
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    uri: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)

    def response(self, default_status: int = 200) -> httpx2.Response:
        headers = {"Content-Type": "application/json;charset=UTF-8", **self.headers}
        return httpx2.Response(
            self.status or default_status, headers=headers, content=self.body.encode("utf-8")
        )


def load(relative: str) -> Recorded:
    """A recording by its path under shared/recordings, e.g. ``oauth/x.json``."""
    path = recordings_dir() / relative
    if path.suffix == ".json":
        text = path.read_text(encoding="utf-8-sig")
        return Recorded(name=relative, status=None, body=text)
    cassette = yaml.safe_load(path.read_text(encoding="utf-8"))
    interactions = cassette.get("interactions") or cassette.get("http_interactions") or [cassette]
    interaction = interactions[0]
    response = interaction["response"]
    request = interaction.get("request") or {}
    return Recorded(
        name=relative,
        status=int(response["status"]["code"]),
        body=response["body"]["string"],
        headers=_headers(response.get("headers") or {}),
        method=str(request.get("method", "")).upper() or None,
        uri=request.get("uri"),
    )


def wiremock_body(relative: str) -> Recorded:
    """The response of a WireMock mapping file (``{"response": {"status", "body"}}``)."""
    mapping = load(relative).json()
    return Recorded(
        name=relative, status=int(mapping["response"]["status"]), body=mapping["response"]["body"]
    )


def _headers(raw: dict[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw.items():
        if isinstance(value, dict):  # CumulusCI's filter nests them under "Response-Headers"
            headers.update(_headers(value))
        elif name.lower() in _KEPT_HEADERS and isinstance(value, list) and value:
            headers[name] = str(value[0])
    return headers


Handler = Callable[[httpx2.Request], httpx2.Response]


def replay(
    recorded: Recorded, *, seen: list[httpx2.Request] | None = None, default_status: int = 200
) -> Handler:
    """A handler answering every request with the recording (and noting the requests)."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        if seen is not None:
            seen.append(request)
        return recorded.response(default_status)

    return handler
