"""a final rating under review, and its outcome (F27)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 06:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_RATING = sa.Enum(
    "exceeding",
    "high_performing",
    "achieving",
    "partially_met",
    name="rating",
    native_enum=False,
    length=32,
)


def upgrade() -> None:
    op.create_table(
        "rating_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", _RATING, nullable=True),
        sa.Column("outcome_reason", sa.Text(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["opened_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["closed_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["year"], ["performance_year.start_year"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "year"),
    )
    with op.batch_alter_table("rating_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_review_person_id"), ["person_id"])
        batch_op.create_index(batch_op.f("ix_rating_review_year"), ["year"])


def downgrade() -> None:
    op.drop_table("rating_review")
