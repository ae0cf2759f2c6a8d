"""Ratings: the four boxes (F4), what and how (F6), the recommendation and moderation (F7),
the minimum-standards and finance gates (F8, F9), under-performance (F10), end-year bonus
eligibility (F16) and the Performance Agreement's bias statement (F23)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from store.errors import InvalidInput, RuleViolation
from store.framework.year import QUARTERS, Stage
from store.text import refuse_control_characters


# --- F4: the four boxes -------------------------------------------------------------------
class Rating(StrEnum):
    """F4: the four box ratings, best first (guidance §17)."""

    EXCEEDING = "exceeding"
    HIGH_PERFORMING = "high_performing"
    ACHIEVING = "achieving"
    PARTIALLY_MET = "partially_met"

    @property
    def label(self) -> str:
        return _RATING_LABELS[self]

    @property
    def rank(self) -> int:
        """0 for the best box, 3 for Partially Met."""
        return RATING_ORDER.index(self)

    def is_above(self, other: Rating) -> bool:
        return self.rank < other.rank

    @classmethod
    def parse(cls, value: object, *, field: str = "rating") -> Rating:
        """F4: read either spelling (guidance "Exceeding", outcome form "Exceeded")."""
        if isinstance(value, Rating):
            return value
        key = re.sub(r"[\s_\-]+", " ", str(value or "")).strip().lower()
        try:
            return _RATING_SPELLINGS[key]
        except KeyError:
            raise InvalidInput(
                f"'{value}' is not a box rating. Use one of: "
                + ", ".join(r.label for r in RATING_ORDER)
                + ".",
                field=field,
            ) from None


RATING_ORDER = (
    Rating.EXCEEDING,
    Rating.HIGH_PERFORMING,
    Rating.ACHIEVING,
    Rating.PARTIALLY_MET,
)
_RATING_LABELS = {
    Rating.EXCEEDING: "Exceeding",
    Rating.HIGH_PERFORMING: "High Performing",
    Rating.ACHIEVING: "Achieving",
    Rating.PARTIALLY_MET: "Partially Met",
}
_RATING_SPELLINGS = {
    "exceeding": Rating.EXCEEDING,
    "exceeded": Rating.EXCEEDING,  # outcome form spelling
    "high performing": Rating.HIGH_PERFORMING,
    "high performance": Rating.HIGH_PERFORMING,
    "achieving": Rating.ACHIEVING,
    "achieved": Rating.ACHIEVING,  # outcome form spelling
    "partially met": Rating.PARTIALLY_MET,
}

# One line per box, in our own words, for forms and help texts.
RATING_HINTS = {  # at most 75 characters: Slack shows no more under an option (our words)
    Rating.EXCEEDING: "Beyond all objectives and behaviours, with impact beyond their own unit.",
    Rating.HIGH_PERFORMING: "Met the role in full; went beyond on some objectives or behaviours.",
    Rating.ACHIEVING: "Delivered the agreed objectives and behaviours to the expected standard.",
    Rating.PARTIALLY_MET: "Fell short on some objectives or behaviours; needs support to improve.",
}
assert all(len(hint) <= 75 for hint in RATING_HINTS.values())


# --- F6: what and how -----------------------------------------------------------------------
NOTE_MAX_CHARS = 3000


def check_what_and_how(what: str | None, how: str | None, *, required: bool = True) -> None:
    """F6: an assessment records delivery (what) and behaviours (how) with equal weight (§69-70)."""
    for field, text in (("what", what), ("how", how)):
        text = (text or "").strip()
        if required and not text:
            raise RuleViolation(
                "F6",
                f"Add a note on the '{field}' - delivery and behaviours carry equal weight.",
                field=field,
            )
        if len(text) > NOTE_MAX_CHARS:
            raise InvalidInput(
                f"The '{field}' note is {len(text)} characters; the limit is {NOTE_MAX_CHARS}.",
                field=field,
            )
        refuse_control_characters(text, field)


# --- F8, F9: gates --------------------------------------------------------------------------
class MinimumStandard(StrEnum):
    """F8: the four minimum standards of the outcome form, assessed met / not met at year end."""

    VALUE_FOR_MONEY = "value_for_money"
    DELIVERY = "delivery"
    CULTURE = "culture"
    TALENT = "talent"

    @property
    def label(self) -> str:
        return _STANDARD_LABELS[self]

    @classmethod
    def parse(cls, value: object, *, field: str = "standard") -> MinimumStandard:
        key = str(value or "").strip().lower()
        for standard in cls:
            if key in (standard.value, standard.label.lower()):
                return standard
        raise InvalidInput(f"'{value}' is not one of the four minimum standards.", field=field)


_STANDARD_LABELS = {
    MinimumStandard.VALUE_FOR_MONEY: "Value for money and efficiency",
    MinimumStandard.DELIVERY: "High-quality delivery and accountable teams",
    MinimumStandard.CULTURE: "Culture, Civil Service Code and reform",
    MinimumStandard.TALENT: "Talent",
}


@dataclass(frozen=True)
class GatedRating:
    """A recommendation after the gates: the rating to use and why it changed, if it did."""

    recommended: Rating
    rating: Rating
    reasons: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.rating is not self.recommended


def apply_gates(
    recommended: Rating,
    standards: Mapping[MinimumStandard, bool | None],
    finance_met: bool | None,
) -> GatedRating:
    """F8 then F9: derive the rating the gates allow; never typed in.

    F8 (outcome form): any minimum standard 'not met' makes the overall rating Partially Met.
    F9 (guidance Annex D 4a): a missed finance/efficiency objective caps the rating at Achieving.
    A standard or finance outcome not yet recorded (None) does not trigger a gate.
    """
    rating = recommended
    reasons: list[str] = []
    not_met = [s for s in MinimumStandard if standards.get(s) is False]
    if not_met:
        rating = Rating.PARTIALLY_MET
        reasons.append(
            "Minimum standard not met ("
            + "; ".join(s.label for s in not_met)
            + ") - overall rating is Partially Met"
        )
    if finance_met is False and rating.is_above(Rating.ACHIEVING):
        rating = Rating.ACHIEVING
        reasons.append("Finance objective not met - rating capped at Achieving")
    return GatedRating(recommended=recommended, rating=rating, reasons=tuple(reasons))


# --- F7: recommendation, moderation and the final rating ---------------------------------
def gate_ceiling(
    standards: Mapping[MinimumStandard, bool | None], finance_met: bool | None
) -> Rating | None:
    """F7-F9: the best final rating the gates allow, or None while a gate is unassessed.

    The gates bind the moderated rating as well as the recommendation: a panel may move a
    rating down freely but never above this.
    """
    if finance_met is None or any(standards.get(s) is None for s in MinimumStandard):
        return None
    if any(standards.get(s) is False for s in MinimumStandard):
        return Rating.PARTIALLY_MET  # F8
    if finance_met is False:
        return Rating.ACHIEVING  # F9
    return Rating.EXCEEDING


@dataclass(frozen=True)
class FinalRating:
    """F7: the year's final rating, or why there is none yet (plain words, for HR)."""

    rating: Rating | None
    ceiling: Rating | None
    missing: tuple[str, ...] = ()


