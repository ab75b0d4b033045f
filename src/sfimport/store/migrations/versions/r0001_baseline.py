"""The schema of the first release (metadata made by ``create_all``): connections, runs, the
data sets of each run, schedules.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("login_url", sa.String(2048), nullable=False),
        sa.Column("instance_url", sa.String(2048), nullable=False),
        sa.Column("org_id", sa.String(18), nullable=False),
        sa.Column("user_id", sa.String(18), nullable=False),
        sa.Column("username", sa.String(255), nullable=False),
        sa.Column("is_sandbox", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_checked_at", sa.DateTime(), nullable=True),
        sa.Column("api_used", sa.Integer(), nullable=True),
        sa.Column("api_max", sa.Integer(), nullable=True),
        sa.Column("access_token_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("refresh_token_encrypted", sa.LargeBinary(), nullable=True),
    )
    op.create_table(
        "engine_runs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(24), nullable=False, index=True),
        sa.Column("connection", sa.String(200), nullable=False),
        sa.Column("folder", sa.String(200), nullable=False),
        sa.Column("spec_toml", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("resume_at", sa.DateTime(), nullable=True),
        sa.Column("error_json", sa.Text(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
    )
    op.create_table(
        "engine_schedules",
        sa.Column("dataset", sa.String(200), primary_key=True),
        sa.Column("every", sa.String(100), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "engine_run_datasets",
        sa.Column("run_id", sa.String(40), sa.ForeignKey("engine_runs.id"), primary_key=True),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("rows_expected", sa.Integer(), nullable=True),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("count_mismatch", sa.Integer(), nullable=True),
        sa.Column("watermark", sa.DateTime(), nullable=True),
        sa.Column("checkpoint_json", sa.Text(), nullable=True),
        sa.Column("incomplete_reason", sa.Text(), nullable=True),
        sa.Column("error_json", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    for table in ("engine_run_datasets", "engine_schedules", "engine_runs", "connections"):
        op.drop_table(table)
