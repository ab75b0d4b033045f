"""`sfimport users` and `sfimport audit`: team mode's accounts, roles, API tokens and audit log.

They work on the shared metadata database (SFIMPORT_DATABASE_URL); whoever can run them there
can reach that database anyway, so they act as ``cli:<operating-system user>`` in the log.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from sfimport.cli.context import CliState
from sfimport.cli.options import JsonFlag, command_state
from sfimport.cli.output import EXIT_CODES_HELP, emit_json, print_table, say
from sfimport.errors import ConfigurationError, UsageError

if TYPE_CHECKING:
    from sfimport.app.accounts import AccountsService

users_app = typer.Typer(
    help="Team mode's users: add, list, remove, change roles, issue API tokens.",
    no_args_is_help=True,
)
UserName = Annotated[str, typer.Argument(help="The user's name (letters, digits, . _ @ -).")]
RoleName = Annotated[
    str,
    typer.Argument(
        help="admin (connections, users), member (import, refresh, schedules, export) or "
        "viewer (read My Data)."
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.command("audit", epilog=EXIT_CODES_HELP)(audit)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


@contextmanager
def _accounts(state: CliState) -> Iterator[AccountsService]:
    settings = state.get_settings()
    if not settings.team_mode:
        raise ConfigurationError(
            "Users and roles exist in team mode only; this sfimport keeps its metadata in the "
            "data folder (single user, no login on loopback).",
            remedy="Set SFIMPORT_DATABASE_URL (or --database-url) to the team's PostgreSQL "
            "database, e.g. postgresql://sfimport@db.example:5432/sfimport.",
        )
    from sfimport.app.accounts import AccountsService

    with AccountsService.open(settings) as accounts:
        yield accounts


def _password(state: CliState, from_stdin: bool) -> str:
    if from_stdin:
        read = state.read_stdin or sys.stdin.readline
        return read().rstrip("\r\n")
    if not state.can_ask:
        raise UsageError(
            "A password is needed and there is no terminal to ask it on.",
            remedy="Pipe it in with --password-stdin.",
        )
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@users_app.command("add", epilog=EXIT_CODES_HELP)
def add(
    ctx: typer.Context,
    name: UserName,
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="admin (connections, users), member (import, refresh, schedules, export) or "
            "viewer (read My Data).",
        ),
    ] = "viewer",
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the password from standard input (for scripts)."
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Add a user who logs in to the web app with a password (hashed with argon2id)."""
    from sfimport.app.accounts import parse_role

    state = command_state(ctx, as_json)
    chosen = parse_role(role)
    with _accounts(state) as accounts:
        user = accounts.add_user(name, chosen, _password(state, password_stdin), actor=_actor())
    if state.json:
        emit_json(state, {"name": user.name, "role": user.role.value})
        return
    say(state, f"Added {user.name} ({user.role.value}).")


@users_app.command("list", epilog=EXIT_CODES_HELP)
def list_users(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """List the users and their roles."""
    state = command_state(ctx, as_json)
    with _accounts(state) as accounts:
        users = accounts.list_users()
    if state.json:
        emit_json(state, {"users": [{"name": u.name, "role": u.role.value} for u in users]})
        return
    print_table(
        state,
        ["user", "role", "since"],
        [(u.name, u.role.value, u.created_at) for u in users],
        empty="No users yet: add the first admin with 'sfimport users add NAME --role admin'.",
    )


@users_app.command("remove", epilog=EXIT_CODES_HELP)
def remove(ctx: typer.Context, name: UserName, as_json: JsonFlag = False) -> None:
    """Remove a user and their API tokens (their sessions end at their next request)."""
    state = command_state(ctx, as_json)
    with _accounts(state) as accounts:
        accounts.remove_user(name, actor=_actor())
    if state.json:
        emit_json(state, {"removed": name})
        return
    say(state, f"Removed {name}.")


@users_app.command("set-role", epilog=EXIT_CODES_HELP)
def set_role(ctx: typer.Context, name: UserName, role: RoleName, as_json: JsonFlag = False) -> None:
    """Change a user's role (it applies from their next request)."""
    from sfimport.app.accounts import parse_role

    state = command_state(ctx, as_json)
    chosen = parse_role(role)
    with _accounts(state) as accounts:
        user = accounts.set_role(name, chosen, actor=_actor())
    if state.json:
        emit_json(state, {"name": user.name, "role": user.role.value})
        return
    say(state, f"{user.name} is now {user.role.value}.")


@users_app.command("token", epilog=EXIT_CODES_HELP)
def token(
    ctx: typer.Context,
    name: UserName,
    label: Annotated[
        str, typer.Option("--label", help="What the token is for, shown in the audit log.")
    ] = "script",
    as_json: JsonFlag = False,
) -> None:
    """Issue an API token for scripts acting as this user; printed once, kept only hashed."""
    state = command_state(ctx, as_json)
    with _accounts(state) as accounts:
        issued = accounts.issue_token(name, label, actor=_actor())
    if state.json:
        emit_json(state, {"name": name, "token": issued})
        return
    state.out.print(issued, markup=False, highlight=False)


def audit(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many.")] = 50,
    user: Annotated[
        str | None, typer.Option("--user", help="Only what this user did (or tried).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Show team mode's audit log: every change and export, who, what, when, newest first."""
    state = command_state(ctx, as_json)
    with _accounts(state) as accounts:
        entries = accounts.audit_log(limit=limit, actor=user)
    if state.json:
        emit_json(state, {"entries": entries})
        return
    print_table(
        state,
        ["when", "who", "what", "target", "outcome", "detail"],
        [(e.at, e.actor, e.action, e.target, e.outcome, e.detail) for e in entries],
        empty="The audit log is empty.",
    )
