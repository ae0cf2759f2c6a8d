"""HR's release of a year's moderated ratings (F26)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outcome_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["released_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["year"], ["performance_year.start_year"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year"),
    )


def downgrade() -> None:
    op.drop_table("outcome_release")
