"""`sfimport completion SHELL`: the shell completion script, for a shell named explicitly
(`--install-completion` and `--show-completion` detect the current shell instead)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from typer._completion_shared import get_completion_script

from sfimport.cli.output import EXIT_CODES_HELP


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def register(app: typer.Typer) -> None:
    app.command("completion", epilog=EXIT_CODES_HELP)(completion)


def completion(
    shell: Annotated[Shell, typer.Argument(help="bash, zsh or fish.", case_sensitive=False)],
) -> None:
    """Print the shell completion script for bash, zsh or fish.

    Example: add  eval "$(sfimport completion bash)"  to ~/.bashrc; or run
    'sfimport --install-completion' to install it for the current shell.
    """
    script = get_completion_script(
        prog_name="sfimport", complete_var="_SFIMPORT_COMPLETE", shell=shell.value
    )
    typer.echo(script)
