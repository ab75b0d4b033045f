"""`sfimport db current` and `sfimport db upgrade`: the data folder's schema versions.

sfimport upgrades an older data folder by itself when it opens it (saying so, after copying the
metadata file aside); these commands do it on purpose, e.g. before starting services, and show
where a folder stands. A folder written by a newer release is refused (exit 1).
"""

from __future__ import annotations

import typer

from sfimport.cli.options import JsonFlag, command_state
from sfimport.cli.output import EXIT_CODES_HELP, emit_json, say

db_app = typer.Typer(
    help="Show or upgrade the data folder's schema versions (metadata database and My Data).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")


@db_app.command("current", epilog=EXIT_CODES_HELP)
def current(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Show the data folder's schema versions and the newest this release knows."""
    from sfimport.app.database import current_versions

    state = command_state(ctx, as_json)
    versions = current_versions(state.get_settings())
    if state.json:
        emit_json(
            state,
            {
                "metadata": versions.metadata,
                "metadata_newest": versions.metadata_newest,
                "metadata_where": versions.metadata_where,
                "catalog": versions.catalog,
                "catalog_newest": versions.catalog_newest,
                "up_to_date": versions.up_to_date,
            },
        )
        return
    say(
        state,
        f"metadata database: {versions.metadata or 'none'} (newest {versions.metadata_newest})"
        f" in {versions.metadata_where}",
    )
    say(state, f"My Data catalog: {versions.catalog or 'none'} (newest {versions.catalog_newest})")
    if not versions.up_to_date:
        say(state, "Run 'sfimport db upgrade' (or any command) to upgrade this data folder.")


@db_app.command("upgrade", epilog=EXIT_CODES_HELP)
def upgrade(ctx: typer.Context, as_json: JsonFlag = False) -> None:
    """Upgrade the data folder to this release's schema (a copy of the old metadata is kept)."""
    from sfimport.app.database import upgrade_data_folder

    state = command_state(ctx, as_json)
    notes = upgrade_data_folder(state.get_settings())
    if state.json:
        emit_json(state, {"upgraded": notes})
        return
    for note in notes or ["The data folder is already at this release's schema."]:
        say(state, note)
