"""a person's choices about their reminders: when the day's list comes, evidence prompts

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23 11:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "preference",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("list_at", sa.Time(), nullable=True),
        sa.Column("evidence_prompts", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("person_id"),
    )


def downgrade() -> None:
    op.drop_table("preference")
