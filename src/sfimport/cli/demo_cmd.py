"""`sfimport demo`: the web app wired to the built-in demo org, for a first look with no account.

Two emulated orgs are served on loopback ports, a production one and a sandbox one, and the
web app's login hosts and Connected App point at them; demo data lives in ``<home>/demo`` so it
never mixes with real imports. The orgs keep their state (records, tokens, permissions) and their
ports in ``<home>/demo/emulator``, so connections saved in the demo keep working after a restart;
``--reset`` starts afresh. The browser tests start the same stack through :func:`demo_stack`.
"""

from __future__ import annotations

import errno
import json
import shutil
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
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
from sfimport.emulator.saved_org import SaveChanges, SavedOrg, SavedOrgError
from sfimport.errors import ConfigurationError
from sfimport.settings import Settings, secure_data_folder

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


#: Where the demo orgs keep their state and ports, under the demo's home.
EMULATOR_FOLDER = "emulator"
PORTS_FILE = "ports.json"
_ORGS = ("production", "sandbox")


class DemoPortTaken(ConfigurationError):
    """A demo org's saved port is in use by another program."""


def _saved_ports(state_dir: Path) -> dict[str, int]:
    try:
        saved = json.loads((state_dir / PORTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {name: int(saved[name]) for name in _ORGS if isinstance(saved.get(name), int)}


def _serve_org(
    stack: ExitStack, org: Org, saved: SavedOrg | None, port: int, ports_file: Path | None
) -> str:
    app = create_emulator(org)
    if saved is not None:
        app = SaveChanges(app, org, saved)
    try:
        server = stack.enter_context(serve_in_thread(app, port=port))
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES) or port == 0:
            raise
        kind = "sandbox" if org.is_sandbox else "production"
        raise DemoPortTaken(
            f"The demo {kind} org's port {port} is taken by another program; the demo keeps "
            f"that port (saved in {ports_file}) so that saved demo connections and their "
            "Re-authorise links keep working.",
            remedy="Stop the other program (is another 'sfimport demo' still running?) and start "
            "the demo again, or run 'sfimport demo --reset' to start a fresh demo on new ports "
            "(saved demo connections and demo data are then removed).",
        ) from exc
    return server.base_url


@contextmanager
def demo_stack(
    home: Path, web_url: str, *, seed: int = 1, state_dir: Path | None = None
) -> Iterator[DemoStack]:
    """Serve a production and a sandbox demo org for the ``with`` block.

    ``web_url`` is where the web app is reachable; Salesforce's login sends people back to its
    ``/oauth/callback``, which the demo Connected App accepts on any loopback port. With
    ``state_dir`` the orgs come back with the state and on the ports saved there, and save
    them as they change and when the block ends.
    """
    production = build_demo_org(seed)
    sandbox = build_demo_org(seed, is_sandbox=True)
    orgs = {"production": production, "sandbox": sandbox}
    saved: dict[str, SavedOrg] = {}
    ports: dict[str, int] = {}
    ports_file = None if state_dir is None else state_dir / PORTS_FILE
    if state_dir is not None:
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        ports = _saved_ports(state_dir)
        for name, org in orgs.items():
            saved[name] = SavedOrg(state_dir / name)
            try:
                saved[name].load_into(org)
            except SavedOrgError as exc:
                raise ConfigurationError(
                    f"The demo {name} org's saved state cannot be used: {exc}.",
                    remedy="Run 'sfimport demo --reset' to start a fresh demo (saved demo "
                    "connections and demo data are then removed).",
                ) from exc

    def save_all() -> None:
        for name, keeper in saved.items():
            keeper.save(orgs[name])

    with ExitStack() as stack:
        # Registered first, so it runs last: after both servers have stopped.
        stack.callback(save_all)
        urls = {
            name: _serve_org(stack, org, saved.get(name), ports.get(name, 0), ports_file)
            for name, org in orgs.items()
        }
        if state_dir is not None:
            save_all()
            chosen = {name: int(url.rsplit(":", 1)[1]) for name, url in urls.items()}
            (state_dir / PORTS_FILE).write_text(json.dumps(chosen), encoding="utf-8")
        settings = Settings(
            home=home,
            client_id=DEMO_CLIENT_ID,
            client_secret=DEMO_CLIENT_SECRET,
            production_login_url=urls["production"],
            sandbox_login_url=urls["sandbox"],
            redirect_uri=f"{web_url.rstrip('/')}/oauth/callback",
        )
        yield DemoStack(settings, production, sandbox, urls["production"], urls["sandbox"])


def reset_demo(demo_home: Path) -> bool:
    """Remove the demo's orgs, connections and data; False when there was nothing to remove."""
    if not demo_home.exists():
        return False
    shutil.rmtree(demo_home)
    return True


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
    reset: Annotated[
        bool,
        typer.Option(
            "--reset",
            help="Start afresh: delete the demo orgs (records, tokens, ports), the demo "
            "connections and the imported demo data before starting. Real data is not touched.",
        ),
    ] = False,
) -> None:
    """Start the web app on the built-in demo org and print its URL and demo logins.

    The demo orgs keep their records, tokens and ports between runs, so demo connections saved
    yesterday still work today; --reset starts again from nothing.
    """
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
    if reset:
        removed = reset_demo(demo_home)
        typer.echo(
            f"Reset the demo: deleted {demo_home} (demo orgs, connections and data); "
            "starting afresh."
            if removed
            else f"Reset the demo: nothing to delete in {demo_home}; starting afresh."
        )
    secure_data_folder(demo_home)
    state_dir = demo_home / EMULATOR_FOLDER
    resumed = (state_dir / PORTS_FILE).is_file()
    with demo_stack(demo_home, web_url, state_dir=state_dir) as stack:
        settings = stack.settings.model_copy(update={"host": host, "port": chosen})
        typer.echo(f"sfimport demo: open {web_url}/ (Ctrl-C to stop)")
        typer.echo(f"Demo data folder: {settings.data_dir()}")
        typer.echo(f"Demo Salesforce org: {stack.production_url} (sandbox: {stack.sandbox_url})")
        typer.echo(
            f"Demo orgs resumed from {state_dir} (saved demo connections keep working; "
            "'sfimport demo --reset' starts afresh)."
            if resumed
            else f"Demo orgs saved in {state_dir}: they come back as they are on the next start."
        )
        typer.echo("Log in to the demo org as one of these users:")
        for user in DEMO_USERS:
            typer.echo(f"  {user.username:<40} {user.password:<20} lacks {user.lacks}")
        token = issue_access_token(settings)
        if token is not None:
            typer.echo(access_token_notice(token))
        try:
            app = create_app(settings)
            # The demo's two sample pipes, made once the objects they read are imported.
            app.state.workspace.enable_sample_pipes()
        except KeyboardInterrupt:
            # Ctrl-C while the web app starts (serve_app says so itself once it serves).
            typer.echo("sfimport demo: stopping (the demo orgs are saved)...", err=True)
            raise
        serve_app(app, host, chosen)
