"""Who the HR workbook is about, and what the framework derives for each of them.

One query returns everyone employed at some point in the year with their year's record in
one row; ``derive`` works out, once per distinct record, what the framework says about it
(gates, final rating, under-performance step, bonus eligibility); ``Tally`` keeps the counts
the summary sheets need, growing with grades and units, never with people.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from store import aggregates
from store import framework as fw
from store.framework import Grade, MinimumStandard, Rating, Stage
from store.models import (
    Award,
    AwardStatus,
    DevelopmentPlan,
    Evidence,
    FinanceOutcome,
    IndicativeRating,
    MinimumStandardResult,
    ModeratedRating,
    Objective,
    ObjectiveMilestone,
    ObjectiveRevision,
    ObjectivesAgreement,
    ObjectiveStatus,
    Outbox,
    Person,
    PlanStatus,
    RatingReview,
    WriteUp,
)


def tables() -> dict[str, sa.Table]:
    return {
        m.__name__: m.__table__  # type: ignore[union-attr]
        for m in (
            Person,
            IndicativeRating,
            WriteUp,
            MinimumStandardResult,
            FinanceOutcome,
            ModeratedRating,
            RatingReview,
            DevelopmentPlan,
            Evidence,
            Award,
            Objective,
            ObjectiveRevision,
            ObjectiveMilestone,
            ObjectivesAgreement,
            Outbox,
        )
    }


def people_query(year: int, start_month: int) -> sa.Select[Any]:
    """Everyone employed at some point in the year, with their year's record in one row."""
    t = tables()
    p, ir, wu = t["Person"], t["IndicativeRating"], t["WriteUp"]
    ms, fo, mr = t["MinimumStandardResult"], t["FinanceOutcome"], t["ModeratedRating"]
    rv = t["RatingReview"]
    dp, ev, aw, ob = t["DevelopmentPlan"], t["Evidence"], t["Award"], t["Objective"]
    oa = t["ObjectivesAgreement"]
    lm, dg = p.alias("lm"), p.alias("dg")
    quarters = (
        sa.select(
            ir.c.person_id,
            *[
                sa.func.max(sa.case((ir.c.quarter == q, ir.c.rating))).label(f"q{q}")
                for q in fw.QUARTERS
            ],
        )
        .where(ir.c.year == year)
        .group_by(ir.c.person_id)
        .subquery("quarters")
    )
    last_year = (  # F10: a run of Partially Met across the year boundary
        sa.select(
            ir.c.person_id,
            *[
                sa.func.max(sa.case((ir.c.quarter == q, ir.c.rating))).label(f"last_q{q}")
                for q in (3, 4)
            ],
        )
        .where(ir.c.year == year - 1, ir.c.quarter >= 3)
        .group_by(ir.c.person_id)
        .subquery("last_year")
    )
    standards = (
        sa.select(
            ms.c.person_id,
            *[
                sa.func.max(
                    sa.case((ms.c.standard == s.value, sa.case((ms.c.met, 1), else_=0)))
                ).label(f"ms_{s.value}")
                for s in MinimumStandard
            ],
        )
        .where(ms.c.year == year)
        .group_by(ms.c.person_id)
        .subquery("standards")
    )
    latest_plan = (
        sa.select(dp.c.person_id, sa.func.max(dp.c.id).label("plan_id"))
        .where(dp.c.year == year)
        .group_by(dp.c.person_id)
        .subquery("latest_plan")
    )
    evidence = (
        sa.select(ev.c.person_id, sa.func.count().label("evidence"))
        .where(ev.c.year == year)
        .group_by(ev.c.person_id)
        .subquery("evidence")
    )
    awards = (
        sa.select(
            aw.c.nominee_id,
            sa.func.count().label("awards"),
            sa.func.sum(aw.c.amount_pence).label("award_pence"),
        )
        .where(aw.c.year == year, aw.c.status == AwardStatus.APPROVED.value)
        .group_by(aw.c.nominee_id)
        .subquery("awards")
    )
    live = ob.c.status == ObjectiveStatus.LIVE.value
    objectives = (
        sa.select(
            ob.c.person_id,
            sa.func.count().label("objectives"),
            *[  # F11: live objectives under each required heading
                sa.func.sum(sa.case((sa.and_(live, ob.c.heading == h.value), 1), else_=0)).label(
                    f"h_{h.value}"
                )
                for h in fw.REQUIRED_HEADINGS
            ],
        )
        .where(ob.c.year == year)
        .group_by(ob.c.person_id)
        .subquery("objectives")
    )
    mid = wu.alias("mid")
    end = wu.alias("end_wu")
    plan = dp.alias("plan")
    grade_rank = sa.case({g.value: n for n, g in enumerate(Grade)}, value=p.c.grade)
    first, last = fw.year_start(year, start_month), fw.year_end(year, start_month)
    return (
        sa.select(
            p.c.id,
            p.c.staff_id,
            p.c.name,
            p.c.email,
            p.c.grade,
            p.c.business_unit,
            p.c.location,
            lm.c.name.label("line_manager"),
            dg.c.name.label("dg"),
            p.c.start_date,
            p.c.civil_service_start,
            p.c.joined_from_department,
            p.c.left_on,
            p.c.left_to_department,
            p.c.temporary_promotion_from,
            p.c.substantive_grade,
            p.c.poor_performance_measures,
            *[quarters.c[f"q{q}"] for q in fw.QUARTERS],
            last_year.c.last_q3,
            last_year.c.last_q4,
            mid.c.manager_assessed_at.label("mid_done"),
            mid.c.job_holder_agreed_at.label("mid_agreed"),
            mid.c.countersigned_at.label("mid_countersigned"),
            mid.c.job_holder_commented_at.label("mid_commented"),
            end.c.manager_assessed_at.label("end_done"),
            end.c.recommended_rating,
            end.c.job_holder_agreed_at.label("end_agreed"),
            end.c.countersigned_at.label("end_countersigned"),
            end.c.job_holder_commented_at.label("end_commented"),
            p.c.countersigning_id,
            *[standards.c[f"ms_{s.value}"] for s in MinimumStandard],
            fo.c.met.label("finance_met"),
            mr.c.rating.label("moderated"),
            mr.c.reason.label("moderated_reason"),
            rv.c.reason.label("review_reason"),
            rv.c.opened_at.label("review_opened_at"),
            rv.c.outcome.label("review_outcome"),
            rv.c.outcome_reason.label("review_outcome_reason"),
            rv.c.closed_at.label("review_closed_at"),
            plan.c.status.label("plan_status"),
            sa.func.coalesce(evidence.c.evidence, 0).label("evidence"),
            sa.func.coalesce(awards.c.awards, 0).label("awards"),
            sa.func.coalesce(awards.c.award_pence, 0).label("award_pence"),
            sa.func.coalesce(objectives.c.objectives, 0).label("objectives"),
            *[objectives.c[f"h_{h.value}"] for h in fw.REQUIRED_HEADINGS],
            oa.c.agreed_at.label("objectives_agreed_at"),
        )
        .select_from(p)
        .outerjoin(lm, lm.c.id == p.c.line_manager_id)
        .outerjoin(dg, dg.c.id == p.c.dg_id)
        .outerjoin(quarters, quarters.c.person_id == p.c.id)
        .outerjoin(last_year, last_year.c.person_id == p.c.id)
        .outerjoin(
            mid,
            sa.and_(
                mid.c.person_id == p.c.id, mid.c.year == year, mid.c.stage == Stage.MID_YEAR.value
            ),
        )
        .outerjoin(
            end,
            sa.and_(
                end.c.person_id == p.c.id, end.c.year == year, end.c.stage == Stage.END_YEAR.value
            ),
        )
        .outerjoin(standards, standards.c.person_id == p.c.id)
        .outerjoin(fo, sa.and_(fo.c.person_id == p.c.id, fo.c.year == year))
        .outerjoin(mr, sa.and_(mr.c.person_id == p.c.id, mr.c.year == year))
        .outerjoin(rv, sa.and_(rv.c.person_id == p.c.id, rv.c.year == year))
        .outerjoin(latest_plan, latest_plan.c.person_id == p.c.id)
        .outerjoin(plan, plan.c.id == latest_plan.c.plan_id)
        .outerjoin(evidence, evidence.c.person_id == p.c.id)
        .outerjoin(awards, awards.c.nominee_id == p.c.id)
        .outerjoin(objectives, objectives.c.person_id == p.c.id)
        .outerjoin(oa, sa.and_(oa.c.person_id == p.c.id, oa.c.year == year))
        .where(
            p.c.start_date <= last,
            sa.or_(p.c.left_on.is_(None), p.c.left_on >= first),
        )
        .order_by(p.c.business_unit, grade_rank, p.c.name, p.c.id)
    )


