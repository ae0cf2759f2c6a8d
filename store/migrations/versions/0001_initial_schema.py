"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 13:22:40.004022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "performance_year",
        sa.Column("start_year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("start_year"),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "grade",
            sa.Enum("SCS1", "SCS2", "SCS3", "PermSec", name="grade", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("business_unit", sa.String(length=200), nullable=False),
        sa.Column(
            "location",
            sa.Enum(
                "England",
                "Wales",
                "Scotland",
                "Northern Ireland",
                name="nation",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("line_manager_id", sa.Integer(), nullable=True),
        sa.Column("countersigning_id", sa.Integer(), nullable=True),
        sa.Column("dg_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("civil_service_start", sa.Date(), nullable=True),
        sa.Column("joined_from_department", sa.String(length=200), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("left_to_department", sa.String(length=200), nullable=True),
        sa.Column("is_hr", sa.Boolean(), nullable=False),
        sa.Column("is_dg", sa.Boolean(), nullable=False),
        sa.Column("poor_performance_measures", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["countersigning_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["dg_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["line_manager_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("staff_id"),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_business_unit"), ["business_unit"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_person_countersigning_id"), ["countersigning_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_person_dg_id"), ["dg_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_person_line_manager_id"), ["line_manager_id"], unique=False
        )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column(
            "via",
            sa.Enum(
                "slack",
                "teams",
                "cli",
                "scheduler",
                "import",
                "test",
                name="channel",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "chat_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("workspace_id", sa.String(length=200), nullable=True),
        sa.Column("conversation_ref", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "external_id"),
    )
    with op.batch_alter_table("chat_identity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chat_identity_person_id"), ["person_id"], unique=False)

    op.create_table(
        "development_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("triggered_by_quarter", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "prompted", "agreed", "closed", name="planstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("prompted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["year"],
            ["performance_year.start_year"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "year"),
    )
    with op.batch_alter_table("development_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_development_plan_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_development_plan_year"), ["year"], unique=False)

    op.create_table(
        "feedback_respondent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("respondent", sa.String(length=200), nullable=False),
        sa.Column("relationship", sa.String(length=100), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("agreed_by_id", sa.Integer(), nullable=True),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreed_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["year"],
            ["performance_year.start_year"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feedback_respondent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_respondent_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_feedback_respondent_year"), ["year"], unique=False)

    op.create_table(
        "finance_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["year"],
            ["performance_year.start_year"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "year"),
    )
    with op.batch_alter_table("finance_outcome", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_finance_outcome_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_finance_outcome_year"), ["year"], unique=False)

    op.create_table(
        "indicative_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column(
            "rating",
            sa.Enum(
                "exceeding",
                "high_performing",
                "achieving",
                "partially_met",
                name="rating",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("what_note", sa.Text(), nullable=False),
        sa.Column("how_note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name="ck_indicative_rating_quarter"),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["year"],
            ["performance_year.start_year"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "year", "quarter"),
    )
    with op.batch_alter_table("indicative_rating", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indicative_rating_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_indicative_rating_year"), ["year"], unique=False)

    op.create_table(
        "minimum_standard_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "standard",
            sa.Enum(
                "value_for_money",
                "delivery",
                "culture",
                "talent",
                name="minimumstandard",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["year"],
            ["performance_year.start_year"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "year", "standard"),
    )
    with op.batch_alter_table("minimum_standard_result", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_minimum_standard_result_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_minimum_standard_result_year"), ["year"], unique=False)

    op.create_table(
        "moderated_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "rating",
            sa.Enum(
                "exceeding",
                "high_performing",
                "achieving",
                "partially_met",
                name="rating",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["year"],
            ["performance_year.start_year"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "year"),
    )
    with op.batch_alter_table("moderated_rating", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderated_rating_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_moderated_rating_year"), ["year"], unique=False)

    op.create_table(
        "objective",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "heading",
            sa.Enum(
                "business_delivery",
                "finance",
                "people",
                "corporate",
                "development",
                "other",
                name="objectiveheading",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("live", "closed", name="objectivestatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["year"],
            ["performance_year.start_year"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("objective", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_objective_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_objective_year"), ["year"], unique=False)

    op.create_table(
        "protected_characteristic",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("characteristic", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("person_id", "characteristic"),
    )
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
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("temporary_promotion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_temporary_promotion_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "write_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum("mid_year", "end_year", name="stage", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("self_assessment", sa.Text(), nullable=True),
        sa.Column("self_assessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("manager_what", sa.Text(), nullable=True),
        sa.Column("manager_how", sa.Text(), nullable=True),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("manager_assessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "recommended_rating",
            sa.Enum(
                "exceeding",
                "high_performing",
                "achieving",
                "partially_met",
                name="rating",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("feedback_360", sa.Boolean(), nullable=True),
        sa.Column("bias_acknowledged", sa.Boolean(), nullable=False),
        sa.Column("job_holder_agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("line_manager_agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("countersigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["year"],
            ["performance_year.start_year"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "year", "stage"),
    )
    with op.batch_alter_table("write_up", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_write_up_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_write_up_year"), ["year"], unique=False)

    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "standard",
            sa.Enum(
                "value_for_money",
                "delivery",
                "culture",
                "talent",
                name="minimumstandard",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("objective_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("source_ref", sa.String(length=300), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["objective.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["year"],
            ["performance_year.start_year"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "source_ref"),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_year"), ["year"], unique=False)

    op.create_table(
        "objective_milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("met_on", sa.Date(), nullable=True),
        sa.Column("met_recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["met_recorded_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["objective.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("objective_milestone", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_objective_milestone_objective_id"), ["objective_id"], unique=False
        )

    op.create_table(
        "objective_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("how", sa.Text(), nullable=False),
        sa.Column("measure", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["objective.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("objective_id", "number"),
    )
    with op.batch_alter_table("objective_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_objective_revision_objective_id"), ["objective_id"], unique=False
        )

    op.create_table(
        "award",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nominee_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("objective_id", sa.Integer(), nullable=True),
        sa.Column("milestone_id", sa.Integer(), nullable=True),
        sa.Column("nominated_by_id", sa.Integer(), nullable=False),
        sa.Column("nominated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "withdrawn",
                name="awardstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("cst_approval_needed", sa.Boolean(), nullable=False),
        sa.CheckConstraint("amount_pence > 0", name="ck_award_amount_positive"),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["objective_milestone.id"],
        ),
        sa.ForeignKeyConstraint(
            ["nominated_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["nominee_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["objective.id"],
        ),
        sa.ForeignKeyConstraint(
            ["year"],
            ["performance_year.start_year"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("award", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_award_nominee_id"), ["nominee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_award_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_award_year"), ["year"], unique=False)

    _audit_log_append_only()


def downgrade() -> None:
    _drop_audit_triggers()
    with op.batch_alter_table("award", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_award_year"))
        batch_op.drop_index(batch_op.f("ix_award_status"))
        batch_op.drop_index(batch_op.f("ix_award_nominee_id"))

    op.drop_table("award")
    with op.batch_alter_table("objective_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objective_revision_objective_id"))

    op.drop_table("objective_revision")
    with op.batch_alter_table("objective_milestone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objective_milestone_objective_id"))

    op.drop_table("objective_milestone")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_year"))
        batch_op.drop_index(batch_op.f("ix_evidence_person_id"))

    op.drop_table("evidence")
    with op.batch_alter_table("write_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_write_up_year"))
        batch_op.drop_index(batch_op.f("ix_write_up_person_id"))

    op.drop_table("write_up")
    with op.batch_alter_table("temporary_promotion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_temporary_promotion_person_id"))

    op.drop_table("temporary_promotion")
    op.drop_table("protected_characteristic")
    with op.batch_alter_table("objective", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objective_year"))
        batch_op.drop_index(batch_op.f("ix_objective_person_id"))

    op.drop_table("objective")
    with op.batch_alter_table("moderated_rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_moderated_rating_year"))
        batch_op.drop_index(batch_op.f("ix_moderated_rating_person_id"))

    op.drop_table("moderated_rating")
    with op.batch_alter_table("minimum_standard_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_minimum_standard_result_year"))
        batch_op.drop_index(batch_op.f("ix_minimum_standard_result_person_id"))

    op.drop_table("minimum_standard_result")
    with op.batch_alter_table("indicative_rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicative_rating_year"))
        batch_op.drop_index(batch_op.f("ix_indicative_rating_person_id"))

    op.drop_table("indicative_rating")
    with op.batch_alter_table("finance_outcome", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finance_outcome_year"))
        batch_op.drop_index(batch_op.f("ix_finance_outcome_person_id"))

    op.drop_table("finance_outcome")
    with op.batch_alter_table("feedback_respondent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_respondent_year"))
        batch_op.drop_index(batch_op.f("ix_feedback_respondent_person_id"))

    op.drop_table("feedback_respondent")
    with op.batch_alter_table("development_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_development_plan_year"))
        batch_op.drop_index(batch_op.f("ix_development_plan_person_id"))

    op.drop_table("development_plan")
    with op.batch_alter_table("chat_identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chat_identity_person_id"))

    op.drop_table("chat_identity")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_subject_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_line_manager_id"))
        batch_op.drop_index(batch_op.f("ix_person_dg_id"))
        batch_op.drop_index(batch_op.f("ix_person_countersigning_id"))
        batch_op.drop_index(batch_op.f("ix_person_business_unit"))

    op.drop_table("person")
    op.drop_table("performance_year")


def _audit_log_append_only() -> None:
    """The audit log can be added to, never changed or emptied (DESIGN.md: append-only)."""
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def _drop_audit_triggers() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
