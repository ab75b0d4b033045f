"""Pipes: each pipe's current definition and sources, every saved version, and its rebuilds.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipes",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("folder", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("sources_json", sa.Text(), nullable=False),
        sa.Column("every", sa.String(100), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "pipe_versions",
        sa.Column("pipe_id", sa.String(40), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "pipe_runs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("pipe_id", sa.String(40), nullable=False),
        sa.Column("pipe", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("cause", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=True),
        sa.Column("error_json", sa.Text(), nullable=True),
    )
    op.create_index("ix_pipe_runs_pipe_id", "pipe_runs", ["pipe_id"])


def downgrade() -> None:
    op.drop_index("ix_pipe_runs_pipe_id", "pipe_runs")
    op.drop_table("pipe_runs")
    op.drop_table("pipe_versions")
    op.drop_table("pipes")
