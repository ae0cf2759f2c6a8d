"""perfbot's tables (SQLModel). Write them only through ``store.services`` and ``store.roster``.

Money is integer pence, dates are dates, datetimes are aware UTC, ratings are one enum.
Schema changes go through Alembic (store/migrations); a test holds the two equal.
"""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from store.framework import Grade, MinimumStandard, Nation, ObjectiveHeading, Rating, Stage
from store.types import UTCDateTime


def _enum(enum: type[StrEnum]) -> sa.Enum:
    # Stored as the enum's value in a VARCHAR: portable between SQLite and PostgreSQL.
    return sa.Enum(
        enum,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None if nullable else ..., sa_type=UTCDateTime, nullable=nullable, index=index
    )


def _text(*, nullable: bool = True) -> Any:
    return Field(default=None if nullable else ..., sa_type=sa.Text, nullable=nullable)


def _person_fk(*, nullable: bool = False, index: bool = True) -> Any:
    return Field(
        default=None if nullable else ..., foreign_key="person.id", nullable=nullable, index=index
    )


def _year_fk() -> Any:
    return Field(foreign_key="performance_year.start_year", index=True)


class Via(StrEnum):
    """How a write reached the store (audit log 'via')."""

    SLACK = "slack"
    TEAMS = "teams"
    CLI = "cli"
    SCHEDULER = "scheduler"
    IMPORT = "import"
    TEST = "test"


class AwardStatus(StrEnum):
    PENDING = "pending"
    AWAITING_CST = "awaiting_cst"  # F15: approved by the DG, waiting for the Chief Secretary
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return "Awaiting Chief Secretary" if self is AwardStatus.AWAITING_CST else self.capitalize()


class ObjectiveStatus(StrEnum):
    LIVE = "live"
    CLOSED = "closed"


class PlanStatus(StrEnum):
    PROMPTED = "prompted"  # F10: two consecutive Partially Met; manager asked to draw one up
    AGREED = "agreed"  # plan drawn up and a review meeting scheduled
    CLOSED = "closed"


# --- People and the organisation ------------------------------------------------------------
class Person(SQLModel, table=True):
    __tablename__ = "person"

    id: int | None = Field(default=None, primary_key=True)
    staff_id: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254, unique=True)  # stored lower-case
    grade: Grade = Field(sa_type=_enum(Grade))
    business_unit: str = Field(max_length=200, index=True)
    location: Nation = Field(sa_type=_enum(Nation))
    line_manager_id: int | None = _person_fk(nullable=True)
    countersigning_id: int | None = _person_fk(nullable=True)
    dg_id: int | None = _person_fk(nullable=True)
    start_date: date  # joined this department
    civil_service_start: date | None = None  # F18: when earlier than start_date
    joined_from_department: str | None = Field(default=None, max_length=200)  # F18
    left_on: date | None = None  # never deleted: history stays
    left_to_department: str | None = Field(default=None, max_length=200)  # F18
    # F25: temporarily promoted into the SCS (from the roster): since when, and from which grade
    temporary_promotion_from: date | None = None
    substantive_grade: str | None = Field(default=None, max_length=64)
    is_hr: bool = False
    is_dg: bool = False
    poor_performance_measures: bool = False  # F15: not eligible for in-year awards
    created_at: datetime = _ts()
    updated_at: datetime = _ts()

    @property
    def active(self) -> bool:
        return self.left_on is None


class ProtectedCharacteristic(SQLModel, table=True):
    """F21: special-category data, kept apart; read only by ``store.aggregates``."""

    __tablename__ = "protected_characteristic"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    characteristic: str = Field(max_length=64, primary_key=True)
    value: str = Field(max_length=200)


