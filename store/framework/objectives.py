"""Objectives (F11, F12) and the evidence portfolio (F14)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

from store.errors import InvalidInput, RuleViolation
from store.text import refuse_control_characters


# --- F11, F12: objectives -------------------------------------------------------------------
class ObjectiveHeading(StrEnum):
    """F11: objective headings (guidance §23), plus optional extras (§24)."""

    BUSINESS_DELIVERY = "business_delivery"
    FINANCE = "finance"
    PEOPLE = "people"
    CORPORATE = "corporate"
    DEVELOPMENT = "development"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "business_delivery": "Business delivery",
            "finance": "Finance/efficiency",
            "people": "People/capability (incl. diversity and inclusion)",
            "corporate": "Corporate contribution",
            "development": "SCS development",
            "other": "Other",
        }[self.value]

    @classmethod
    def parse(cls, value: object, *, field: str = "heading") -> ObjectiveHeading:
        key = str(value or "").strip().lower()
        for heading in cls:
            if key in (heading.value, heading.label.lower(), heading.label.lower().split(" (")[0]):
                return heading
        raise InvalidInput(
            f"'{value}' is not an objective heading. Use one of: "
            + ", ".join(h.label for h in cls)
            + ".",
            field=field,
        )


OBJECTIVES_RECOMMENDED = (3, 6)  # F12: outcome form
OBJECTIVES_MAX_LIVE = 8  # F12: guidance Annex A, "where possible"
# F11 (guidance §23): objectives "must" be set under each of these four headings.
REQUIRED_HEADINGS = (
    ObjectiveHeading.BUSINESS_DELIVERY,
    ObjectiveHeading.FINANCE,
    ObjectiveHeading.PEOPLE,
    ObjectiveHeading.CORPORATE,
)


def missing_headings(live: Iterable[ObjectiveHeading | str]) -> tuple[ObjectiveHeading, ...]:
    """F11: the required headings no live objective covers yet."""
    covered = {ObjectiveHeading(h) for h in live}
    return tuple(h for h in REQUIRED_HEADINGS if h not in covered)


def headings_words(headings: Iterable[ObjectiveHeading]) -> str:
    """'Finance/efficiency and Corporate contribution' (short labels, for a sentence)."""
    labels = [h.label.split(" (")[0] for h in headings]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def check_objectives_agreeable(name: str, live: Iterable[ObjectiveHeading | str]) -> None:
    """F11: a set of objectives is agreed only when it covers all four headings."""
    missing = missing_headings(live)
    if missing:
        raise RuleViolation(
            "F11",
            f"{name}'s objectives can't be agreed yet: they need at least one objective under "
            f"each of the four headings, and none is under {headings_words(missing)}.",
            field="objectives",
        )


def objective_count_warning(live_count: int) -> str | None:
    """F12: a warning outside the recommended 3-6 live objectives (not an error)."""
    low, high = OBJECTIVES_RECOMMENDED
    if low <= live_count <= high:
        return None
    noun = "objective" if live_count == 1 else "objectives"
    return f"{live_count} live {noun}; {low} to {high} are recommended."


def check_can_add_objective(
    live_count: int, *, by_line_manager: bool, over_limit_reason: str | None
) -> None:
    """F12: more than eight live objectives only "where possible" not: a ninth (or more) needs
    the line manager's agreement with a reason (guidance Annex A)."""
    if live_count < OBJECTIVES_MAX_LIVE:
        return
    if not by_line_manager:
        raise RuleViolation(
            "F12",
            f"There are already {live_count} live objectives, and no more than "
            f"{OBJECTIVES_MAX_LIVE} should be live at once. Close or revise one, or ask your "
            "line manager: they can add another with the reason it is needed.",
            field="objective",
        )
    if not (over_limit_reason or "").strip():
        raise RuleViolation(
            "F12",
            f"There are already {live_count} live objectives; to agree one more than "
            f"{OBJECTIVES_MAX_LIVE}, say why it is needed.",
            field="over_limit_reason",
        )


# --- F14: evidence --------------------------------------------------------------------------
EVIDENCE_MAX_CHARS = 4000  # a long Slack message fits; a pasted report does not
LINK_MAX_CHARS = 2000
_LINK_RE = re.compile(r"^https?://[^\s]+$")


def check_evidence(text: str, link: str | None) -> tuple[str, str | None]:
    """F14: evidence needs some text; a link, if given, must be a web address."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("Say what the evidence shows.", field="text")
    if len(text) > EVIDENCE_MAX_CHARS:
        raise InvalidInput(
            f"The evidence is {len(text)} characters; the limit is {EVIDENCE_MAX_CHARS}. "
            "Summarise it and add a link to the full document.",
            field="text",
        )
    refuse_control_characters(text, "text")
    link = (link or "").strip() or None
    if link is not None:
        refuse_control_characters(link, "link", multiline=False)
    if link is not None and (len(link) > LINK_MAX_CHARS or not _LINK_RE.match(link)):
        raise InvalidInput("The link must be a web address starting https://", field="link")
    return text, link