def final_rating(
    recommended: Rating | None,
    standards: Mapping[MinimumStandard, bool | None],
    finance_met: bool | None,
    *,
    agreed: bool,
    moderated: Rating | None = None,
) -> FinalRating:
    """F7, F8, F9, F23: the moderated rating where there is one, else the gated
    recommendation - but only once the write-up is agreed and every gate is assessed, and
    never above what the gates allow (a stored moderated rating above them is capped).

    ``agreed``: the job holder has agreed the manager's end-year write-up (the manager's
    saving of it is theirs; Annex D: "provisionally agreed by the job holder and the line
    manager, it is then taken to moderation")."""
    missing: list[str] = []
    if recommended is None:
        missing.append("no end-year recommendation")
    elif not agreed:
        missing.append("end-year write-up not yet agreed")
    unassessed = sum(standards.get(s) is None for s in MinimumStandard)
    if unassessed:
        missing.append(
            f"{unassessed} of the 4 minimum standards not assessed"
            if unassessed < len(MinimumStandard)
            else "minimum standards not assessed"
        )
    if finance_met is None:
        missing.append("finance objective not assessed")
    ceiling = gate_ceiling(standards, finance_met)
    if missing or ceiling is None or recommended is None:
        return FinalRating(None, ceiling, tuple(missing))
    rating = moderated if moderated is not None else recommended
    if rating.is_above(ceiling):
        rating = ceiling
    return FinalRating(rating, ceiling)


