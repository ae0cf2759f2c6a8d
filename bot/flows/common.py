"""Helpers the flows share: who a person may act for, choices, values, service errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.flows.model import Context, Field, FormErrors, Option
from store import queries
from store.config import DepartmentConfig, closing_year
from store.errors import PerfbotError
from store.framework import Stage, performance_year_of, quarter_of
from store.models import Person
from store.services import Actor, load_people, local_date, pk

T = TypeVar("T")


def actor(ctx: Context) -> Actor:
    return Actor(ctx.person_id, ctx.via)


def today(ctx: Context, config: DepartmentConfig) -> date:
    return local_date(config, ctx.now)


def this_year(ctx: Context, config: DepartmentConfig) -> int:
    return performance_year_of(today(ctx, config), config.year.start_month)


def this_quarter(ctx: Context, config: DepartmentConfig) -> int:
    return quarter_of(today(ctx, config), config.year.start_month)


def stage_year(ctx: Context, config: DepartmentConfig, stage: Stage) -> int:
    """The year a write-up or self-assessment is for: this one, except end-year work done
    after the year ended (until its overall moderation), which is for the year that ended."""
    closing = closing_year(config, today(ctx, config))
    return closing if stage is Stage.END_YEAR and closing is not None else this_year(ctx, config)


def me(session: Session, ctx: Context) -> Person:
    person = queries.person(session, ctx.person_id)
    assert person is not None
    return person


name_of = queries.name_of
reports = queries.reports
countersigned = queries.countersigned


def person_options(
    people: Iterable[Person], hint: Callable[[Person], str | None] | None = None
) -> tuple[Option, ...]:
    return tuple(Option(str(p.id), p.name, hint(p) if hint else None) for p in people)


def person_field(label: str, people: list[Person], subject_id: int | None = None) -> Field:
    """The "who" choice of a form: ``people`` as options, ``subject_id`` pre-selected only
    when it is one of them (a platform rejects an initial value that is not an option)."""
    return Field(
        "person",
        label,
        "person",
        options=person_options(people),
        initial=str(subject_id) if subject_id in {p.id for p in people} else None,
    )


def chosen_report(session: Session, values: dict[str, Any], field: str, manager_id: int) -> int:
    """The person picked in ``field``, who must be one of the manager's current reports
    (one query for the report and the manager, not the whole team)."""
    raw = values.get(field)
    picked = int(str(raw)) if str(raw).isdigit() else None
    load_people(session, picked, manager_id)  # the service and the reply reuse these rows
    person = queries.person(session, picked)
    if person is None or person.line_manager_id != manager_id or not person.active:
        raise FormErrors({field: "Choose someone from the list."})
    return pk(person)


def chosen_id(values: dict[str, Any], field: str, allowed: Iterable[Person]) -> int:
    """The person picked in ``field``; only one the form offered is accepted."""
    raw = values.get(field)
    ids = {p.id for p in allowed}
    try:
        picked = int(str(raw))
    except (TypeError, ValueError):
        raise FormErrors({field: "Choose someone from the list."}) from None
    if picked not in ids:
        raise FormErrors({field: "Choose someone from the list."})
    return picked


def call(
    fn: Callable[..., T],
    fields: tuple[str, ...],
    default: str,
    *,
    aliases: dict[str, str] | None = None,
    **kwargs: Any,
) -> T:
    """Call a service; put its error beside the right field of the form."""
    try:
        return fn(**kwargs)
    except PerfbotError as error:
        raise FormErrors.from_error(error, fields, default, aliases) from None


def value_text(values: dict[str, Any], field: str) -> str:
    """A submitted value as text ("" when the field was left empty)."""
    value = values.get(field)
    return "" if value is None else str(value)


def when(config: DepartmentConfig, moment: datetime | None, *, time: bool = False) -> str:
    """'3 March 2027' (with ``time``: 'at 14:05') in the department's time zone, never UTC."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(config.department.timezone))
    return f"{local.day} {local:%B %Y}" + (f" at {local:%H:%M}" if time else "")