@dataclass(frozen=True)
class Derived:
    """What the framework derives from one person's ratings, as the workbook shows it. Many
    people share the same inputs, so it is worked out once per distinct record (cached)."""

    quarters: tuple[str | None, ...]  # labels, Q1-Q4
    recommended: str | None
    standards: tuple[str | None, ...]  # Met / Not met per minimum standard
    finance: str | None
    gated: str | None
    reasons: str | None
    moderated: str | None
    final: Rating | None
    why_no_final: str | None
    step: str | None
    bonus: str
    code: int  # aggregates.rating_code(Q2) * 5 + aggregates.rating_code(final)
    complete_standards: bool


_LABELS = {r.value: r.label for r in Rating}


@lru_cache(maxsize=65536)
def derive(
    quarters: tuple[str | None, ...],
    recommended: str | None,
    standards: tuple[int | None, ...],
    finance: int | None,
    moderated: str | None,
    agreed: bool = False,
    left_service: bool = False,
    last_year: tuple[str | None, str | None] = (None, None),
    reviewed: str | None = None,
) -> Derived:
    met = {
        s: (None if v is None else bool(v)) for s, v in zip(MinimumStandard, standards, strict=True)
    }
    finance_met = None if finance is None else bool(finance)
    gated = fw.apply_gates(Rating(recommended), met, finance_met) if recommended else None  # F8/F9
    gated_rating = gated.rating if gated else None
    panel = reviewed or moderated  # F27: a review's outcome replaces the panel's rating
    outcome = fw.final_rating(  # F7: agreed, every gate assessed, never above the gates
        Rating(recommended) if recommended else None,
        met,
        finance_met,
        agreed=agreed,
        moderated=Rating(panel) if panel else None,
    )
    final = outcome.rating
    step = fw.underperformance_step(  # F10, across the year boundary too
        {q: Rating(v) for q, v in enumerate(quarters, 1) if v},
        gated_rating,
        {q: Rating(v) for q, v in zip((3, 4), last_year, strict=True) if v},
    )
    q2 = Rating(quarters[1]) if quarters[1] else None
    return Derived(
        quarters=tuple(_LABELS[v] if v else None for v in quarters),
        recommended=_LABELS[recommended] if recommended else None,
        standards=tuple(_met(v) for v in met.values()),
        finance=_met(finance_met),
        gated=gated_rating.label if gated_rating else None,
        reasons="; ".join(gated.reasons) if gated and gated.reasons else None,
        moderated=_LABELS[moderated] if moderated else None,
        final=final,
        why_no_final=_sentence(outcome.missing),
        step=_STEP_LABELS[step],
        bonus=bonus_label(final, left_service=left_service),  # F16
        code=aggregates.rating_code(q2) * 5 + aggregates.rating_code(final),
        complete_standards=all(v is not None for v in standards),
    )


