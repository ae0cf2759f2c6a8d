"""evidence: who wrote a saved message and when, and when an item was last edited (F14)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 10:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_author", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("source_posted_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_column("edited_at")
        batch_op.drop_column("source_posted_at")
        batch_op.drop_column("source_author")
