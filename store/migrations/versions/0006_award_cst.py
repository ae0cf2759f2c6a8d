"""the Chief Secretary's approval of an in-year award, recorded by HR (F15)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 08:20:00

The award status gains 'awaiting_cst'; it is stored as VARCHAR(32) with no constraint on its
values, so only the three columns below change the schema.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("award", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cst_reference", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("cst_recorded_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cst_recorded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            "fk_award_cst_recorded_by_id_person", "person", ["cst_recorded_by_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("award", schema=None) as batch_op:
        batch_op.drop_constraint("fk_award_cst_recorded_by_id_person", type_="foreignkey")
        batch_op.drop_column("cst_recorded_at")
        batch_op.drop_column("cst_recorded_by_id")
        batch_op.drop_column("cst_reference")
