"""The state one `sfimport` invocation carries: settings, the Workspace, the consoles, output mode.

Everything a command touches from outside (the Workspace, the consoles, the browser, whether stdout
is a terminal) comes through :class:`CliState`, so tests build one on a temporary data folder and an
emulator transport and pass it as Typer's ``obj``.
"""

from __future__ import annotations

import logging
import sys
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from typer._click import Context as ClickContext

from sfimport.errors import ConfigurationError

if TYPE_CHECKING:
    from sfimport.app.ports import CommandsPort
    from sfimport.settings import Settings


def _real_workspace(settings: Settings) -> CommandsPort:
    # Imported on first use: `sfimport --help` must not load DuckDB, Arrow and the engine.
    from sfimport.app.workspace import Workspace

    return Workspace(settings)


def _open_browser(url: str) -> bool:
    return webbrowser.open(url)


@dataclass
class CliState:
    """One invocation's dependencies; ``json`` and ``debug`` are set from the command line."""

    settings: Settings | None = None
    workspace_factory: Callable[[Settings], CommandsPort] = _real_workspace
    #: ``None`` means "ask the console": true on a terminal, false under a pipe or CliRunner.
    terminal: bool | None = None
    open_browser: Callable[[str], bool] = _open_browser
    #: Whether a person can answer a question on stdin; ``None`` means "is stdin a terminal".
    interactive: bool | None = None
    #: Read a secret from standard input (``--refresh-token -``); injectable for tests.
    read_stdin: Callable[[], str] | None = None
    #: Close the Workspace when the command ends; False when a test shares one across commands.
    owns_workspace: bool = True
    json: bool = False
    debug: bool = False
    #: -q: only errors (and JSON) are printed; no review, progress or run table.
    quiet: bool = False
    home: Path | None = None
    #: --database-url (SFIMPORT_DATABASE_URL): the shared metadata database of team mode.
    database_url: str | None = None
    _workspace: CommandsPort | None = field(default=None, repr=False)
    _out: Console | None = field(default=None, repr=False)
    _err: Console | None = field(default=None, repr=False)

    def get_settings(self) -> Settings:
        # Imported on first use: pydantic-settings costs a tenth of a second at startup.
        from sfimport.settings import Settings

        if self.settings is None:
            self.settings = Settings() if self.home is None else Settings(home=self.home)
        elif self.home is not None and self.settings.home != self.home:
            self.settings = self.settings.model_copy(update={"home": self.home})
        if self.database_url is not None and self.settings.database_url != self.database_url:
            self.settings = self.settings.model_copy(update={"database_url": self.database_url})
        return self.settings

    def workspace(self) -> CommandsPort:
        """The Workspace of the data folder, built on first use."""
        if self._workspace is None:
            settings = self.get_settings()
            _check_home(settings.home)
            from sfimport.settings import secure_data_folder

            for line in secure_data_folder(settings.home.expanduser()):
                self.err.print(f"Note: {line}")
            self._workspace = self.workspace_factory(settings)
            # An older data folder was upgraded on opening: say so once, on stderr.
            for note in self._workspace.schema_notes:
                self.err.print(f"sfimport: {note}", markup=False, highlight=False)
        return self._workspace

    def close(self) -> None:
        """Release the Workspace (HTTP clients, database handles) at the end of the command."""
        workspace, self._workspace = self._workspace, None
        if workspace is not None and self.owns_workspace:
            workspace.close()

    @property
    def out(self) -> Console:
        """Standard output (resolved when first used, so CliRunner's capture is honoured)."""
        if self._out is None:
            self._out = Console(soft_wrap=True, highlight=False)
        return self._out

    @property
    def err(self) -> Console:
        if self._err is None:
            self._err = Console(stderr=True, soft_wrap=True, highlight=False)
        return self._err

    @property
    def can_ask(self) -> bool:
        """A question (yes/no) can be answered: stdin is a terminal (or a test says so)."""
        if self.interactive is not None:
            return self.interactive
        return sys.stdin is not None and sys.stdin.isatty()

    @property
    def is_terminal(self) -> bool:
        return self.out.is_terminal if self.terminal is None else self.terminal


def _check_home(home: Path) -> None:
    """The data folder exists or can be made; otherwise a clear error, not a traceback."""
    path = home.expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        reason = error.strerror or str(error)
        if isinstance(error, FileExistsError) or (path.exists() and not path.is_dir()):
            reason = "a file of that name is in the way"
        elif isinstance(error, NotADirectoryError):
            reason = "a part of that path is a file, not a folder"
        raise ConfigurationError(
            f"The data folder {path} cannot be created: {reason}.",
            remedy="Pass --home (or set SFIMPORT_HOME to) a folder you can write to.",
        ) from None
    if not path.is_dir():
        raise ConfigurationError(
            f"The data folder {path} is a file, not a folder.",
            remedy="Pass --home (or set SFIMPORT_HOME to) a folder you can write to.",
        )


_LOG_HANDLER: logging.Handler | None = None


def configure_logging(level: int | None, *, json: bool = False) -> None:
    """Engine logs stay quiet by default (Python would print warnings and their tracebacks to
    stderr); -v, -vv, --log-level or --debug show them on stderr from ``level`` up. The handler
    is replaced, never stacked, per invocation."""
    global _LOG_HANDLER
    logger = logging.getLogger("sfimport")
    if _LOG_HANDLER is not None:
        logger.removeHandler(_LOG_HANDLER)
    if level is not None:
        # Imported only when logs are shown: `--help` stays light.
        from sfimport.app.logs import JsonLineFormatter, redacting_handler

        _LOG_HANDLER = redacting_handler(logging.StreamHandler())
        _LOG_HANDLER.setFormatter(
            JsonLineFormatter()
            if json
            else logging.Formatter("%(levelname)s %(name)s: %(message)s")
        )
        _LOG_HANDLER.setLevel(level)
        logger.setLevel(level)
    else:
        _LOG_HANDLER = logging.NullHandler()
    logger.addHandler(_LOG_HANDLER)


def state_of(ctx: ClickContext) -> CliState:
    """The invocation's state, created by the root callback (or passed in by a test as ``obj``)."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj
