"""360 respondents from the roster, and removed ones kept for the record (F24)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback_respondent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("respondent_person_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("removed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_feedback_respondent_respondent_person_id_person",
            "person",
            ["respondent_person_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            "fk_feedback_respondent_removed_by_id_person", "person", ["removed_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback_respondent", schema=None) as batch_op:
        batch_op.drop_constraint("fk_feedback_respondent_removed_by_id_person", type_="foreignkey")
        batch_op.drop_constraint(
            "fk_feedback_respondent_respondent_person_id_person", type_="foreignkey"
        )
        batch_op.drop_column("removed_at")
        batch_op.drop_column("removed_by_id")
        batch_op.drop_column("proposed_at")
        batch_op.drop_column("respondent_person_id")
