"""The department config: every tailorable value, loaded and validated once at start-up.

The built-in defaults are exactly ``config/department.example.toml`` (a test holds them
equal). A bad file fails at start with a message that names the key.
"""

from __future__ import annotations

import tomllib
from datetime import date, time
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from store import framework
from store.errors import ConfigError


class Milestone(StrEnum):
    """F2: the stages of the year, in the order they happen."""

    START_YEAR_MEETING = "start_year_meeting"
    OBJECTIVES_AGREED = "objectives_agreed"
    Q1_CONVERSATION = "q1_conversation"
    Q2_CONVERSATION = "q2_conversation"
    MID_YEAR_WRITE_UP = "mid_year_write_up"
    CONSISTENCY_CHECK = "consistency_check"
    Q3_CONVERSATION = "q3_conversation"
    Q4_CONVERSATION = "q4_conversation"
    END_YEAR_WRITE_UP = "end_year_write_up"
    LOCAL_MODERATION = "local_moderation"
    OVERALL_MODERATION = "overall_moderation"
    CABINET_OFFICE_RETURN = "cabinet_office_return"


# Milestones that fall after the performance year ends (moderation, the autumn return).
AFTER_YEAR_END = (
    Milestone.LOCAL_MODERATION,
    Milestone.OVERALL_MODERATION,
    Milestone.CABINET_OFFICE_RETURN,
)


def _month_day(value: str) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in str(value).split("-"))
        date(2024, month, day)  # a leap year, so 02-29 is allowed
    except (ValueError, TypeError):
        raise ValueError(f"'{value}' is not a MM-DD date, e.g. 06-30") from None
    return month, day


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DepartmentSection(_Strict):
    name: str = "Department for Fictional Affairs"
    short_name: str = "DFA"
    timezone: str = "Europe/London"


class YearSection(_Strict):
    start_month: int = Field(4, ge=1, le=12)  # F1


class CalendarSection(_Strict):
    """F2: deadlines as MM-DD. In-year ones fall inside the performance year; the last three
    fall in the twelve months after it ends (guidance §10: dates are indicative)."""

    start_year_meeting: str = "04-30"
    objectives_agreed: str = "05-31"
    q1_conversation: str = "06-30"
    q2_conversation: str = "09-30"
    mid_year_write_up: str = "10-31"
    consistency_check: str = "11-30"
    q3_conversation: str = "12-31"
    q4_conversation: str = "03-15"
    end_year_write_up: str = "03-31"
    local_moderation: str = "04-14"
    overall_moderation: str = "04-25"
    cabinet_office_return: str = "10-31"

    @field_validator("*")
    @classmethod
    def _is_month_day(cls, value: str) -> str:
        _month_day(value)
        return value


class AwardsSection(_Strict):
    """F15: in-year award limits in whole pounds (stored as pence)."""

    per_award_pounds: int = Field(5_000, gt=0)
    min_award_pounds: int = Field(50, gt=0)
    per_year_pounds: int = Field(17_500, gt=0)
    cst_approval_from_pounds: int = Field(17_500, gt=0)
    pot_percent: float = Field(3.3, gt=0, le=100)
    # The SCS pay bill the pot is a share of; the HR workbook compares awards with the pot.
    pay_bill_pounds: int | None = Field(None, gt=0)
    # Who decides a DG's nomination and any nomination of a DG: the Permanent Secretary, or
    # this deputy (an email in the roster).
    dg_awards_decided_by: str | None = Field(None, max_length=254)
    # How long the person who decided a nomination can undo the decision (a mis-click).
    undo_minutes: int = Field(10, ge=0, le=1440)
    # A nomination still waiting this many working days goes to the Permanent Secretary (or,
    # for the Permanent Secretary's own decisions, to HR) instead of the decider's weekly line.
    escalate_after_working_days: int = Field(15, ge=1, le=120)

    @model_validator(mode="after")
    def _order(self) -> AwardsSection:
        if self.per_award_pounds > self.per_year_pounds:
            raise ValueError("per_award_pounds cannot be more than per_year_pounds")
        if self.min_award_pounds > self.per_award_pounds:
            raise ValueError("min_award_pounds cannot be more than per_award_pounds")
        return self


