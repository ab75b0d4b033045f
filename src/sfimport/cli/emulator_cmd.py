"""`sfimport emulator`: serve the built-in Salesforce-compatible demo org."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer


def _parse_scale(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, count = item.partition("=")
        if not name or not count.strip().isdigit():
            raise typer.BadParameter(f"expected Object=count, got {item!r}", param_hint="--scale")
        counts[name.strip()] = int(count)
    return counts


def register(app: typer.Typer) -> None:
    @app.command("emulator")
    def emulator(
        host: str = typer.Option("127.0.0.1", help="Address to bind."),
        port: int = typer.Option(8443, help="Port to listen on (0: any free port)."),
        tls: bool = typer.Option(
            False, "--tls", help="Serve HTTPS with a self-signed certificate."
        ),
        seed: int = typer.Option(
            1, help="Seed of the generated org; the same seed gives the same org."
        ),
        scale: str = typer.Option(
            "",
            help="Rows per object, the total (not extra), e.g. 'Account=1000000,Contact=500000'.",
        ),
    ) -> None:
        """Serve a Salesforce-compatible org (OAuth, REST, SOQL, Bulk 2.0, Reports) locally."""
        from sfimport.emulator import (
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
            DEMO_USERS,
            build_demo_org,
            create_emulator,
        )
        from sfimport.emulator.server import bind, run, write_self_signed_tls

        try:
            org = build_demo_org(seed=seed, scale=_parse_scale(scale))
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--scale") from exc
        try:
            sock = bind(host, port)
        except OSError as exc:
            raise typer.BadParameter(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another port "
                "or --port 0",
                param_hint="--port",
            ) from exc
        port = sock.getsockname()[1]
        files = None
        if tls:
            # Written once the port is ours, to a folder of this process alone (mode 0700).
            directory = Path(tempfile.mkdtemp(prefix=f"sfimport-emulator-tls-{port}-"))
            files = write_self_signed_tls(directory)
        shown_host = f"[{host}]" if ":" in host else host
        base_url = f"{'https' if tls else 'http'}://{shown_host}:{port}"
        typer.echo(f"Salesforce emulator: {base_url}")
        typer.echo(f"  login/instance URL: {base_url}")
        typer.echo(f"  client id:     {DEMO_CLIENT_ID}")
        typer.echo(f"  client secret: {DEMO_CLIENT_SECRET}")
        if files is not None:
            typer.echo(f"  TLS certificate (trust this CA): {files.cert_path}")
        typer.echo("  demo users (username / password / lacks):")
        for user in DEMO_USERS:
            typer.echo(f"    {user.username} / {user.password} / {user.lacks}")
        typer.echo("Press Ctrl-C to stop.")
        run(create_emulator(org), host=host, port=port, tls=files, sock=sock)
