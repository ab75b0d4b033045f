"""Connections: `connect`, `connections`, `check` and `disconnect`.

`connect` runs OAuth's authorization-code flow with a loopback redirect (the browser, or a URL
printed for a person to open), or stores a refresh token obtained elsewhere (headless servers).
No token is ever printed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from sfimport.cli.context import CliState
from sfimport.cli.oauth_loopback import LoopbackCallback, loopback_target, port_target
from sfimport.cli.options import ConnectionName, JsonFlag, command_state
from sfimport.cli.output import (
    EXIT_CODES_HELP,
    ExitCode,
    emit_json,
    print_pairs,
    print_table,
    say,
)
from sfimport.errors import AuthorizationDenied, NotFound, SfimportError, UsageError

if TYPE_CHECKING:
    from sfimport.app.ports import Connected, Connection, PermissionItem, PermissionReport


def register(app: typer.Typer) -> None:
    app.command("connect", epilog=EXIT_CODES_HELP)(connect)
    app.command("connections", epilog=EXIT_CODES_HELP)(connections)
    app.command("check", epilog=EXIT_CODES_HELP)(check)
    app.command("disconnect", epilog=EXIT_CODES_HELP)(disconnect)


def connect(
    ctx: typer.Context,
    name: ConnectionName,
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="A sandbox org (login at test.salesforce.com).")
    ] = False,
    login_url: Annotated[
        str | None,
        typer.Option(
            "--login-url", help="A My Domain login URL, e.g. https://acme.my.salesforce.com."
        ),
    ] = None,
    no_browser: Annotated[
        bool,
        typer.Option("--no-browser", help="Print the login URL instead of opening a browser."),
    ] = False,
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the login to finish in the browser.")
    ] = 300.0,
    callback_port: Annotated[
        int | None,
        typer.Option(
            "--callback-port",
            metavar="PORT",
            show_default=False,
            help="Listen for the login redirect on http://127.0.0.1:PORT/oauth/callback instead "
            "of SFIMPORT_REDIRECT_URI; 0: any free port (only for a Connected App that accepts "
            "any loopback port).",
        ),
    ] = None,
    refresh_token: Annotated[
        str | None,
        typer.Option(
            "--refresh-token",
            envvar="SFIMPORT_REFRESH_TOKEN",
            show_envvar=True,
            show_default=False,
            help="Connect headlessly with a refresh token instead of a browser; '-' reads it "
            "from stdin so it stays out of the shell history.",
        ),
    ] = None,
    reauthorize: Annotated[
        bool,
        typer.Option(
            "--reauthorize",
            help="Log in again for the existing connection NAME (e.g. after Salesforce revoked "
            "it): its tokens are replaced, its data sets, schedules and runs kept. The login "
            "must be to the same org; the connection's login URL and sandbox choice are used.",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Connect a Salesforce org: log in through the browser, or use a refresh token.

    The browser login ends with Salesforce redirecting to SFIMPORT_REDIRECT_URI (default
    http://127.0.0.1:8000/oauth/callback), where this command listens: that exact URL must be one
    of the Connected App's callback URLs (the same one 'sfimport serve' uses, so stop the web app
    while connecting here). Afterwards the Salesforce user's permissions are checked and
    anything missing is listed.
    """
    state = command_state(ctx, as_json)
    workspace = state.workspace()
    if reauthorize and (sandbox or login_url):
        raise UsageError(
            "--reauthorize logs in where the connection was made; --sandbox and --login-url "
            "do not apply.",
            remedy="Leave them out, or delete the connection and connect it again elsewhere.",
        )
    if refresh_token is not None:
        token = _read_token(state) if refresh_token == "-" else refresh_token.strip()
        if not token:
            raise UsageError("The refresh token is empty.", remedy="Pass the token, or '-'.")
        connected = workspace.connect_with_refresh_token(
            name, token, sandbox=sandbox, login_url=login_url, reauthorize=reauthorize
        )
    else:
        connected = _browser_login(
            state, name, sandbox, login_url, no_browser, timeout, callback_port, reauthorize
        )
    info = connected.connection
    if state.json:
        emit_json(
            state,
            {
                "connection": info,
                "permissions": connected.permissions,
                "reauthorized": connected.reauthorized,
            },
        )
        return
    if connected.reauthorized:
        say(state, f"Re-authorised '{info.name}' as {info.username}; its data sets are kept.")
    else:
        say(state, f"Connected '{info.name}' as {info.username}.")
    _print_connection(state, info)
    _print_permissions(state, connected.permissions)


def _read_token(state: CliState) -> str:
    if state.read_stdin is not None:
        return state.read_stdin().strip()
    return sys.stdin.readline().strip()


def _browser_login(
    state: CliState,
    name: str,
    sandbox: bool,
    login_url: str | None,
    no_browser: bool,
    timeout: float,
    callback_port: int | None,
    reauthorize: bool,
) -> Connected:
    workspace = state.workspace()
    loopback = _listen(state, callback_port)
    with loopback:
        pending = workspace.begin_authorization(
            name,
            sandbox=sandbox,
            login_url=login_url,
            redirect_uri=loopback.redirect_uri,
            reauthorize=reauthorize,
        )
        # The URL goes to stderr in JSON mode so that stdout stays one JSON document.
        console = state.err if state.json else state.out
        opened = False if no_browser else state.open_browser(pending.authorize_url)
        lead = (
            "Opened the Salesforce login in your browser; if it did not appear, open:"
            if opened
            else "Open this URL to log in to Salesforce and allow access:"
        )
        console.print(lead, markup=False)
        console.print(pending.authorize_url, markup=False, highlight=False, soft_wrap=True)
        console.print(
            f"Waiting up to {timeout:g} s for the login (answer expected at "
            f"{loopback.redirect_uri})...",
            markup=False,
        )
        result = loopback.wait(timeout)
    if result is None:
        raise SfimportError(
            f"No answer from Salesforce's login page within {timeout:g} seconds.",
            remedy=f"Run 'sfimport connect' again and finish the login in the browser. If "
            f"Salesforce showed redirect_uri_mismatch, add {loopback.redirect_uri} to the "
            "Connected App's callback URLs. Without a browser, use --refresh-token.",
        )
    if result.state != pending.state and not result.error:
        raise AuthorizationDenied(
            "The login answer does not belong to this connection attempt (state mismatch)."
        )
    return workspace.complete_authorization(
        state=result.state or "",
        code=result.code,
        error=result.error,
        error_description=result.error_description,
    )


