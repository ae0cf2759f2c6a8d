"""Objectives (F11, F12) and the evidence portfolio (F14)."""

from __future__ import annotations

import re
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
OBJECTIVES_MAX_LIVE = 8  # F12: guidance Annex A


def objective_count_warning(live_count: int) -> str | None:
    """F12: a warning outside the recommended 3-6 live objectives (not an error)."""
    low, high = OBJECTIVES_RECOMMENDED
    if live_count < low:
        return f"F12: {live_count} live objective(s); {low} to {high} are recommended."
    if live_count > high:
        return f"F12: {live_count} live objectives; {low} to {high} are recommended."
    return None


def check_can_add_objective(live_count: int) -> None:
    """F12: refuse a ninth live objective (guidance Annex A)."""
    if live_count >= OBJECTIVES_MAX_LIVE:
        raise RuleViolation(
            "F12",
            f"There are already {live_count} live objectives; no more than "
            f"{OBJECTIVES_MAX_LIVE} may be live at once. Close or revise one first.",
            field="objective",
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
