"""Team mode's job queue on PostgreSQL: procrastinate's schema (of the pinned procrastinate
release) and the names of its workers. Nothing changes on SQLite, whose queue is the
embedded ``engine_jobs`` table.

A newer procrastinate ships its schema changes as SQL migrations; each is applied by a later
revision here, so the pin in pyproject.toml moves with such a revision.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None

#: The procrastinate release whose schema this revision applies.
PROCRASTINATE = "3.10.0"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from importlib.metadata import version

    from procrastinate.schema import SchemaManager

    installed = version("procrastinate")
    if installed != PROCRASTINATE:
        raise RuntimeError(
            f"This revision applies procrastinate {PROCRASTINATE}'s schema; {installed} is "
            "installed. Install the version sfimport pins (pip install 'sfimport[team]')."
        )
    # Through the driver's own connection, in the migration's transaction: the schema is many
    # statements with PL/pgSQL bodies, which psycopg runs as one simple query.
    driver = bind.connection.driver_connection
    assert driver is not None
    driver.execute(SchemaManager.get_schema())
    op.execute(
        "CREATE TABLE team_queue_workers ("
        " worker_id bigint PRIMARY KEY REFERENCES procrastinate_workers(id) ON DELETE CASCADE,"
        " name varchar(120) NOT NULL)"
    )


def downgrade() -> None:
    raise NotImplementedError("The PostgreSQL queue's schema is not removed by a downgrade.")
