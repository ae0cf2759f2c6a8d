"""temporary promotion into the SCS, from the roster (F25)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 08:30:00

The roster says who is temporarily promoted into the SCS, since when and from which grade, so
the two facts live on the person. The never-used temporary_promotion table goes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("temporary_promotion_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("substantive_grade", sa.String(length=64), nullable=True))
    with op.batch_alter_table("temporary_promotion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_temporary_promotion_person_id"))
    op.drop_table("temporary_promotion")


def downgrade() -> None:
    op.create_table(
        "temporary_promotion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "grade",
            sa.Enum("SCS1", "SCS2", "SCS3", "PermSec", name="grade", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("temporary_promotion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_temporary_promotion_person_id"), ["person_id"], unique=False
        )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("substantive_grade")
        batch_op.drop_column("temporary_promotion_from")
