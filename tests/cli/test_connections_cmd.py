"""`connect`, `connections`, `check`, `disconnect` against a stand-in Workspace."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from typer.testing import CliRunner

from sfimport.cli import app
from sfimport.cli.context import CliState
from tests.cli.conftest import Invoke
from tests.fakes.services import SECRET_TOKEN, FakeServices

SECRET = SECRET_TOKEN


def test_connect_with_a_refresh_token_from_stdin_never_prints_it(
    invoke: Invoke, fake: FakeServices
) -> None:
    result = invoke(["connect", "ci", "--refresh-token", "-"], input=SECRET + "\n")
    assert result.exit_code == 0, result.output
    assert fake.tokens == [SECRET]
    assert "Connected 'ci' as admin@acme.example." in result.stdout
    assert "All permissions sfimport needs are granted." in result.stdout
    assert SECRET not in result.output


def test_connect_with_a_refresh_token_from_the_environment(
    invoke: Invoke, fake: FakeServices
) -> None:
    result = CliRunner().invoke(
        app,
        ["connect", "ci", "--json"],
        env={"SFIMPORT_REFRESH_TOKEN": SECRET},
        obj=CliState(workspace_factory=lambda s: fake, terminal=False, owns_workspace=False),
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["connection"]["name"] == "ci"
    assert body["permissions"]["items"][0]["present"] is True
    assert SECRET not in result.output


def test_connect_with_an_empty_token_is_a_usage_error(invoke: Invoke) -> None:
    result = invoke(["connect", "ci", "--refresh-token", "-"], input="\n")
    assert result.exit_code == 2
    assert "Error: The refresh token is empty." in result.stderr


def _follow_redirect(
    params: dict[str, str],
) -> tuple[list[str], Callable[[str], bool], list[threading.Thread]]:
    """An 'open browser' that plays Salesforce: it redirects to the loopback callback."""
    opened: list[str] = []

    def open_browser(url: str) -> bool:
        opened.append(url)
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        query = "&".join(f"{k}={v}" for k, v in params.items())

        def visit() -> None:
            with urllib.request.urlopen(f"{redirect}?{query}", timeout=5) as response:
                assert response.status == 200

        thread = threading.Thread(target=visit)
        thread.start()
        threads.append(thread)
        return True

    threads: list[threading.Thread] = []
    return opened, open_browser, threads


def test_connect_opens_the_browser_and_completes_on_the_loopback_redirect(
    invoke: Invoke, fake: FakeServices
) -> None:
    opened, open_browser, threads = _follow_redirect({"code": "abc", "state": "state1"})
    result = invoke(["connect", "prod2", "--timeout", "5"], open_browser=open_browser)
    for thread in threads:
        thread.join()
    assert result.exit_code == 0, result.output
    assert opened and "redirect_uri=http://127.0.0.1:" in opened[0]
    assert "/oauth/callback" in opened[0]
    assert fake.completed == [{"state": "state1", "code": "abc", "error": None}]
    assert "Connected 'prod2'" in result.stdout


def test_connect_when_the_person_denies_access_says_so_and_exits_1(
    invoke: Invoke, fake: FakeServices
) -> None:
    _, open_browser, threads = _follow_redirect(
        {"error": "access_denied", "error_description": "end-user+denied+authorization"}
    )
    result = invoke(["connect", "prod2", "--timeout", "5"], open_browser=open_browser)
    for thread in threads:
        thread.join()
    assert result.exit_code == 1
    assert "Error: Salesforce said: end-user denied authorization." in result.stderr
    assert "Fix: " in result.stderr


def test_connect_no_browser_prints_the_url_and_times_out_cleanly(invoke: Invoke) -> None:
    def never(url: str) -> bool:
        raise AssertionError("the browser must not be opened with --no-browser")

    result = invoke(["connect", "prod2", "--no-browser", "--timeout", "0.2"], open_browser=never)
    assert result.exit_code == 1
    assert "Open this URL to log in" in result.stdout
    assert "https://login.salesforce.com/services/oauth2/authorize" in result.stdout
    assert "Error: No answer from Salesforce's login page within 0.2 seconds." in result.stderr


def test_connect_in_json_mode_keeps_the_url_off_stdout(invoke: Invoke) -> None:
    result = invoke(
        ["connect", "prod2", "--no-browser", "--timeout", "0.1", "--json"],
        open_browser=lambda url: False,
    )
    assert result.exit_code == 1
    assert "services/oauth2/authorize" in result.stderr
    assert json.loads(result.stdout)["error"]["message"].startswith("No answer")


def test_connections_lists_names_users_and_api_usage(invoke: Invoke) -> None:
    result = invoke(["connections"])
    assert result.exit_code == 0
    header, row = result.stdout.strip().splitlines()
    assert header.split("\t")[:2] == ["Name", "User"]
    assert row.split("\t")[0] == "prod"
    assert "120/15,000" in row


def test_connections_with_none_says_how_to_create_one(invoke: Invoke, fake: FakeServices) -> None:
    fake.connections.clear()
    result = invoke(["connections"])
    assert result.exit_code == 0
    assert "sfimport connect NAME" in result.stdout


def test_check_lists_permissions_and_exits_1_when_one_is_missing(
    invoke: Invoke, fake: FakeServices
) -> None:
    fake.missing_permissions.add("Run Reports")
    result = invoke(["check", "prod"])
    assert result.exit_code == 1
    assert "Run Reports\tno\timporting reports" in result.stdout
    assert "Missing: Run Reports." in result.stdout


def test_check_json_lists_every_permission(invoke: Invoke) -> None:
    result = invoke(["check", "prod", "--json"])
    assert result.exit_code == 0
    items = json.loads(result.stdout)["permissions"]["items"]
    assert [i["name"] for i in items] == [
        "API Enabled",
        "Run Reports",
        "View Setup and Configuration",
    ]


def test_disconnect_revokes_and_forgets_the_connection(invoke: Invoke, fake: FakeServices) -> None:
    result = invoke(["disconnect", "prod", "--yes"])
    assert result.exit_code == 0
    assert "Deleted connection 'prod'. The token was revoked at Salesforce." in result.stdout
    assert fake.connections == {}
    again = invoke(["disconnect", "prod", "--json", "--yes"])
    assert again.exit_code == 2
    assert json.loads(again.stdout)["error"]["kind"] == "not_found"


def test_disconnect_asks_first_and_a_no_deletes_nothing(invoke: Invoke, fake: FakeServices) -> None:
    declined = invoke(["disconnect", "prod"], interactive=True, input="n\n")
    assert declined.exit_code == 1
    assert "Delete the connection 'prod'" in declined.stderr
    assert "Nothing was deleted." in declined.stderr
    assert "prod" in fake.connections
    accepted = invoke(["disconnect", "prod"], interactive=True, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "Deleted connection 'prod'." in accepted.stdout
    assert fake.connections == {}


def test_disconnect_without_a_terminal_or_in_json_needs_yes(
    invoke: Invoke, fake: FakeServices
) -> None:
    piped = invoke(["disconnect", "prod"], interactive=False)
    assert piped.exit_code == 2
    assert piped.stderr.splitlines() == [
        "Error: Deleting the connection 'prod' needs a confirmation.",
        "Fix: Pass --yes to delete it without a question: sfimport disconnect prod --yes",
    ]
    as_json = invoke(["disconnect", "prod", "--json"], interactive=True)
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["error"]["kind"] == "usage"
    assert "prod" in fake.connections
