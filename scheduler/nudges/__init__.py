"""The nudge kinds: one module each says how the kind is planned, when its task is done and
how it is worded. This registry is the only list of them: the planner, delivery and the
words all look a kind up here, so a new kind is one new module added to ``KINDS``."""

from __future__ import annotations

from sqlmodel import Session

from scheduler.nudges import (
    award_copies,
    award_decision,
    award_digest,
    consistency_check,
    development_plan,
    evidence,
    moderation_readiness,
    objectives,
    outcome,
    rating,
    respondents,
    self_assessment,
    told,
    write_up,
    write_up_agreement,
)
from scheduler.nudges.base import (
    Action,
    Kind,
    Nudge,
    NudgeContext,
    NudgeKind,
    PlanReport,
    Tick,
    Words,
)
from store.config import DepartmentConfig
from store.models import Outbox
from store.notices import OUTBOX_KEY

# In planning order: evidence prompts ride in lists, so they come after the kinds that make
# them (otherwise the order only changes how a tick's report is counted).
KINDS: dict[Kind, NudgeKind] = {
    kind.kind: kind
    for kind in [
        module.KIND
        for module in (
            objectives,
            rating,
            self_assessment,
            write_up,
            moderation_readiness,
            consistency_check,
            award_decision,
            award_copies,
            award_digest,
            development_plan,
            write_up_agreement,
            outcome,
            respondents,
            evidence,
        )
    ]
    + [write_up_agreement.COUNTERSIGNING]
    + list(told.KINDS)
}
assert set(KINDS) == set(Kind), "every nudge kind has its module"


def compose(config: DepartmentConfig, ctx: NudgeContext) -> Nudge:
    """The words and buttons for one nudge."""
    return KINDS[Kind(ctx.kind)].compose(Words(config, ctx))


def is_done(session: Session, row: Outbox, config: DepartmentConfig) -> bool:
    """True when the thing the nudge asks for has been done (or can no longer be)."""
    return KINDS[Kind(row.kind)].is_done(session, row, config)


__all__ = [
    "KINDS",
    "OUTBOX_KEY",
    "Action",
    "Kind",
    "Nudge",
    "NudgeContext",
    "PlanReport",
    "Tick",
    "compose",
    "is_done",
]
