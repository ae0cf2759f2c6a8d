"""Subject access: everything perfbot holds about one person, readable by that person.

The rule for what is "about them" (docs/data-protection.md says the same):
- every record whose subject is the person is included whole: their profile, ratings and
  the notes written about them, write-ups and comments, objectives with every revision,
  evidence, awards to them, development plans, 360 respondents, their settings and chat
  accounts, the messages perfbot sent them, and the audit entries about them;
- the people who acted on their record (a line manager who recorded a rating, a Director
  General who decided an award) are named: who decided about you is part of your record;
- records about someone else are not searched for their name. Where they acted on another
  person's record (an award they nominated), only their own part is given - the other
  person is shown as "another person" and that person's data is left out;
- their own protected characteristics are given to them, read through ``store.aggregates``
  (the only module that reads that table); nobody else's.

Every export is audited: who asked, for whom, when.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, SQLModel, select

from store import aggregates
from store.framework import Rating
from store.models import (
    AuditEntry,
    Award,
    ChatIdentity,
    DevelopmentPlan,
    Evidence,
    FeedbackRespondent,
    FinanceOutcome,
    IndicativeRating,
    MinimumStandardResult,
    ModeratedRating,
    Objective,
    ObjectiveMilestone,
    ObjectiveRevision,
    ObjectivesAgreement,
    Outbox,
    Person,
    Preference,
    RatingReview,
    TeamsInstall,
    WriteUp,
)
from store.services import Actor, audit, get_person, require_hr

ANOTHER = "another person"


@dataclass(frozen=True)
class Section:
    title: str
    model: type[SQLModel]
    subject: str  # the column that names the person (or "objective_id": through objectives)
    hidden: tuple[str, ...] = ()  # columns about someone else, left out
    others: str = ""  # a column naming someone else, shown as "another person"


SECTIONS: tuple[Section, ...] = (
    Section("Indicative ratings", IndicativeRating, "person_id"),
    Section("Write-ups", WriteUp, "person_id"),
    Section("Minimum standards", MinimumStandardResult, "person_id"),
    Section("Finance objective", FinanceOutcome, "person_id"),
    Section("Moderated ratings", ModeratedRating, "person_id"),
    Section("Rating reviews", RatingReview, "person_id"),
    Section("Objectives", Objective, "person_id"),
    Section("Objective revisions", ObjectiveRevision, "objective_id"),
    Section("Objective milestones", ObjectiveMilestone, "objective_id"),
    Section("Objectives agreed", ObjectivesAgreement, "person_id"),
    Section("Evidence", Evidence, "person_id"),
    Section("Development plans", DevelopmentPlan, "person_id"),
    Section("360 respondents", FeedbackRespondent, "person_id"),
    Section("Awards to you", Award, "nominee_id"),
    Section(
        "Awards you nominated",
        Award,
        "nominated_by_id",
        # What they did; not what was written about the nominee, by them or the decider.
        hidden=("reason", "objective_id", "milestone_id", "decision_reason", "cst_reference"),
        others="nominee_id",
    ),
    Section("Chat accounts", ChatIdentity, "person_id"),
    Section("Settings", Preference, "person_id"),
    Section("Teams installation", TeamsInstall, "person_id"),
    Section("Messages sent to you", Outbox, "recipient_id", hidden=("lease_owner",)),
    Section("Audit entries about you", AuditEntry, "subject_id"),
)
# Tables that name a person but hold nothing about them to give: each with the reason.
NOT_ABOUT_ONE_PERSON = {
    "person": "given as the profile",
    "protected_characteristic": "given as the profile's characteristics (theirs only)",
    "consistency_record": "counts by group, with small cells hidden: no one's data",
    "outcome_release": "HR's release of a whole year; no one's rating",
    "erasure": "that a person's records were erased, with counts: nothing of theirs is left",
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _person_columns(model: type[SQLModel]) -> list[str]:
    table = model.__table__  # type: ignore[attr-defined]
    return [
        c.name
        for c in table.columns
        if any(fk.column.table.name == "person" for fk in c.foreign_keys)
    ]


def _rows(
    session: Session, section: Section, person_id: int, names: dict[int, str]
) -> list[dict[str, Any]]:
    model = section.model
    if section.subject == "objective_id":
        owned = select(Objective.id).where(Objective.person_id == person_id)
        where = getattr(model, "objective_id").in_(owned)  # noqa: B009
    else:
        where = getattr(model, section.subject) == person_id
    people = set(_person_columns(model))
    out = []
    for row in session.exec(select(model).where(where)).all():
        record: dict[str, Any] = {}
        for column in model.__table__.columns:  # type: ignore[attr-defined]
            key, value = column.name, getattr(row, column.name)
            if key in section.hidden:
                continue
            if key == section.others:
                record[key.removesuffix("_id")] = ANOTHER
            elif key in people:
                record[key.removesuffix("_id")] = names.get(value, value) if value else None
            else:
                record[key] = _plain(value)
        out.append(record)
    return out


def subject_access(
    session: Session, *, actor: Actor, subject_id: int, now: datetime
) -> dict[str, Any]:
    """Everything held about ``subject_id`` (HR only; audited)."""
    require_hr(session, actor, "Only HR can answer a subject access request.")
    person = get_person(session, subject_id)
    names = {p.id: p.name for p in session.exec(select(Person)).all() if p.id is not None}
    links = _person_columns(Person)  # their line manager, countersigning officer and DG
    profile: dict[str, Any] = {}
    for column in Person.__table__.columns:  # type: ignore[attr-defined]
        value = getattr(person, column.name)
        if column.name in links:
            profile[column.name.removesuffix("_id")] = names.get(value)
        else:
            profile[column.name] = _plain(value)
    profile["protected_characteristics"] = aggregates.own_characteristics(session, subject_id)
    held = {
        "person": person.name,
        "staff_id": person.staff_id,
        "prepared_at": now.isoformat(),
        "profile": profile,
        **{s.title: _rows(session, s, subject_id, names) for s in SECTIONS},
    }
    audit(
        session, actor=actor, now=now, action="person.subject_access", entity="person",
        entity_id=str(subject_id), subject_id=subject_id,
        new={"sections": {s.title: len(held[s.title]) for s in SECTIONS}},
    )  # fmt: skip
    return held


def write_subject_access(
    held: dict[str, Any], base: Path, zone: ZoneInfo | None = None
) -> tuple[Path, Path]:
    """``base``.json for systems and ``base``.xlsx for the person: a sheet for the profile and
    one for each kind of record, headed in words, columns as wide as what they hold (long
    text wraps), printed landscape, times in ``zone`` (the department's); every text cell
    written as text."""
    from openpyxl import Workbook

    from store.workbook.book import for_print
    from store.workbook.cells import BOLD, WRAP, append, header, styled, widths

    shown_in = zone or ZoneInfo("Europe/London")
    as_json, as_xlsx = base.with_suffix(".json"), base.with_suffix(".xlsx")
    as_json.write_text(json.dumps(held, indent=2, ensure_ascii=False), encoding="utf-8")
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Profile")
    for_print(sheet)
    widths(sheet, 34, 60)
    append(sheet, [styled(sheet, f"What perfbot holds about {held['person']}", font=BOLD)])
    append(sheet, ["Prepared", _shown(held["prepared_at"], shown_in)])
    for key, value in held["profile"].items():
        if key == "protected_characteristics":
            for name, shown in value.items():
                append(sheet, [_words(name), shown])
        else:
            append(sheet, [_words(key), _shown(value, shown_in)])
    for n, section in enumerate(SECTIONS, 1):
        sheet = book.create_sheet(f"{n} {section.title}"[:31])
        for_print(sheet)
        rows = held[section.title]
        if not rows:
            widths(sheet, 40)
            append(sheet, [f"{section.title}: nothing held."])
            continue
        keys = list(rows[0])
        shown = [[_shown(row[k], shown_in) for k in keys] for row in rows]
        widths(
            sheet,
            *[
                min(50, max(len(_words(k)), *(len(str(r[i] or "")) for r in shown)) + 2)
                for i, k in enumerate(keys)
            ],
        )
        append(sheet, header(sheet, *[_words(k) for k in keys]))
        for values in shown:
            append(sheet, [styled(sheet, v, alignment=WRAP) if isinstance(v, str) else v
                           for v in values])  # fmt: skip
    tmp = as_xlsx.with_name(f".{as_xlsx.name}.partial")
    book.save(tmp)
    tmp.replace(as_xlsx)
    return as_json, as_xlsx


WORDS = {
    "id": "Number in perfbot",
    "dg": "Director General",
    "countersigning": "Countersigning officer",
    "is_hr": "HR role",
    "is_dg": "Director General role",
    "pc": "Characteristic",
}


def _words(key: str) -> str:
    """A column's name as a heading: "what_note" -> "What note"."""
    return WORDS.get(key) or key.replace("_", " ").capitalize()


def _shown(value: Any, zone: ZoneInfo) -> Any:
    """A value as a person reads it: a box rating by its name, a date and time without
    microseconds, yes or no, nested values as text."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            return Rating(value).label
        except ValueError:
            pass
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if "T" not in value:
            return f"{moment.day} {moment:%B %Y}"
        local = moment.astimezone(zone)
        return f"{local.day} {local:%B %Y, %H:%M}"
    return value


def person_tables() -> set[str]:
    """Every table with a column naming a person (for the completeness test)."""
    return {
        table.name
        for table in SQLModel.metadata.sorted_tables
        if any(fk.column.table.name == "person" for c in table.columns for fk in c.foreign_keys)
        or table.name == "person"
    }