class ChatIdentity(SQLModel, table=True):
    """A person's Slack or Teams user, with the Teams conversation reference for nudges."""

    __tablename__ = "chat_identity"
    __table_args__ = (sa.UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    platform: str = Field(max_length=16)  # "slack" | "teams"
    external_id: str = Field(max_length=200)
    workspace_id: str | None = Field(default=None, max_length=200)
    conversation_ref: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    updated_at: datetime = _ts()


class Preference(SQLModel, table=True):
    """What a person chose about their reminders: when their day's list arrives, and whether
    the optional evidence prompts come at all (the framework's reminders always do)."""

    __tablename__ = "preference"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    list_at: time | None = None  # local time; None: the start of their working day
    evidence_prompts: bool = True
    updated_at: datetime = _ts()


class TeamsInstall(SQLModel, table=True):
    """The last time perfbot asked Microsoft Graph to install it in someone's Teams (they had
    never opened it), and what Graph answered: so it is not asked every hour, and HR can see
    why someone is still out of reach."""

    __tablename__ = "teams_install"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    attempted_at: datetime = _ts()
    outcome: str = Field(max_length=16)  # installed | already | no_user | refused | failed


# --- The year -------------------------------------------------------------------------------
class PerformanceYear(SQLModel, table=True):
    """F1: one performance year, named by the calendar year it starts in."""

    __tablename__ = "performance_year"

    start_year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    starts_on: date
    ends_on: date


class Objective(SQLModel, table=True):
    """F11-F13: an objective; its text lives in revisions so nothing is overwritten."""

    __tablename__ = "objective"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    year: int = _year_fk()
    heading: ObjectiveHeading = Field(sa_type=_enum(ObjectiveHeading))
    status: ObjectiveStatus = Field(default=ObjectiveStatus.LIVE, sa_type=_enum(ObjectiveStatus))
    created_by_id: int = _person_fk(index=False)
    created_at: datetime = _ts()


class ObjectivesAgreement(SQLModel, table=True):
    """F11: the line manager's sign-off of a person's objectives for the year. A change to the
    set afterwards (an objective added, revised or closed) clears it until agreed again."""

    __tablename__ = "objectives_agreement"
    __table_args__ = (sa.UniqueConstraint("person_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    year: int = _year_fk()
    agreed_by_id: int | None = _person_fk(nullable=True, index=False)
    agreed_at: datetime | None = _ts(nullable=True)


class ObjectiveRevision(SQLModel, table=True):
    """F13: revision 1 is the original; later ones sit alongside it."""

    __tablename__ = "objective_revision"
    __table_args__ = (sa.UniqueConstraint("objective_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    objective_id: int = Field(foreign_key="objective.id", index=True)
    number: int
    what: str = _text(nullable=False)
    how: str = _text(nullable=False)
    measure: str | None = _text()
    reason: str | None = _text()
    created_by_id: int = _person_fk(index=False)
    created_at: datetime = _ts()


class ObjectiveMilestone(SQLModel, table=True):
    """F17: an agreed project milestone on an objective (milestone pilot)."""

    __tablename__ = "objective_milestone"

    id: int | None = Field(default=None, primary_key=True)
    objective_id: int = Field(foreign_key="objective.id", index=True)
    title: str = Field(max_length=300)
    due_on: date
    met_on: date | None = None
    met_recorded_by_id: int | None = _person_fk(nullable=True, index=False)


# --- Ratings and write-ups --------------------------------------------------------------------
class IndicativeRating(SQLModel, table=True):
    """F5: the line manager's indicative rating after a quarterly conversation."""

    __tablename__ = "indicative_rating"
    __table_args__ = (
        sa.UniqueConstraint("person_id", "year", "quarter"),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name="ck_indicative_rating_quarter"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    year: int = _year_fk()
    quarter: int
    rating: Rating = Field(sa_type=_enum(Rating))
    what_note: str = _text(nullable=False)  # F6
    how_note: str = _text(nullable=False)  # F6
    recorded_by_id: int = _person_fk(index=False)
    recorded_at: datetime = _ts()


class WriteUp(SQLModel, table=True):
    """F23: a mid-year or end-year Performance Agreement (Annex B)."""

    __tablename__ = "write_up"
    __table_args__ = (sa.UniqueConstraint("person_id", "year", "stage"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    year: int = _year_fk()
    stage: Stage = Field(sa_type=_enum(Stage))
    self_assessment: str | None = _text()
    self_assessed_at: datetime | None = _ts(nullable=True)
    manager_what: str | None = _text()  # F6
    manager_how: str | None = _text()  # F6
    manager_id: int | None = _person_fk(nullable=True, index=False)
    manager_assessed_at: datetime | None = _ts(nullable=True)
    recommended_rating: Rating | None = Field(default=None, sa_type=_enum(Rating))  # F7
    feedback_360: bool | None = None  # F23: was 360 feedback undertaken
    bias_acknowledged: bool = False  # F23: required tick at end-year
    job_holder_agreed_at: datetime | None = _ts(nullable=True)
    line_manager_agreed_at: datetime | None = _ts(nullable=True)
    countersigned_at: datetime | None = _ts(nullable=True)
    job_holder_comment: str | None = _text()  # F23: kept beside the manager's assessment
    job_holder_commented_at: datetime | None = _ts(nullable=True)


class MinimumStandardResult(SQLModel, table=True):
    """F8: one of the four minimum standards, met or not met, at year end."""

    __tablename__ = "minimum_standard_result"
    __table_args__ = (sa.UniqueConstraint("person_id", "year", "standard"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    year: int = _year_fk()
    standard: MinimumStandard = Field(sa_type=_enum(MinimumStandard))
    met: bool
    note: str | None = _text()
    recorded_by_id: int = _person_fk(index=False)
    recorded_at: datetime = _ts()


class FinanceOutcome(SQLModel, table=True):
    """F9: whether the finance/efficiency objective was met."""

    __tablename__ = "finance_outcome"
    __table_args__ = (sa.UniqueConstraint("person_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    year: int = _year_fk()
    met: bool
    note: str | None = _text()
    recorded_by_id: int = _person_fk(index=False)
    recorded_at: datetime = _ts()


class ModeratedRating(SQLModel, table=True):
    """F7: the rating after moderation, kept apart from the recommendation."""

    __tablename__ = "moderated_rating"
    __table_args__ = (sa.UniqueConstraint("person_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    year: int = _year_fk()
    rating: Rating = Field(sa_type=_enum(Rating))
    reason: str = _text(nullable=False)
    recorded_by_id: int | None = _person_fk(nullable=True, index=False)
    recorded_at: datetime = _ts()


class RatingReview(SQLModel, table=True):
    """F27: a final rating under review through the department's grievance route, and the
    outcome, which becomes the final rating (within the gates)."""

    __tablename__ = "rating_review"
    __table_args__ = (sa.UniqueConstraint("person_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    year: int = _year_fk()
    reason: str = _text(nullable=False)  # why it is under review
    opened_by_id: int | None = _person_fk(nullable=True, index=False)
    opened_at: datetime = _ts()
    outcome: Rating | None = Field(default=None, sa_type=_enum(Rating))
    outcome_reason: str | None = _text()
    closed_by_id: int | None = _person_fk(nullable=True, index=False)
    closed_at: datetime | None = _ts(nullable=True)


class DevelopmentPlan(SQLModel, table=True):
    """F10: the prompt after two consecutive Partially Met quarters, and what came of it."""

    __tablename__ = "development_plan"
    __table_args__ = (sa.UniqueConstraint("person_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    year: int = _year_fk()
    triggered_by_quarter: int
    status: PlanStatus = Field(default=PlanStatus.PROMPTED, sa_type=_enum(PlanStatus))
    prompted_at: datetime = _ts()
    review_on: date | None = None
    note: str | None = _text()
    updated_by_id: int | None = _person_fk(nullable=True, index=False)
    updated_at: datetime | None = _ts(nullable=True)


class FeedbackRespondent(SQLModel, table=True):
    """F24: a 360 respondent proposed by the job holder, agreed with the line manager."""

    __tablename__ = "feedback_respondent"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    year: int = _year_fk()
    respondent: str = Field(max_length=200)  # their name (the roster's, when they are in it)
    respondent_person_id: int | None = _person_fk(nullable=True, index=False)
    relationship: str = Field(max_length=100)
    proposed_by_id: int = _person_fk(index=False)
    proposed_at: datetime | None = _ts(nullable=True)
    agreed_by_id: int | None = _person_fk(nullable=True, index=False)
    agreed_at: datetime | None = _ts(nullable=True)
    removed_by_id: int | None = _person_fk(nullable=True, index=False)  # kept for the record
    removed_at: datetime | None = _ts(nullable=True)


# --- Evidence and awards ------------------------------------------------------------------------
class Evidence(SQLModel, table=True):
    """F14: an item in the job holder's portfolio, against a minimum standard or an objective."""

    __tablename__ = "evidence"
    __table_args__ = (sa.UniqueConstraint("person_id", "source_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = _person_fk()
    year: int = _year_fk()
    standard: MinimumStandard | None = Field(default=None, sa_type=_enum(MinimumStandard))
    objective_id: int | None = Field(default=None, foreign_key="objective.id")
    text: str = _text(nullable=False)
    link: str | None = _text()
    source_ref: str | None = Field(default=None, max_length=300)  # e.g. a Slack permalink
    source_author: str | None = Field(default=None, max_length=200)  # who wrote that message
    source_posted_at: datetime | None = _ts(nullable=True)  # ... and when
    added_by_id: int = _person_fk(index=False)
    added_at: datetime = _ts()
    edited_at: datetime | None = _ts(nullable=True)


class Award(SQLModel, table=True):
    """F15: an in-year award nomination and its decision by a Director General."""

    __tablename__ = "award"
    __table_args__ = (sa.CheckConstraint("amount_pence > 0", name="ck_award_amount_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    nominee_id: int = _person_fk()
    year: int = _year_fk()
    amount_pence: int = Field(sa_type=sa.BigInteger)
    reason: str = _text(nullable=False)
    objective_id: int | None = Field(default=None, foreign_key="objective.id")
    milestone_id: int | None = Field(default=None, foreign_key="objective_milestone.id")
    nominated_by_id: int = _person_fk(index=False)
    nominated_at: datetime = _ts()
    status: AwardStatus = Field(default=AwardStatus.PENDING, sa_type=_enum(AwardStatus), index=True)
    decided_by_id: int | None = _person_fk(nullable=True, index=False)
    decided_at: datetime | None = _ts(nullable=True)
    decision_reason: str | None = _text()
    cst_approval_needed: bool = False  # F15: the year's total reached the CST threshold
    # F15: HR records the Chief Secretary's answer, with its reference, before the award is final
    cst_reference: str | None = _text()
    cst_recorded_by_id: int | None = _person_fk(nullable=True, index=False)
    cst_recorded_at: datetime | None = _ts(nullable=True)


class OutcomeRelease(SQLModel, table=True):
    """F26 (guidance §79; Annex D): HR releases a year's moderated ratings; until then no
    moderated rating reaches a job holder."""

    __tablename__ = "outcome_release"

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(foreign_key="performance_year.start_year", unique=True)
    released_at: datetime = _ts()
    released_by_id: int | None = _person_fk(nullable=True, index=False)


class ConsistencyRecord(SQLModel, table=True):
    """F21 (guidance §83, §88): the mid-year consistency table as published when HR ran the
    check - counts with small cells already hidden, never a person - kept so the end-year
    table can be compared with it rather than with a table recomputed from later ratings."""

    __tablename__ = "consistency_record"
    __table_args__ = (sa.UniqueConstraint("year", "characteristic"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = _year_fk()
    characteristic: str = Field(max_length=64)
    recorded_at: datetime = _ts()
    recorded_by_id: int | None = _person_fk(nullable=True, index=False)
    published: dict[str, Any] = Field(sa_type=sa.JSON)  # groups, cells, totals, withheld


# --- Audit ----------------------------------------------------------------------------------------
class AuditEntry(SQLModel, table=True):
    """Append-only (database triggers refuse UPDATE and DELETE): who did what, old -> new, why."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    actor_id: int | None = _person_fk(nullable=True, index=False)
    via: Via = Field(sa_type=_enum(Via))
    action: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    subject_id: int | None = _person_fk(nullable=True)
    old: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    new: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    reason: str | None = _text()


class Erasure(SQLModel, table=True):
    """A person whose records were erased - their retention period ended, or HR granted an
    erasure request. Its row is what lets the audit log's entries about them be deleted
    (the database refuses every other change to the audit log). Counts only, no content."""

    __tablename__ = "erasure"

    id: int | None = Field(default=None, primary_key=True)
    subject_id: int = Field(foreign_key="person.id", unique=True)
    erased_at: datetime = _ts()
    reason: str = Field(max_length=32)  # "retention" or "request"
    by_id: int | None = _person_fk(nullable=True, index=False)
    removed: dict[str, Any] = Field(sa_type=sa.JSON)  # rows removed per table


# --- Outbox (the scheduler's nudges) ----------------------------------------------------------
class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    CANCELLED = "cancelled"  # its task was done before it went out
    DEAD = "dead"  # gave up after N tries; last_error says why
    UNDELIVERABLE = "undeliverable"  # the person has no chat identity (shown to HR)


class Outbox(SQLModel, table=True):
    """One nudge to one person. The unique key (recipient, kind, subject, milestone, year, step)
    makes planning idempotent: a tick that runs twice, late, or on two replicas writes each
    nudge once. ``year`` is in the key because every year has the same milestones."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.UniqueConstraint(
            "recipient_id",
            "kind",
            "subject_key",
            "milestone",
            "year",
            "step",
            name="uq_outbox_key",
        ),
        sa.Index("ix_outbox_status_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="person.id")
    kind: str = Field(max_length=40)
    subject_key: str = Field(max_length=200)  # "p:<person id>", "unit:<name>", "dept"
    subject_id: int | None = Field(default=None, foreign_key="person.id")
    milestone: str = Field(max_length=64)
    step: str = Field(max_length=32)
    year: int = 0  # the performance year; 0 for nudges tied to none (a daily digest)
    payload: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    due_at: datetime = _ts()  # not before this moment (snooze moves it)
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_type=_enum(OutboxStatus))
    attempts: int = 0
    next_attempt_at: datetime | None = _ts(nullable=True)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = _ts(nullable=True)
    last_error: str | None = _text()
    message_ref: str | None = Field(default=None, max_length=200)  # platform's id for updates
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(nullable=True)


class IdempotencyKey(SQLModel, table=True):
    """A platform's delivery id (a Slack event_id, a submitted form's id) seen once: retries
    and replays are not reprocessed. For a form, ``result`` is what its first submission
    said, so a resubmission (after a crash, or a replay) is told what was already saved."""

    __tablename__ = "idempotency_key"

    key: str = Field(primary_key=True, max_length=200)
    created_at: datetime = _ts()
    result: str | None = _text()
