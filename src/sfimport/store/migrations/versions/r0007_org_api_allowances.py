"""Team mode's shared API allowance: per org, its reported usage and every process's calls in
flight, so workers on several hosts book calls from one budget.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "org_api_allowances",
        sa.Column("org", sa.String(255), primary_key=True),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("maximum", sa.Integer(), nullable=False),
        sa.Column("in_flight", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("org_api_allowances")
