"""the line manager's agreement of a person's objectives (F11)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 08:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "objectives_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("agreed_by_id", sa.Integer(), nullable=True),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["agreed_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["year"], ["performance_year.start_year"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "year"),
    )
    with op.batch_alter_table("objectives_agreement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_objectives_agreement_person_id"), ["person_id"])
        batch_op.create_index(batch_op.f("ix_objectives_agreement_year"), ["year"])


def downgrade() -> None:
    op.drop_table("objectives_agreement")
