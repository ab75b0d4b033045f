"""`sfimport emulator`: serve the built-in Salesforce-compatible demo org."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("emulator")
    def emulator(
        host: str = typer.Option("127.0.0.1", help="Address to bind."),
        port: int = typer.Option(8443, help="Port to listen on."),
        tls: bool = typer.Option(False, "--tls", help="Serve HTTPS with a self-signed certificate."),
        seed: int = typer.Option(1, help="Seed of the generated org; the same seed gives the same org."),
        scale: str = typer.Option(
            "", help="Extra rows per object, e.g. 'Account=1000000,Contact=500000'."
        ),
    ) -> None:
        """Serve a Salesforce-compatible org (OAuth, REST, SOQL, Bulk 2.0, Reports) locally."""
        typer.echo("The emulator is not built yet.", err=True)
        raise typer.Exit(2)