class ReportingSection(_Strict):
    suppression_threshold: int = Field(framework.SUPPRESSION_THRESHOLD, ge=1)  # F21
    # F25: how everyone on temporary promotion into the SCS is assessed, one way across the
    # department: at the grade held for most of the year (recommended), or always as SCS.
    temporary_promotion: framework.TemporaryPromotionApproach = (
        framework.TemporaryPromotionApproach.GRADE_HELD_LONGEST
    )
    # F20: the curve the Distribution sheet draws beside the final ratings, per box, in per
    # cent. The guidance fixes only Partially Met (about 5%); a department that guides further
    # (guidance §82) gives the other boxes too.
    expected_percent: dict[str, float] = Field(
        default_factory=lambda: {
            framework.Rating.PARTIALLY_MET.value: framework.EXPECTED_PARTIALLY_MET_SHARE * 100
        }
    )

    @field_validator("expected_percent")
    @classmethod
    def _boxes(cls, value: dict[str, float]) -> dict[str, float]:
        boxes = {r.value for r in framework.Rating}
        for box, percent in value.items():
            if box not in boxes:
                raise ValueError(f"'{box}' is not a box; use {', '.join(sorted(boxes))}")
            if not 0 <= percent <= 100:
                raise ValueError(f"{box} = {percent}: give a percentage from 0 to 100")
        if sum(value.values()) > 100.5:
            raise ValueError("the expected percentages add up to more than 100")
        return value


class RosterSection(_Strict):
    """Limits on a roster file, checked before it is parsed: generous for a department (a few
    thousand SCS), small enough that a malicious file cannot exhaust the machine."""

    max_rows: int = Field(50_000, ge=1)
    max_file_mb: int = Field(50, ge=1)  # on disk, and for an xlsx also once unzipped
    max_problems_listed: int = Field(200, ge=1)  # the rest are counted


class WorkingHoursSection(_Strict):
    start: time = time(9, 0)
    end: time = time(17, 0)

    @model_validator(mode="after")
    def _order(self) -> WorkingHoursSection:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class RemindersSection(_Strict):
    before_deadline_working_days: list[int] = [10, 5, 1]
    escalate_countersigning_after_working_days: int = Field(3, ge=1)
    escalate_dg_after_working_days: int = Field(10, ge=1)
    evidence_every_working_days: int = Field(30, ge=1)
    evidence_thin_below_items: int = Field(3, ge=0)

    @field_validator("before_deadline_working_days")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if any(v < 0 for v in value):
            raise ValueError("working days before a deadline cannot be negative")
        return sorted(set(value), reverse=True)

    @model_validator(mode="after")
    def _order(self) -> RemindersSection:
        if self.escalate_dg_after_working_days <= self.escalate_countersigning_after_working_days:
            raise ValueError(
                "escalate_dg_after_working_days must be later than "
                "escalate_countersigning_after_working_days"
            )
        return self


class PacingSection(_Strict):
    """How fast one platform is sent to: per conversation (a person's chat with perfbot) and
    per workspace (Slack) or tenant (Teams)."""

    per_conversation_per_second: float = Field(gt=0)
    per_workspace_per_second: float = Field(gt=0)
    workspace_burst: int = Field(ge=1)


# Teams allows a bot 7 messages a second, 60 in 30 seconds and 1,800 an hour in one
# conversation, and 50 requests a second per app per tenant: two a second per conversation
# keeps inside the 30-second window, and 40 a second leaves the tenant limit some room.
TEAMS_PACING = PacingSection(
    per_conversation_per_second=2.0, per_workspace_per_second=40.0, workspace_burst=40
)


class DeliverySection(_Strict):
    """Outbox delivery: platform rate limits, retries and leases. The pacing fields at the top
    are Slack's; Teams has its own (``[delivery.teams]``)."""

    per_conversation_per_second: float = Field(1.0, gt=0)  # Slack: about 1 message/s/channel
    per_workspace_per_second: float = Field(20.0, gt=0)
    workspace_burst: int = Field(20, ge=1)
    teams: PacingSection = TEAMS_PACING
    max_attempts: int = Field(8, ge=1)  # then dead-lettered with the last error
    backoff_base_seconds: float = Field(2.0, gt=0)
    backoff_max_seconds: float = Field(900.0, gt=0)
    lease_seconds: int = Field(120, ge=1)  # a crashed worker's claims come back after this
    batch_size: int = Field(200, ge=1)
    concurrency: int = Field(20, ge=1)
    plan_every_minutes: int = Field(5, ge=1)
    deliver_every_seconds: int = Field(10, ge=1)
    digest_time: time = time(9, 5)

    def pacing(self) -> dict[str, PacingSection]:
        """Each platform's pacing, by its name in the outbox."""
        slack = PacingSection(
            per_conversation_per_second=self.per_conversation_per_second,
            per_workspace_per_second=self.per_workspace_per_second,
            workspace_burst=self.workspace_burst,
        )
        return {"slack": slack, "teams": self.teams}


