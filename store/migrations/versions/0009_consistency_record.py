"""the mid-year consistency table kept as a record when HR runs the check (F21)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consistency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("characteristic", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("published", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["year"], ["performance_year.start_year"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "characteristic"),
    )
    with op.batch_alter_table("consistency_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consistency_record_year"), ["year"])


def downgrade() -> None:
    op.drop_table("consistency_record")
