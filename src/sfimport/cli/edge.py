"""The edge of the command line: the one place errors become messages and exit codes.

Commands let :class:`SfimportError` propagate; :class:`SfimportGroup` catches it around every
command (and around the parsing of its options), prints one ``Error:`` line and one ``Fix:`` line
(or a JSON error object with ``--json``) and exits with the matching code. An unexpected exception
is one line and exit 1; ``--debug`` shows its traceback. Never a traceback by default.
"""

from __future__ import annotations

import traceback
from typing import Any

import typer
from typer._click import Context as ClickContext
from typer._click.exceptions import ClickException, NoArgsIsHelpError

from sfimport.cli.commands import LazyCommandGroup
from sfimport.cli.context import CliState, state_of
from sfimport.cli.output import ExitCode, report_error, report_sfimport_error
from sfimport.errors import SfimportError


class SfimportGroup(LazyCommandGroup):
    """The root command group, whose ``invoke`` maps every failure to an exit code (including
    failures to load a command's module, which happens inside ``invoke``), and whose
    ``parse_args`` does the same for the root's own options (``sfimport --bogus``)."""

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        state = state_of(ctx)
        # Root options are parsed before the root's --json is known: look at the raw words.
        if "--json" in args:
            state.json = True
        try:
            return super().parse_args(ctx, args)
        except NoArgsIsHelpError:
            raise  # bare `sfimport`: the help, as before
        except ClickException as error:
            if getattr(error, "exit_code", 1) != ExitCode.USAGE:
                raise
            report_error(
                state, "usage", error.format_message(), "Run 'sfimport --help' to see the usage."
            )
            raise typer.Exit(ExitCode.USAGE) from None

    # Typer vendors Click: its group's ``invoke`` takes the vendored Click context type.
    def invoke(self, ctx: ClickContext) -> Any:
        state = state_of(ctx)
        # A command's own --json (or --debug) is parsed only inside super().invoke; look at the
        # raw arguments too, so a usage error in that command's options is rendered as JSON.
        raw = [*ctx._protected_args, *ctx.args]
        if "--json" in raw:
            state.json = True
        if "--debug" in raw:
            state.debug = True
        try:
            return super().invoke(ctx)
        except SfimportError as error:
            raise typer.Exit(report_sfimport_error(state, error)) from None
        except (typer.Exit, typer.Abort):
            raise
        except ClickException as error:
            if getattr(error, "exit_code", 1) != ExitCode.USAGE:
                raise
            raise typer.Exit(_report_usage(state, ctx, error)) from None
        except KeyboardInterrupt:
            report_error(
                state,
                "interrupted",
                "Interrupted (Ctrl-C).",
                "A run it left behind continues with 'sfimport resume RUN_ID' "
                "(see 'sfimport runs').",
            )
            raise typer.Exit(130) from None
        except Exception as error:
            if state.debug:
                state.err.print(traceback.format_exc(), markup=False, highlight=False)
            report_error(
                state,
                "internal",
                f"Unexpected error: {type(error).__name__}: {error}",
                "Run the command again with --debug to see the traceback, and report it.",
            )
            raise typer.Exit(ExitCode.FAILED) from None


def _report_usage(state: CliState, ctx: ClickContext, error: ClickException) -> int:
    command = ctx.invoked_subcommand or ""
    hint = f"Run 'sfimport {command} --help' to see the usage.".replace("  ", " ")
    report_error(state, "usage", error.format_message(), hint)
    return int(ExitCode.USAGE)