class RetentionSection(_Strict):
    """How long perfbot keeps personal data (docs/data-protection.md gives the reasoning).
    A person's records are erased this many years after they leave; messages sent (the
    outbox) are kept this many months whoever they were for."""

    after_leaving_years: int = Field(6, ge=1, le=100)
    messages_months: int = Field(24, ge=1, le=1200)
    run_at: time = time(2, 0)  # the daily run, in the department's time


class DepartmentConfig(_Strict):
    department: DepartmentSection = DepartmentSection()
    year: YearSection = YearSection()
    calendar: CalendarSection = CalendarSection()
    awards: AwardsSection = AwardsSection()
    reporting: ReportingSection = ReportingSection()
    roster: RosterSection = RosterSection()
    working_hours: WorkingHoursSection = WorkingHoursSection()
    reminders: RemindersSection = RemindersSection()
    delivery: DeliverySection = DeliverySection()
    retention: RetentionSection = RetentionSection()

    @model_validator(mode="after")
    def _calendar_in_order(self) -> DepartmentConfig:
        # Checked on a sample year: the order does not depend on which year it is.
        dates = milestone_dates(self, 2024)
        names = list(Milestone)
        for before, after in zip(names, names[1:], strict=False):
            if dates[after] < dates[before]:
                raise ValueError(
                    f"calendar.{after.value} ({getattr(self.calendar, after.value)}) comes "
                    f"before calendar.{before.value} ({getattr(self.calendar, before.value)}); "
                    "the stages must be in order"
                )
        return self

    @property
    def award_limits(self) -> framework.AwardLimits:
        return framework.AwardLimits(
            per_award_pence=self.awards.per_award_pounds * 100,
            min_award_pence=self.awards.min_award_pounds * 100,
            per_year_pence=self.awards.per_year_pounds * 100,
            cst_approval_from_pence=self.awards.cst_approval_from_pounds * 100,
            pot_percent=self.awards.pot_percent,
        )


def milestone_dates(config: DepartmentConfig, start_year: int) -> dict[Milestone, date]:
    """F1/F2: the concrete date of every milestone for the year starting in ``start_year``."""
    first = framework.year_start(start_year, config.year.start_month)
    out: dict[Milestone, date] = {}
    for milestone in Milestone:
        month, day = _month_day(getattr(config.calendar, milestone.value))
        offset = 1 if milestone in AFTER_YEAR_END else 0
        year = first.year + offset + (0 if month >= first.month else 1)
        if month == 2 and day == 29 and not _is_leap(year):
            day = 28
        out[milestone] = date(year, month, day)
    return out


def closing_year(config: DepartmentConfig, today: date) -> int | None:
    """The year that has ended whose end-year work is still being done (until its overall
    moderation meeting); None after that. Work for it then - a late Q4 rating, the end-year
    write-up or self-assessment - belongs to that year, not the new one."""
    year = framework.performance_year_of(today, config.year.start_month) - 1
    return year if today <= milestone_dates(config, year)[Milestone.OVERALL_MODERATION] else None


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def order_warnings(config: DepartmentConfig, start_year: int) -> list[str]:
    """F3: end-year moderation should finish before the next start-year meeting (guidance §10)."""
    this_year = milestone_dates(config, start_year)
    next_year = milestone_dates(config, start_year + 1)
    moderation = this_year[Milestone.OVERALL_MODERATION]
    meeting = next_year[Milestone.START_YEAR_MEETING]
    if moderation >= meeting:
        return [
            f"Overall moderation for {framework.year_label(start_year)} ({moderation}) is not "
            f"before the next start-year meeting ({meeting}); guidance §10 asks for it to be."
        ]
    return []


def load_config(path: str | Path | None) -> DepartmentConfig:
    """Read and validate a department config; None gives the built-in defaults."""
    if path is None:
        return DepartmentConfig()
    path = Path(path)
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"PERFBOT_CONFIG: no file at {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    try:
        return DepartmentConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{key}: {msg}")
        raise ConfigError(f"{path}: " + "; ".join(lines)) from None
