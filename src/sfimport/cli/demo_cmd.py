"""`sfimport demo`: the web app wired to the built-in demo org, for a first look with no account."""

from __future__ import annotations

import typer
import uvicorn

from sfimport.settings import Settings
from sfimport.web import create_app


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        host: str = typer.Option("127.0.0.1", help="Address the web app binds to."),
        port: int = typer.Option(8000, help="Port of the web app."),
    ) -> None:
        """Start the web app on the built-in demo org and print its URL."""
        settings = Settings(host=host, port=port)
        typer.echo(f"sfimport demo: open http://{host}:{port}/ (Ctrl-C to stop)")
        uvicorn.run(create_app(settings), host=host, port=port, http="h11", log_level="warning")
