"""One message per person per delivery: when several scheduled reminders and escalations fall
due for someone together (the ladder's steps all come due at the day's opening), they go as one
to-do list - each line with its own button, the most urgent first - instead of one message each.
Decisions about money, what someone's action tells another, and a job holder's ask to agree
their write-up stay messages of their own; asks to countersign one are listed."""

from __future__ import annotations

from scheduler.nudges.base import Action, Kind, Nudge

# Scheduled reminders and escalations: listed together when more than one is due at once.
LISTED = frozenset(
    {
        Kind.OBJECTIVES,
        Kind.RATING,
        Kind.SELF_ASSESSMENT,
        Kind.WRITE_UP,
        Kind.EVIDENCE,
        Kind.DEVELOPMENT_PLAN,
        Kind.CONSISTENCY_CHECK,
        Kind.MODERATION_READINESS,
        Kind.RESPONDENTS,
        Kind.AWARD_DIGEST,
        Kind.COUNTERSIGN,
    }
)
KIND = "digest"
MAX_LINES = 45  # Slack allows 50 blocks (a header, the words, the lines, Snooze): beyond, two lists


def urgency(step: str) -> tuple[int, int]:
    """Escalations first (the longest overdue first), then the nearest deadlines."""
    name, _, number = step.rpartition("_")
    days = int(number) if number.isdigit() else 0
    if name in ("overdue", "escalated"):
        return (0, -days)
    if name == "before":
        return (1, days)
    return (2, 0)


def lists(parts: list[tuple[str, Nudge]]) -> list[Nudge]:
    """The to-do lists for ``parts`` (each nudge with its ladder step): the most urgent first,
    at most MAX_LINES a list."""
    ordered = [nudge for _step, nudge in sorted(parts, key=lambda p: urgency(p[0]))]
    return [digest(ordered[i : i + MAX_LINES]) for i in range(0, len(ordered), MAX_LINES)]


def digest(ordered: list[Nudge]) -> Nudge:
    """One to-do list: a line for each nudge, in this order, each with its button."""
    items = tuple(
        (n.text, next((a for a in n.actions if a.action_id != "snooze"), None)) for n in ordered
    )
    text = f"{len(ordered)} things need you, the most urgent first."
    ids = tuple(n.outbox_id for n in ordered)
    snooze = Action("snooze", "Snooze all 2 working days", f"{','.join(map(str, ids))}:2")
    return Nudge(ids[0], KIND, "Your perfbot reminders", text, (), (snooze,), items, ids)
