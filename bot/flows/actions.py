"""Every button perfbot shows, and what pressing it does: one table for every chat platform.

A button either opens something for the person who pressed it (a form or a page) or acts
(approve, snooze, send the workbook...). Either way its handler returns a neutral result,
which ``bot/slack`` and ``bot/teams`` turn into their own replies; neither adapter decides
anything itself, so a button the flows or the scheduler show works on both platforms (a test
holds every emitted action id to this table).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.flows import (
    agreement,
    award,
    evidence,
    feedback,
    objective_record,
    objectives,
    plan,
    rate,
    status,
    write_up,
)
from bot.flows.common import actor
from bot.flows.model import Context, Form, Message
from scheduler.nudges import NudgeContext, compose
from scheduler.nudges.base import REMIND
from store import queries
from store.config import DepartmentConfig
from store.errors import InvalidInput
from store.framework import day_words, performance_year_of, year_label
from store.services import ask_owner, escalation_owners, local_date, require_hr, snooze
from store.workbook import EXPORT_REFUSED


# --- what a button's handler returns --------------------------------------------------------
@dataclass(frozen=True)
class Show:
    """Open a form, or show a page, to the person who pressed."""

    result: Form | Message


@dataclass(frozen=True)
class Tell:
    """A private note to the person who pressed; the pressed message stays as it was."""

    message: Message


@dataclass(frozen=True)
class Replace:
    """The pressed message becomes this, for everyone who sees it (a decided award)."""

    message: Message


@dataclass(frozen=True)
class Post:
    """New messages in the presser's own direct chat (never in a shared channel)."""

    messages: tuple[Message, ...]
    empty: str  # what to say when there are none
    title: str = "Award nominations waiting"  # where a platform sums them up (Teams)
    # The nomination each message asks to decide (in order), so the platform keeps where it
    # posted them and they are edited once decided; empty for messages that ask nothing.
    awards: tuple[int, ...] = ()


@dataclass(frozen=True)
class SendWorkbook:
    """Build the HR workbook for ``year`` and send it to the presser's direct chat (HR only:
    checked before this is returned)."""

    year: int
    label: str


Result = Show | Tell | Replace | Post | SendWorkbook

# The platform's own reference to the pressed message (Slack: channel and ts), for a form
# that must update it when submitted (Reject).
Origin = dict[str, str]
Handler = Callable[[Session, Context, DepartmentConfig, str, Origin], Result]


@dataclass(frozen=True)
class Action:
    run: Handler
    writes: bool  # run in a write transaction (else a read)


def subject_of(value: str) -> tuple[int | None, str | None]:
    """A button value "<person id>[:<stage>]"."""
    head, _, tail = (value or "").partition(":")
    return (int(head) if head.isdigit() else None), (tail or None)


def _number(value: str) -> int:
    if not value.isdigit():
        raise InvalidInput("This button is out of date. Open the latest message and try again.")
    return int(value)


Opener = Callable[[Session, Context, DepartmentConfig, int | None, str | None], Form | Message]


def _opens(build: Opener) -> Action:
    def run(
        session: Session, ctx: Context, config: DepartmentConfig, value: str, _origin: Origin
    ) -> Result:
        subject, stage = subject_of(value)
        return Show(build(session, ctx, config, subject, stage))

    return Action(run, writes=False)


def _opens_value(
    build: Callable[[Session, Context, DepartmentConfig, str], Form | Message],
) -> Action:
    """A button that opens a form from its whole value."""

    def run(
        session: Session, ctx: Context, config: DepartmentConfig, value: str, _origin: Origin
    ) -> Result:
        return Show(build(session, ctx, config, value))

    return Action(run, writes=False)


# --- buttons that act ---------------------------------------------------------------------
def approve_award(
    session: Session, ctx: Context, config: DepartmentConfig, value: str, _origin: Origin
) -> Result:
    """F15: one click decides once; the store refuses a second click, another group's DG
    and a cap reached since the nomination, with words the adapter shows."""
    return Replace(award.approve(session, ctx, config, _number(value)))


def reject_award(
    session: Session, ctx: Context, config: DepartmentConfig, value: str, origin: Origin
) -> Result:
    return Show(award.open_reject(ctx, config, _number(value), origin))


def undo_award(
    session: Session, ctx: Context, config: DepartmentConfig, value: str, _origin: Origin
) -> Result:
    """F15: Undo on a decision just made: the message offers Approve and Reject again."""
    return Replace(award.undo(session, ctx, config, _number(value)))


def withdraw_award(
    session: Session, ctx: Context, config: DepartmentConfig, value: str, _origin: Origin
) -> Result:
    return Replace(award.withdraw(session, ctx, config, _number(value)))


def pending_awards(
    session: Session, ctx: Context, config: DepartmentConfig, value: str, _origin: Origin
) -> Result:
    waiting = award.pending_for(session, config, ctx.person_id)
    return Post(
        tuple(award.pending_message(session, a, config) for a in waiting),
        empty="No award nominations are waiting for your decision.",
        awards=tuple(a.id for a in waiting if a.id is not None),
    )


