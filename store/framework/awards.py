"""In-year awards (F15): the caps, money as integer pence, the Chief Secretary threshold."""

from __future__ import annotations

import re
from dataclasses import dataclass

from store.errors import InvalidInput, RuleViolation


# --- F15: in-year awards ---------------------------------------------------------------------
@dataclass(frozen=True)
class AwardLimits:
    """F15 (guidance FAQ, §49, §54c): configurable; money is integer pence."""

    per_award_pence: int = 500_000
    min_award_pence: int = 5_000  # a department's floor; the guidance sets none
    per_year_pence: int = 1_750_000
    cst_approval_from_pence: int = 1_750_000  # totals this high need CST approval
    pot_percent: float = 3.3


def format_pence(pence: int) -> str:
    """Display only: 123456 -> '£1,234.56' (whole pounds shown without pence)."""
    sign = "-" if pence < 0 else ""
    pounds, rem = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}" if rem == 0 else f"{sign}£{pounds:,}.{rem:02d}"


def parse_money_pence(value: object, *, field: str = "amount") -> int:
    """'£1,250.50', '1250.5' or 1250 (pounds) -> 125050 pence; clear error otherwise."""
    if isinstance(value, bool):
        raise InvalidInput("Enter an amount in pounds, e.g. 2500.", field=field)
    if isinstance(value, int):
        return value * 100
    text = str(value or "").strip().replace(",", "").replace("£", "").replace("GBP", "").strip()
    match = re.fullmatch(r"(-?)([0-9]+)(?:\.([0-9]{1,2}))?", text)  # ASCII digits only
    if not match:
        raise InvalidInput(f"'{value}' is not an amount in pounds, e.g. 2500.", field=field)
    sign, whole, frac = match.groups()
    pence = int(whole) * 100 + int((frac or "0").ljust(2, "0"))
    return -pence if sign else pence


def check_award(
    *,
    amount_pence: int,
    approved_total_pence: int,
    on_poor_performance_measures: bool,
    limits: AwardLimits,
    pending_pence: int = 0,
) -> None:
    """F15: eligibility and caps, checked at nomination and again at decision. At nomination
    ``pending_pence`` (nominations awaiting a decision) holds its place under the cap, so two
    nominations cannot promise the same headroom twice."""
    if on_poor_performance_measures:
        raise RuleViolation(
            "F15",
            "This person is on formal poor-performance measures, so is not eligible for an "
            "in-year award (guidance §49).",
            field="nominee",
        )
    if amount_pence <= 0:
        raise InvalidInput("The amount must be more than £0.", field="amount")
    if amount_pence < limits.min_award_pence:
        raise InvalidInput(
            f"An in-year award is at least {format_pence(limits.min_award_pence)}.",
            field="amount",
        )
    if amount_pence > limits.per_award_pence:
        raise RuleViolation(
            "F15",
            f"One award can be at most {format_pence(limits.per_award_pence)}; "
            f"{format_pence(amount_pence)} is over that.",
            field="amount",
        )
    headroom = limits.per_year_pence - approved_total_pence - pending_pence
    if amount_pence > headroom:
        waiting = (
            f" ({format_pence(pending_pence)} of it is in nominations awaiting a decision)"
            if pending_pence
            else ""
        )
        raise RuleViolation(
            "F15",
            f"This would take their in-year awards to "
            f"{format_pence(approved_total_pence + pending_pence + amount_pence)}{waiting}, "
            f"over the {format_pence(limits.per_year_pence)} yearly limit. Headroom left: "
            f"{format_pence(max(headroom, 0))}.",
            field="amount",
        )


def needs_cst_approval(total_pence: int, limits: AwardLimits) -> bool:
    """F15: yearly totals at the top of the range need Chief Secretary to the Treasury approval."""
    return total_pence >= limits.cst_approval_from_pence
