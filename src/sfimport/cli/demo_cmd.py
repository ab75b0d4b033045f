"""`sfimport demo`: the web app wired to the built-in demo org, for a first look with no account.

Two emulated orgs are served on free loopback ports, a production one and a sandbox one, and
the web app's login hosts and Connected App point at them; demo data lives in ``<home>/demo``
so it never mixes with real imports. The browser tests start the same stack through
:func:`demo_stack`.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from sfimport.cli.options import command_state
from sfimport.emulator import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_USERS,
    Org,
    build_demo_org,
    create_emulator,
    serve_in_thread,
)
from sfimport.settings import Settings

#: How many ports after the requested one are tried when it is taken.
PORT_ATTEMPTS = 20


@dataclass(frozen=True)
class DemoStack:
    """The running demo orgs and the settings that point the product at them."""

    settings: Settings
    production: Org
    sandbox: Org
    production_url: str
    sandbox_url: str


@contextmanager
def demo_stack(home: Path, web_url: str, *, seed: int = 1) -> Iterator[DemoStack]:
    """Serve a production and a sandbox demo org for the ``with`` block.

    ``web_url`` is where the web app is reachable; Salesforce's login sends people back to its
    ``/oauth/callback``, which the demo Connected App accepts on any loopback port.
    """
    production = build_demo_org(seed)
    sandbox = build_demo_org(seed, is_sandbox=True)
    with (
        serve_in_thread(create_emulator(production)) as prod_server,
        serve_in_thread(create_emulator(sandbox)) as sandbox_server,
    ):
        settings = Settings(
            home=home,
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
            production_login_url=prod_server.base_url,
            sandbox_login_url=sandbox_server.base_url,
            redirect_uri=f"{web_url.rstrip('/')}/oauth/callback",
        )
        yield DemoStack(
            settings, production, sandbox, prod_server.base_url, sandbox_server.base_url
        )


def free_port(host: str, port: int) -> int:
    """``port`` if it can be bound on ``host``, else the next free one."""
    for candidate in range(port, port + PORT_ATTEMPTS):
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            try:
                sock.bind((host, candidate))
            except OSError as exc:
                if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                    continue
                raise
            return candidate
    raise typer.BadParameter(f"ports {port} to {port + PORT_ATTEMPTS - 1} are all taken")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address the web app binds to.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="Port of the web app (the next free one if taken).")
    ] = 8000,
) -> None:
    """Start the web app on the built-in demo org and print its URL and demo logins."""
    # Imported here: the web app pulls in FastAPI and the engine, which `--help` does not.
    from sfimport.web import create_app
    from sfimport.web.access import issue_access_token
    from sfimport.web.server import access_token_notice, serve_app

    chosen = free_port(host, port)
    if chosen != port:
        typer.echo(f"Port {port} is taken; using {chosen} instead.")
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    web_url = f"http://{shown_host}:{chosen}"
    # The demo keeps its data apart from real imports: <home>/demo (home from --home or
    # SFIMPORT_HOME, ~/.sfimport by default).
    demo_home = command_state(ctx, False).get_settings().home.expanduser() / "demo"
    with demo_stack(demo_home, web_url) as stack:
        settings = stack.settings.model_copy(update={"host": host, "port": chosen})
        typer.echo(f"sfimport demo: open {web_url}/ (Ctrl-C to stop)")
        typer.echo(f"Demo data folder: {settings.data_dir()}")
        typer.echo(f"Demo Salesforce org: {stack.production_url} (sandbox: {stack.sandbox_url})")
        typer.echo("Log in to the demo org as one of these users:")
        for user in DEMO_USERS:
            typer.echo(f"  {user.username:<40} {user.password:<20} lacks {user.lacks}")
        token = issue_access_token(settings)
        if token is not None:
            typer.echo(access_token_notice(token))
        serve_app(create_app(settings), host, chosen)
