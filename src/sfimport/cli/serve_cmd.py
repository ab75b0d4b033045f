"""`sfimport serve`: the web app against real Salesforce, through your Connected App."""

from __future__ import annotations

from typing import Annotated

import typer

from sfimport.cli.options import command_state
from sfimport.cli.output import EXIT_CODES_HELP
from sfimport.errors import ConfigurationError


def register(app: typer.Typer) -> None:
    app.command("serve", epilog=EXIT_CODES_HELP)(serve)


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Address to bind (default: 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default: 8000).")] = None,
) -> None:
    """Start the web app against real Salesforce (needs SFIMPORT_CLIENT_ID; see the README)."""
    state = command_state(ctx, False)
    settings = state.get_settings()
    if not settings.client_id:
        raise ConfigurationError(
            "SFIMPORT_CLIENT_ID is not set: 'sfimport serve' talks to real Salesforce through "
            "your Connected App.",
            remedy="Set SFIMPORT_CLIENT_ID and SFIMPORT_CLIENT_SECRET to the Connected App's "
            "consumer key and secret (see the README), or try 'sfimport demo' with no account.",
        )
    updates: dict[str, object] = {}
    if host is not None:
        updates["host"] = host
    if port is not None:
        updates["port"] = port
    settings = settings.model_copy(update=updates)
    state.settings = settings
    # Imported here: the web app pulls in FastAPI and the engine, which `--help` does not need.
    from sfimport.app.database import upgrade_data_folder
    from sfimport.web import create_app
    from sfimport.web.access import issue_access_token
    from sfimport.web.server import access_token_notice, serve_app

    for note in upgrade_data_folder(settings):
        state.err.print(f"sfimport: {note}", markup=False, highlight=False)
    state.out.print(
        f"sfimport: open http://{settings.host}:{settings.port}/ (Ctrl-C to stop)", markup=False
    )
    token = issue_access_token(settings)
    if token is not None:
        state.out.print(access_token_notice(token), markup=False, highlight=False)
    serve_app(create_app(settings), settings.host, settings.port)