def _sentence(parts: tuple[str, ...]) -> str | None:
    return (parts[0][0].upper() + "; ".join(parts)[1:] + ".") if parts else None


@lru_cache(maxsize=65536)
def placement(
    year: int,
    civil_service_start: date,
    start: date,
    left_on: date | None,
    moved_out: bool,
    grade: str,
    assessed_as_scs: bool = True,
) -> fw.ModeratedBy:
    """F18, F19, F25: who moderates this person (guidance §6, §67-68, FAQ)."""
    return fw.moderation_placement(
        start_year=year,
        civil_service_start=civil_service_start,
        joined_department=start,
        left_department=left_on,
        left_to_other_department=moved_out,
        permanent_secretary=grade == Grade.PERMSEC.value,
        assessed_as_scs=assessed_as_scs,
    )


def moderating_department(row: Any, where: fw.ModeratedBy, own: str) -> str:
    """F18: the department that moderates this person."""
    if where is fw.ModeratedBy.THIS_DEPARTMENT:
        return own
    if where in _NOT_MODERATED:
        return _NOT_MODERATED[where]
    if row.left_to_department and row.left_on:
        return str(row.left_to_department)
    return str(row.joined_from_department or "Previous department")


_NOT_MODERATED = {
    fw.ModeratedBy.NOT_ELIGIBLE: "Not eligible (joined the Civil Service after 31 December)",
    fw.ModeratedBy.LEFT: "Not moderated (left the Civil Service on or before 31 December)",
    fw.ModeratedBy.OUT_OF_SCOPE: "Not moderated (Permanent Secretary: separate guidance)",
    fw.ModeratedBy.SUBSTANTIVE_GRADE: "Not in SCS moderation (temporary promotion for less "
    "than half the year: assessed at their substantive grade)",
}
PLACEMENT_LABELS = {m: m.value.replace("_", " ").capitalize() for m in fw.ModeratedBy}


