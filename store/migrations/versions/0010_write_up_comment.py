"""the job holder's comment beside a write-up (F23)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 09:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("write_up", schema=None) as batch_op:
        batch_op.add_column(sa.Column("job_holder_comment", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("job_holder_commented_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("write_up", schema=None) as batch_op:
        batch_op.drop_column("job_holder_commented_at")
        batch_op.drop_column("job_holder_comment")