def show_award(
    session: Session, ctx: Context, config: DepartmentConfig, value: str, _origin: Origin
) -> Result:
    """One nomination from the home page, to decide: only one waiting for this person."""
    wanted = _number(value)
    waiting = [a for a in award.pending_for(session, config, ctx.person_id) if a.id == wanted]
    return Post(
        tuple(award.pending_message(session, a, config) for a in waiting),
        empty="That nomination is no longer waiting for your decision.",
        awards=tuple(a.id for a in waiting if a.id is not None),
    )


def agree_objectives(
    session: Session, ctx: Context, config: DepartmentConfig, value: str, _origin: Origin
) -> Result:
    """F11: the line manager agrees a report's objectives; the store says what is missing."""
    subject, _ = subject_of(value)
    if subject is None:
        raise InvalidInput("This button is out of date. Open the latest message and try again.")
    return Tell(objectives.agree(session, ctx, config, subject))


def read_write_up(
    session: Session, ctx: Context, config: DepartmentConfig, value: str, _origin: Origin
) -> Result:
    """F23: the write-up, with the buttons its reader may press, in their direct chat."""
    subject, stage, year = agreement.parse(value)
    return Post((agreement.view(session, ctx, config, subject, stage, year),), empty="")


def agree_write_up(
    session: Session, ctx: Context, config: DepartmentConfig, value: str, _origin: Origin
) -> Result:
    """F23: Agree (the job holder) or Countersign: the message shows where it now stands."""
    return Replace(agreement.agree(session, ctx, config, value))


ValueBuild = Callable[[Session, Context, DepartmentConfig, str], Any]


def _posts(build: ValueBuild, title: str) -> Action:
    """A button that posts messages, one each with its buttons, in the presser's direct chat
    (F11-F13, F17: objectives and milestones; F24: 360 respondents)."""

    def run(
        session: Session, ctx: Context, config: DepartmentConfig, value: str, _origin: Origin
    ) -> Result:
        shown = build(session, ctx, config, value)
        return Post(shown, empty="", title=shown[0].title or title)

    return Action(run, writes=False)


def _replaces(build: ValueBuild) -> Action:
    """A button that acts and shows the pressed message as it now stands (a milestone met,
    a respondent agreed or removed)."""

    def run(
        session: Session, ctx: Context, config: DepartmentConfig, value: str, _origin: Origin
    ) -> Result:
        return Replace(build(session, ctx, config, value))

    return Action(run, writes=True)


def remind_owner(
    session: Session, ctx: Context, config: DepartmentConfig, value: str, _origin: Origin
) -> Result:
    """Told of someone's overdue task: ask its owner, once, with the reminder they would have
    had, naming who asked. Nothing opens the presser's own form."""
    asked = escalation_owners(session, actor=actor(ctx), outbox_id=_number(value))
    row, asker = asked.escalation, queries.name_of(session, ctx.person_id, "Someone")
    if not asked.owners:
        return Tell(Message("There is no one else to remind: the task is yours to do."))
    subject = queries.name_of(session, row.subject_id, "")
    reminded: list[str] = []
    recently: list[str] = []
    for owner in asked.owners:
        step = row.step if row.step.startswith("overdue_") else "reminded"  # the owner's words
        own = compose(config, NudgeContext(
            row.id or 0, row.kind, step, row.milestone, row.year, row.subject_id,
            subject or None, row.payload, owner.id == row.subject_id, owner.location,
            "self" if owner.id == row.subject_id else "line_manager",
        ))  # fmt: skip
        payload = {
            "asked_by": asker, "kind": row.kind, "title": own.title, "text": own.text,
            "actions": [[a.action_id, a.label, a.value, a.confirm] for a in own.actions
                        if a.action_id != "snooze"],
        }  # fmt: skip
        done = ask_owner(session, actor=actor(ctx), escalation=row, owner=owner,
                         payload=payload, now=ctx.now)  # fmt: skip
        (reminded if done else recently).append(owner.name)
    said = f"Sent {' and '.join(reminded)} one reminder, saying you asked." if reminded else ""
    if recently:
        said += f" {' and '.join(recently)} had a reminder in the last two days, so not again."
    return Tell(Message(said.strip()))


def snooze_nudge(
    session: Session, ctx: Context, config: DepartmentConfig, value: str, _origin: Origin
) -> Result:
    """Snooze a reminder - or every reminder a to-do list stands for ("12,13,14:2")."""
    ids, _, days = value.partition(":")
    rows = [
        snooze(
            session,
            config=config,
            actor=actor(ctx),
            outbox_id=_number(one),
            working_days=_number(days or "2"),
            now=ctx.now,
        )
        for one in ids.split(",")
    ]
    when = rows[-1].due_at.astimezone(ZoneInfo(config.department.timezone))
    return Tell(Message(f"Snoozed until {day_words(when.date())} at {when:%H:%M}."))