def agreement(row: Any, stage: str) -> str | None:
    """F23: where a write-up's agreement stands (``stage`` is "mid" or "end")."""
    written, agreed = getattr(row, f"{stage}_done"), getattr(row, f"{stage}_agreed")
    if written is None:
        return None
    if agreed is None:
        commented = getattr(row, f"{stage}_commented")
        if commented is not None and commented > written:
            return "Written; the job holder commented and has not agreed"
        return "Written; waiting for the job holder to agree"
    if getattr(row, f"{stage}_countersigned") is not None:
        return "Agreed and countersigned"
    if row.countersigning_id is None:
        return "Agreed (no countersigning officer in the roster)"
    return "Agreed; waiting for the countersigning officer"


def objectives_agreed(row: Any, local: Any) -> str:
    """F11: whether the line manager has agreed the objectives, or what stands in the way."""
    if row.objectives_agreed_at is not None:
        return f"Agreed {local(row.objectives_agreed_at):%d %b %Y}"
    missing = [h for h in fw.REQUIRED_HEADINGS if not getattr(row, f"h_{h.value}")]
    if missing:
        return f"Not yet: none under {fw.headings_words(missing)}"
    return "Not yet: waiting for the line manager"


def temporary_promotion(row: Any) -> str | None:
    """F25: what the roster says about a temporary promotion into the SCS."""
    if row.temporary_promotion_from is None:
        return None
    return f"Since {row.temporary_promotion_from:%d %b %Y}, from {row.substantive_grade}"


PLAN_LABELS = {None: None} | {s.value: s.value.replace("_", " ").capitalize() for s in PlanStatus}


def _met(value: bool | None) -> str | None:
    return None if value is None else ("Met" if value else "Not met")


_STEP_LABELS = {
    fw.UnderperformanceStep.NONE: None,
    fw.UnderperformanceStep.SUPPORT: "Support (one Partially Met)",
    fw.UnderperformanceStep.DEVELOPMENT_PLAN: "Development plan (two consecutive)",
    fw.UnderperformanceStep.FORMAL_MEASURES_EXPECTED: "Formal measures expected",
}


def bonus_label(rating: Rating | None, *, left_service: bool = False) -> str:
    """F16: Exceeding and High Performing only; every Exceeding paid first; never a Civil
    Service leaver (FAQ)."""
    if left_service and fw.end_year_bonus_eligible(rating):
        return "Not eligible (left the Civil Service)"
    priority = fw.bonus_priority(rating)
    return {1: "Eligible - pay first", 2: "Eligible"}.get(priority or 0, "Not eligible")


@dataclass
class Tally:
    """Counts kept during the pass: they grow with grades and units, never with people."""

    headcount: int = 0
    ours: int = 0
    stages: Counter[str] = field(default_factory=Counter)
    overall: Counter[Rating] = field(default_factory=Counter)
    by_grade: dict[str, Counter[Rating]] = field(default_factory=dict)
    by_unit: dict[str, Counter[Rating]] = field(default_factory=dict)
    poor_performance: int = 0
    bonus_eligible: int = 0

    def count(self, row: Any, d: Derived, ours: bool) -> None:
        """Add one person to the counts."""
        tally = self
        tally.headcount += 1
        stages = tally.stages
        stages["objectives"] += row.objectives_agreed_at is not None  # F11: agreed
        for q, label in enumerate(d.quarters, 1):
            stages[f"q{q}"] += label is not None
        stages["mid"] += bool(row.mid_done)
        stages["end"] += bool(row.end_done)
        stages["standards"] += d.complete_standards
        stages["finance"] += row.finance_met is not None
        tally.poor_performance += bool(row.poor_performance_measures)
        if not ours:
            return
        tally.ours += 1
        stages["moderated"] += d.moderated is not None
        final = d.final
        if final is not None:
            tally.overall[final] += 1
            tally.by_grade.setdefault(row.grade, Counter())[final] += 1
            tally.by_unit.setdefault(row.business_unit, Counter())[final] += 1
            tally.bonus_eligible += d.bonus.startswith("Eligible")
