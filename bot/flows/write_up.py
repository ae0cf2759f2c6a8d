"""Mid-year and end-year write-ups (Annex B, F23): the manager's assessment of what and how
(F6); at end-year the recommendation (F7), the four minimum standards (F8), the finance
outcome (F9), 360 feedback and the bias tick. The derived gates are shown before saving."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.flows.common import (
    actor,
    call,
    chosen_report,
    name_of,
    person_field,
    reports,
    stage_year,
    this_quarter,
    today,
    value_text,
)
from bot.flows.context import EVIDENCE_LISTED, evidence_lines, quarters, write_up_context
from bot.flows.model import Context, Field, Form, FormErrors, Message, Note, Option
from store import queries
from store.config import DepartmentConfig, closing_year
from store.framework import (
    NOTE_MAX_CHARS,
    RATING_HINTS,
    MinimumStandard,
    Rating,
    Stage,
    apply_gates,
)
from store.services import (
    live_respondents,
    record_finance_outcome,
    record_manager_assessment,
    record_minimum_standards,
    record_self_assessment,
)

FLOW, CONFIRM_FLOW, SELF_FLOW = "write_up", "write_up_confirm", "self_assessment"
MET = (Option("met", "Met"), Option("not_met", "Not met"))
FIELDS = (
    "person",
    "what",
    "how",
    "recommended_rating",
    "bias_acknowledged",
    "finance_met",
    *(s.value for s in MinimumStandard),
)


def _stage(ctx: Context, config: DepartmentConfig, stage: str | None) -> Stage:
    stage = (stage or "").replace("-", "_").lower() or None
    if stage in (Stage.MID_YEAR.value, "mid", "midyear"):
        return Stage.MID_YEAR
    if stage in (Stage.END_YEAR.value, "end", "endyear"):
        return Stage.END_YEAR
    if closing_year(config, today(ctx, config)) is not None:  # April: last year's end-year
        return Stage.END_YEAR
    return Stage.END_YEAR if this_quarter(ctx, config) == 4 else Stage.MID_YEAR


def open_form(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    subject_id: int | None = None,
    stage: str | None = None,
) -> Form | Message:
    team = reports(session, ctx.person_id)
    chosen = _stage(ctx, config, stage)
    if not team:
        return open_self(session, ctx, config, chosen.value)
    year = stage_year(ctx, config, chosen)
    person = next((p for p in team if p.id == subject_id), None)
    items: list[Field | Note] = [
        *([Note(write_up_context(session, config, person, year, chosen))] if person else []),
        person_field("Whose write-up", team, subject_id),
        Field(
            "what",
            "Assessment: what was delivered",
            "text",
            multiline=True,
            max_length=NOTE_MAX_CHARS,
            hint="Cite the evidence.",
        ),
        Field(
            "how", "Assessment: how (behaviours)", "text", multiline=True, max_length=NOTE_MAX_CHARS
        ),
    ]
    if chosen is Stage.END_YEAR:
        items += [
            Field(
                "recommended_rating",
                "Box-rating recommendation",
                "choice",
                options=tuple(Option(r.value, r.label, RATING_HINTS[r]) for r in Rating),
                hint="A recommendation until moderated.",
            ),
            *(
                Field(s.value, f"Minimum standard: {s.label}", "choice", options=MET)
                for s in MinimumStandard
            ),
            Field("finance_met", "Finance/efficiency objective", "choice", options=MET),
            Note(
                "360 feedback is taken from the respondents you agreed with them this year; "
                "the next step shows it."
            ),
            Field(
                "bias_acknowledged",
                "I have set aside any personal bias, conscious or unconscious, in this assessment",
                "toggle",
            ),
        ]
    return Form(
        FLOW,
        f"{chosen.label} write-up",
        "Review" if chosen is Stage.END_YEAR else "Save write-up",
        tuple(items),
        {"stage": chosen.value, "year": year},
    )


def _choice(values: dict[str, Any], field: str, allowed: tuple[Option, ...]) -> str:
    value = value_text(values, field)
    if value not in {o.value for o in allowed}:
        raise FormErrors({field: "Choose one."})
    return value


def submit(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message | Form:
    subject = chosen_report(session, values, "person", ctx.person_id)
    stage = Stage(state["stage"])
    answers: dict[str, Any] = {
        "subject": subject,
        "what": value_text(values, "what"),
        "how": value_text(values, "how"),
    }
    if stage is Stage.MID_YEAR:
        return _save(session, ctx, config, state, answers)
    errors: dict[str, str] = {}
    for field, options in ((s.value, MET) for s in MinimumStandard):
        try:
            answers[field] = _choice(values, field, options) == "met"
        except FormErrors as error:
            errors.update(error.errors)
    try:
        answers["finance_met"] = _choice(values, "finance_met", MET) == "met"
    except FormErrors as error:
        errors.update(error.errors)
    answers["bias_acknowledged"] = bool(values.get("bias_acknowledged"))
    try:
        answers["recommended_rating"] = Rating.parse(
            values.get("recommended_rating"), field="recommended_rating"
        ).value
    except Exception:
        errors["recommended_rating"] = "Choose your recommendation."
    if not answers["bias_acknowledged"]:
        errors["bias_acknowledged"] = "Tick to confirm you have set aside personal bias."  # F23
    for field in ("what", "how"):
        if not answers[field].strip():
            errors[field] = "Required: what and how carry equal weight."
    if errors:
        raise FormErrors(errors)
    gated = apply_gates(
        Rating(answers["recommended_rating"]),
        {s: answers[s.value] for s in MinimumStandard},
        answers["finance_met"],
    )
    notes = [Note(f"*{name_of(session, subject, '')}* - recommendation: {gated.recommended.label}")]
    if gated.changed:
        notes.append(
            Note(
                f"After the gates the rating is *{gated.rating.label}*: " + "; ".join(gated.reasons)
            )
        )
    else:
        notes.append(Note("The minimum standards and finance gates leave it unchanged."))
    notes.append(Note(_feedback_360(session, subject, state.get("year"))))  # F24
    notes.append(
        Note(
            "Save to record the write-up, standards and finance outcome together. "
            "Moderation may still change the rating."
        )
    )
    return Form(
        CONFIRM_FLOW,
        "Check and save",
        "Save write-up",
        tuple(notes),
        {**state, "answers": answers},
        back=True,
    )


def _feedback_360(session: Session, subject: int, year: int | None) -> str:
    """F24: what the write-up will record about 360 feedback, and why."""
    agreed = [
        r.respondent
        for r in live_respondents(session, subject, year or 0)
        if r.agreed_at is not None
    ]
    if not agreed:
        return (
            "360 feedback: not undertaken - no respondents are agreed this year. If it was, "
            "agree their respondents first (they propose them in perfbot)."
        )
    return f"360 feedback: undertaken, from {len(agreed)} agreed respondent" + (
        f"{'s' if len(agreed) != 1 else ''} ({', '.join(agreed)})."
    )


def reopen(
    session: Session, ctx: Context, config: DepartmentConfig, state: dict[str, Any]
) -> tuple[Form | Message, dict[str, Any]]:
    """Back from "Check and save": the end-year form again, every answer as it was given."""
    answers = state.get("answers") or {}
    form = open_form(session, ctx, config, answers.get("subject"), state.get("stage"))
    values: dict[str, Any] = {
        "person": str(answers.get("subject", "")),
        "what": answers.get("what", ""),
        "how": answers.get("how", ""),
        "recommended_rating": answers.get("recommended_rating"),
        "finance_met": "met" if answers.get("finance_met") else "not_met",
        "bias_acknowledged": bool(answers.get("bias_acknowledged")),
    }
    values |= {s.value: "met" if answers.get(s.value) else "not_met" for s in MinimumStandard}
    return form, values


def submit_confirm(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    return _save(session, ctx, config, state, state["answers"])


def _save(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    answers: dict[str, Any],
) -> Message:
    stage, year, who = Stage(state["stage"]), state.get("year"), actor(ctx)
    end = stage is Stage.END_YEAR
    call(
        record_manager_assessment,
        FIELDS,
        "what",
        session=session,
        config=config,
        actor=who,
        subject_id=answers["subject"],
        stage=stage,
        what=answers["what"],
        how=answers["how"],
        recommended_rating=answers.get("recommended_rating") if end else None,
        feedback_360=None,  # F24: follows from the respondents agreed this year
        bias_acknowledged=bool(answers.get("bias_acknowledged")),
        now=ctx.now,
        year=year,
    )
    if end:
        call(
            record_minimum_standards,
            FIELDS,
            "what",
            session=session,
            config=config,
            actor=who,
            subject_id=answers["subject"],
            results={s.value: answers[s.value] for s in MinimumStandard},
            now=ctx.now,
            year=year,
        )
        call(
            record_finance_outcome,
            FIELDS,
            "finance_met",
            session=session,
            config=config,
            actor=who,
            subject_id=answers["subject"],
            met=answers["finance_met"],
            now=ctx.now,
            year=year,
        )
    name = name_of(session, answers["subject"])
    subject = queries.person(session, answers["subject"])
    then = (
        f", then {name_of(session, subject.countersigning_id)} to countersign it"
        if subject is not None and subject.countersigning_id
        else ""
    )
    return Message(
        title="Write-up saved",
        text=f"{stage.label} write-up for {name} saved. {name} will be asked to read and "
        f"agree it or comment{then}. You can revise it until they agree; a revision asks "
        "them again.",
    )


def open_self(
    session: Session, ctx: Context, config: DepartmentConfig, stage: str | None = None
) -> Form:
    chosen = _stage(ctx, config, stage)
    year = stage_year(ctx, config, chosen)
    upto = 2 if chosen is Stage.MID_YEAR else 4
    mine = [f"Your indicative ratings: {quarters(session, ctx.person_id, year, upto)}"]
    mine += evidence_lines(session, ctx.person_id, year, listed=EVIDENCE_LISTED)
    return Form(
        SELF_FLOW,
        f"{chosen.label} self-review",
        "Save",
        (
            Note("\n".join(mine)),
            Field(
                "text",
                "Your self-assessment",
                "text",
                multiline=True,
                max_length=NOTE_MAX_CHARS,
                hint="What you delivered and how, citing your evidence.",
            ),
        ),
        {"stage": chosen.value, "year": year},
    )


def submit_self(
    session: Session,
    ctx: Context,
    config: DepartmentConfig,
    state: dict[str, Any],
    values: dict[str, Any],
) -> Message:
    call(
        record_self_assessment,
        ("text",),
        "text",
        session=session,
        config=config,
        actor=actor(ctx),
        subject_id=ctx.person_id,
        stage=state["stage"],
        text=value_text(values, "text"),
        now=ctx.now,
        year=state.get("year"),
    )
    return Message(
        title="Self-assessment saved",
        text=f"Your {Stage(state['stage']).label.lower()} self-assessment is saved.",
    )