def workbook_year(value: str, ctx: Context, config: DepartmentConfig) -> int:
    """The performance year asked for ("2026"), or the current one when none is given."""
    value = value.strip()
    if not value:
        return performance_year_of(local_date(config, ctx.now), config.year.start_month)
    if not (value.isascii() and value.isdigit() and 2000 <= int(value) <= 2100):
        raise InvalidInput(
            f"'{value}' is not a year. Give the year a performance year starts in, "
            "for example 2026 for 2026-27."
        )
    return int(value)


def get_workbook(
    session: Session, ctx: Context, config: DepartmentConfig, value: str, _origin: Origin
) -> Result:
    year = workbook_year(value, ctx, config)
    require_hr(session, actor(ctx), EXPORT_REFUSED)
    return SendWorkbook(year, year_label(year, config.year.start_month))


ACTIONS: dict[str, Action] = {
    # nudges and the DG's messages
    "rate": _opens(lambda s, c, k, subject, period: rate.open_form(s, c, k, subject, period)),
    "objectives": _opens(lambda s, c, k, subject, _: objectives.open_form(s, c, k, subject)),
    "objectives_agree": Action(agree_objectives, writes=True),
    objective_record.LIST: _posts(
        lambda s, c, k, v: objective_record.overview(s, c, k, subject_of(v)[0]), "Objectives"
    ),
    objective_record.REVISE: _opens_value(objective_record.open_revise),
    objective_record.CLOSE: _opens_value(objective_record.open_close),
    objective_record.MILESTONE: _opens_value(objective_record.open_milestone),
    objective_record.MILESTONES: _posts(objective_record.milestones, "Milestones"),
    objective_record.MET: _replaces(objective_record.mark_met),
    objective_record.AWARD: _opens_value(award.open_for_milestone),
    feedback.LIST: _posts(
        lambda s, c, k, v: feedback.overview(s, c, k, subject_of(v)[0]), "360 respondents"
    ),
    feedback.PROPOSE: _opens_value(feedback.open_form),
    feedback.AGREE: _replaces(feedback.agree),
    feedback.REMOVE: _replaces(feedback.remove),
    agreement.READ: Action(read_write_up, writes=False),
    agreement.AGREE: Action(agree_write_up, writes=True),
    agreement.COMMENT: _opens_value(agreement.open_comment),
    "write_up": _opens(lambda s, c, k, subject, stage: write_up.open_form(s, c, k, subject, stage)),
    "self_assessment": _opens(lambda s, c, k, _, stage: write_up.open_self(s, c, k, stage)),
    "evidence": _opens(lambda s, c, k, _subject, _stage: evidence.open_form(s, c, k)),
    evidence.PORTFOLIO: _opens(lambda s, c, k, _subject, _stage: evidence.portfolio(s, c, k)),
    evidence.CHANGE: _opens(lambda s, c, k, _subject, _stage: evidence.open_change(s, c, k)),
    "development_plan": _opens(lambda s, c, k, subject, _: plan.open_form(s, c, k, subject)),
    "award_approve": Action(approve_award, writes=True),
    "award_reject": Action(reject_award, writes=False),
    "award_pending": Action(pending_awards, writes=False),
    "award_show": Action(show_award, writes=False),
    "award_undo": Action(undo_award, writes=True),
    "award_withdraw": Action(withdraw_award, writes=True),
    "snooze": Action(snooze_nudge, writes=True),
    REMIND: Action(remind_owner, writes=True),
    "get_workbook": Action(get_workbook, writes=False),
    # the home page
    "open_rate": _opens(lambda s, c, k, _subject, _stage: rate.open_form(s, c, k)),
    "open_objectives": _opens(lambda s, c, k, _subject, _stage: objectives.open_form(s, c, k)),
    "open_write_up": _opens(lambda s, c, k, _subject, _stage: write_up.open_form(s, c, k)),
    "open_evidence": _opens(lambda s, c, k, _subject, _stage: evidence.open_form(s, c, k)),
    "open_award": _opens(lambda s, c, k, _subject, _stage: award.open_form(s, c, k)),
    "status": _opens(lambda s, c, k, _subject, _stage: status.status(s, c, k)),
}


def run_action(
    session: Session,
    name: str,
    ctx: Context,
    config: DepartmentConfig,
    value: str,
    origin: Origin | None = None,
) -> Result:
    """Press button ``name`` (which must be in ``ACTIONS``)."""
    return ACTIONS[name].run(session, ctx, config, value, origin or {})


def unknown_button(name: str) -> Tell:
    return Tell(Message("That button is out of date. Open the latest message and try again."))


__all__ = [
    "ACTIONS",
    "Action",
    "Post",
    "Replace",
    "Result",
    "SendWorkbook",
    "Show",
    "Tell",
    "run_action",
    "subject_of",
    "unknown_button",
]