def _listen(state: CliState, callback_port: int | None) -> LoopbackCallback:
    """The loopback server for the redirect: on SFIMPORT_REDIRECT_URI unless a port is given."""
    if callback_port is not None:
        target = port_target(callback_port)
    else:
        configured = state.get_settings().redirect_uri
        found = loopback_target(configured)
        if found is None:
            raise UsageError(
                f"The redirect URI {configured} (SFIMPORT_REDIRECT_URI) is not on this machine, "
                "so 'sfimport connect' cannot receive Salesforce's answer.",
                remedy="Add http://127.0.0.1:8000/oauth/callback to the Connected App's callback "
                "URLs and pass --callback-port 8000, or connect with --refresh-token.",
            )
        target = found
    try:
        return LoopbackCallback(target)
    except OSError as exc:
        where = target.redirect_uri or f"http://127.0.0.1:{target.port}{target.path}"
        raise UsageError(
            f"Cannot listen on {where} for the login redirect: {exc.strerror}.",
            remedy="Stop what uses that port (e.g. 'sfimport serve', which answers the same "
            "callback: connect from its web page instead), or pass --callback-port with a port "
            "whose callback URL the Connected App accepts.",
        ) from exc


def connections(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the connections of this data folder, their status and API usage today."""
    state = command_state(ctx, as_json)
    items = state.workspace().list_connections()
    if state.json:
        emit_json(state, {"connections": items})
        return
    print_table(
        state,
        ["Name", "User", "Org", "Sandbox", "Status", "API used", "Instance"],
        [
            (
                c.name,
                c.username,
                c.org_id,
                c.is_sandbox,
                c.status,
                _usage(c.api_used, c.api_max),
                c.instance_url,
            )
            for c in items
        ],
        empty="No connections yet. Create one with 'sfimport connect NAME'.",
    )


def check(ctx: typer.Context, name: ConnectionName, as_json: JsonFlag = False) -> None:
    """Check the Salesforce user's permissions; exit 1 if any is missing."""
    state = command_state(ctx, as_json)
    report = state.workspace().check_permissions(name)
    if state.json:
        emit_json(state, {"connection": name, "permissions": report})
    else:
        _print_permissions(state, report)
    if report.missing:
        raise typer.Exit(ExitCode.FAILED)


def disconnect(
    ctx: typer.Context,
    name: ConnectionName,
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", help="Do not ask for confirmation (scripts, --json)."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Delete a connection; its token is revoked at Salesforce first.

    Asks first (its data sets stay in My Data, but it cannot refresh them until it is
    connected again); --yes skips the question, and is needed with --json or without a terminal.
    """
    state = command_state(ctx, as_json)
    workspace = state.workspace()
    if not yes:
        # Unknown names fail here, before a question that could only lead to an error.
        if name not in {c.name for c in workspace.list_connections()}:
            raise NotFound(
                f"There is no connection {name!r}.",
                remedy="List connections with 'sfimport connections'.",
            )
        if state.json or not state.can_ask:
            raise UsageError(
                f"Deleting the connection {name!r} needs a confirmation.",
                remedy=f"Pass --yes to delete it without a question: "
                f"sfimport disconnect {name} --yes",
            )
        question = (
            f"Delete the connection {name!r} and revoke its token at Salesforce? Its data sets "
            "stay in My Data but cannot be refreshed until it is connected again."
        )
        if not typer.confirm(question, default=False, err=True):
            state.err.print("Nothing was deleted.", markup=False)
            raise typer.Exit(ExitCode.FAILED)
    result = workspace.delete_connection(name)
    if state.json:
        emit_json(state, {"connection": name, "deleted": True, "result": result})
        return
    say(state, f"Deleted connection '{name}'." + (f" {result.message}" if result.message else ""))


def _usage(used: int | None, maximum: int | None) -> str:
    if used is None or maximum is None:
        return ""
    return f"{used:,}/{maximum:,}"


def _print_connection(state: CliState, info: Connection) -> None:
    print_pairs(
        state,
        [
            ("Name", info.name),
            ("User", info.username),
            ("Org", info.org_id),
            ("Instance", info.instance_url),
            ("Sandbox", info.is_sandbox),
            ("Status", info.status),
            ("API used today", _usage(info.api_used, info.api_max)),
        ],
    )


def _print_permissions(state: CliState, report: PermissionReport) -> None:
    print_table(
        state,
        ["Permission", "Granted", "Without it"],
        [
            (item.name, "unknown" if item.present is None else item.present, _blocks(item))
            for item in report.items
        ],
    )
    if report.missing:
        say(state, f"Missing: {', '.join(_names(report.missing))}.")
    else:
        say(state, "All permissions sfimport needs are granted.")


def _names(missing: Sequence[PermissionItem]) -> list[str]:
    return [item.name for item in missing]


def _blocks(item: PermissionItem) -> str:
    return "" if item.present else item.blocks