def check_moderated_rating(name: str, proposed: Rating, outcome: FinalRating) -> None:
    """F7-F9, F23: refuse a moderated rating for a write-up not ready for moderation, or one
    above what the gates allow."""
    if outcome.missing:
        raise RuleViolation(
            "F7",
            f"{name} cannot be moderated yet: " + "; ".join(outcome.missing) + ".",
            field="rating",
        )
    ceiling = outcome.ceiling
    if ceiling is not None and proposed.is_above(ceiling):
        why = (
            "a minimum standard was not met"
            if ceiling is Rating.PARTIALLY_MET
            else "the finance objective was not met"
        )
        raise RuleViolation(
            "F8" if ceiling is Rating.PARTIALLY_MET else "F9",
            f"{name} can be rated no higher than {ceiling.label}: {why}.",
            field="rating",
        )


# --- F10: under-performance -----------------------------------------------------------------
class UnderperformanceStep(StrEnum):
    NONE = "none"
    SUPPORT = "support"  # one Partially Met: support, not formal action (§56)
    DEVELOPMENT_PLAN = "development_plan"  # two consecutive quarters (§57)
    FORMAL_MEASURES_EXPECTED = "formal_measures_expected"  # still PM after the plan (§57, §63)


def _with_last_year(
    quarters: Mapping[int, Rating], last_year: Mapping[int, Rating] | None
) -> dict[int, Rating]:
    """F10: consecutive quarters run across the year boundary (Q4 then the next Q1). When this
    year's Q1 is Partially Met, last year's unbroken run of Partially Met up to its Q4 comes
    first, numbered 0, -1, ... (Q4, Q3, ...)."""
    merged = dict(quarters)
    if last_year and quarters.get(1) is Rating.PARTIALLY_MET:
        for offset, q in enumerate(reversed(QUARTERS)):
            if last_year.get(q) is not Rating.PARTIALLY_MET:
                break
            merged[-offset] = Rating.PARTIALLY_MET
    return merged


def consecutive_partially_met(
    quarters: Mapping[int, Rating], last_year: Mapping[int, Rating] | None = None
) -> int | None:
    """F10: the first quarter that completes two consecutive Partially Met quarters, if any
    (0 or less: it was completed last year)."""
    merged = _with_last_year(quarters, last_year)
    for q in sorted(merged):
        if merged.get(q - 1) is Rating.PARTIALLY_MET and merged[q] is Rating.PARTIALLY_MET:
            return q
    return None


def underperformance_step(
    quarters: Mapping[int, Rating],
    end_year: Rating | None = None,
    last_year: Mapping[int, Rating] | None = None,
) -> UnderperformanceStep:
    """F10: what the line manager should be prompted to do (the product never acts by itself).
    ``last_year``: the previous performance year's quarters, for a run across the boundary."""
    merged = _with_last_year(quarters, last_year)
    trigger = consecutive_partially_met(merged)
    if trigger is not None:
        later = [merged[q] for q in sorted(merged) if q > trigger]
        if end_year is not None:
            later.append(end_year)
        if any(r is Rating.PARTIALLY_MET for r in later):
            return UnderperformanceStep.FORMAL_MEASURES_EXPECTED
        return UnderperformanceStep.DEVELOPMENT_PLAN
    if any(r is Rating.PARTIALLY_MET for r in quarters.values()) or (
        end_year is Rating.PARTIALLY_MET
    ):
        return UnderperformanceStep.SUPPORT
    return UnderperformanceStep.NONE


# --- F16: end-year bonus --------------------------------------------------------------------
def end_year_bonus_eligible(rating: Rating | None) -> bool:
    """F16: only Exceeding and High Performing may get an end-year bonus (§71, FAQ)."""
    return rating in (Rating.EXCEEDING, Rating.HIGH_PERFORMING)


def bonus_priority(rating: Rating | None) -> int | None:
    """F16: pay order - every Exceeding first (1), then High Performing (2); None if ineligible."""
    return {Rating.EXCEEDING: 1, Rating.HIGH_PERFORMING: 2}.get(rating) if rating else None


# --- F23: the Performance Agreement -----------------------------------------------------------
def check_bias_acknowledged(stage: Stage, acknowledged: bool) -> None:
    """F23: the end-year write-up needs the manager's bias-statement tick (Annex B, §77)."""
    if stage is Stage.END_YEAR and not acknowledged:
        raise RuleViolation(
            "F23",
            "Tick the bias statement: confirm you have set aside personal bias, conscious or "
            "unconscious, in this assessment.",
            field="bias_acknowledged",
        )
