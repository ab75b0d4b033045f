"""The emulator on a loopback port, and a person's browser driven over plain HTTP.

Product code never imports the emulator; only tests (and the CLI's demo) do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx2

from sfimport.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_USERS,
    DemoUser,
    build_demo_org,
    create_emulator,
    serve_in_thread,
)
from sfimport.settings import Settings

CALLBACK = "http://127.0.0.1:8000/oauth/callback"


@dataclass(frozen=True)
class Emulated:
    base_url: str
    #: ``base_url`` with ``localhost`` instead of ``127.0.0.1``: the same org addressed the
    #: way a My Domain URL addresses a real one.
    my_domain_url: str

    def control(self, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
        """Call the emulator-only control API (never used by product code)."""
        with httpx2.Client() as http:
            if body is None:
                response = http.get(f"{self.base_url}/__emulator__/{path}")
            else:
                response = http.post(f"{self.base_url}/__emulator__/{path}", json=body)
        response.raise_for_status()
        result: dict[str, object] = response.json()
        return result

    def refresh_token_for(self, user: DemoUser) -> str:
        token = self.control("tokens", {"username": user.username})["refresh_token"]
        assert isinstance(token, str)
        return token


@contextmanager
def emulator(*, is_sandbox: bool = False) -> Iterator[Emulated]:
    app = create_emulator(build_demo_org(seed=1, is_sandbox=is_sandbox))
    with serve_in_thread(app) as server:
        base = server.base_url.rstrip("/")
        yield Emulated(base_url=base, my_domain_url=base.replace("127.0.0.1", "localhost"))


def settings_for(home: Path, production: Emulated, sandbox: Emulated | None = None) -> Settings:
    return Settings(
        home=home,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        production_login_url=production.base_url,
        sandbox_login_url=(sandbox or production).base_url,
        redirect_uri=CALLBACK,
    )


def demo_user(key: str) -> DemoUser:
    return next(user for user in DEMO_USERS if user.key == key)


class _Forms(HTMLParser):
    """The forms of a page: action, hidden inputs, and submit buttons' name=value."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append({"action": attributes.get("action", ""), "fields": {}, "buttons": {}})
        elif self.forms and tag == "input" and attributes.get("type") == "hidden":
            fields = self.forms[-1]["fields"]
            assert isinstance(fields, dict)
            fields[attributes["name"]] = attributes.get("value", "")
        elif self.forms and tag == "button" and "name" in attributes:
            buttons = self.forms[-1]["buttons"]
            assert isinstance(buttons, dict)
            buttons[attributes.get("value", "")] = attributes["name"]


def _form(page: httpx2.Response) -> tuple[str, dict[str, str], dict[str, str]]:
    assert page.status_code == 200, page.text[:300]
    parser = _Forms()
    parser.feed(page.text)
    form = parser.forms[0]
    action = urljoin(str(page.url), str(form["action"]))
    return action, dict(form["fields"]), dict(form["buttons"])  # type: ignore[call-overload]


def browser_login(authorize_url: str, user: DemoUser, *, decision: str = "allow") -> dict[str, str]:
    """Play the person: open the login page, log in, press Allow (or Deny); return the
    query Salesforce redirects back with (``code`` and ``state``, or ``error``)."""
    with httpx2.Client(follow_redirects=False) as browser:
        action, fields, _ = _form(browser.get(authorize_url))
        consent = browser.post(
            action, data={**fields, "username": user.username, "pw": user.password}
        )
        action, fields, buttons = _form(consent)
        answer = browser.post(action, data={**fields, buttons[decision]: decision})
    assert answer.status_code == 302, answer.text[:300]
    location = answer.headers["Location"]
    assert location.startswith(CALLBACK)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
