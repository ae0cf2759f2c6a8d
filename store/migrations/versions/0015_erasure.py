"""erasure: a person's records removed at the end of their retention period or on request;
the audit log's entries about an erased person may then be deleted, and nothing else

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

REFUSE = "audit_log is append-only"


def upgrade() -> None:
    op.create_table(
        "erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("removed", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["subject_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject_id"),
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ BEGIN "
            "IF TG_OP = 'DELETE' AND OLD.subject_id IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM erasure WHERE erasure.subject_id = OLD.subject_id) "
            f"THEN RETURN OLD; END IF; RAISE EXCEPTION '{REFUSE}'; END; $$ LANGUAGE plpgsql"
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        op.execute(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            "WHEN OLD.subject_id IS NULL OR NOT EXISTS "
            "(SELECT 1 FROM erasure WHERE erasure.subject_id = OLD.subject_id) "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{REFUSE}'; END; $$ LANGUAGE plpgsql"
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        op.execute(
            "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END"
        )
    op.drop_table("erasure")
