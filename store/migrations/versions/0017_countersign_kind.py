"""asks to countersign a write-up are their own kind of nudge (they go in the day's list)

Rows planned before this revision carry the write-up agreement kind with a countersign step;
they take the new kind, so the planner does not ask again under it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 09:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE outbox SET kind = 'write_up_countersign' "
        "WHERE kind = 'write_up_agreement' AND step LIKE 'countersign\\_%' ESCAPE '\\'"
    )


def downgrade() -> None:
    op.execute("UPDATE outbox SET kind = 'write_up_agreement' WHERE kind = 'write_up_countersign'")
