"""Aggregate reports. The only module that reads protected characteristics (F21), and it
returns counts with small cells suppressed, never a person."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from store import framework as fw
from store.models import (
    IndicativeRating,
    ModeratedRating,
    Person,
    ProtectedCharacteristic,
    WriteUp,
)


def characteristics_present(session: Session) -> list[str]:
    """The protected characteristics the roster carries (names only)."""
    return list(
        session.exec(
            select(ProtectedCharacteristic.characteristic)
            .distinct()
            .order_by(ProtectedCharacteristic.characteristic)
        ).all()
    )


def own_characteristics(session: Session, person_id: int) -> dict[str, str]:
    """One person's own characteristics, for their subject access request only (the caller
    has checked it is HR answering it, and audits it)."""
    return dict(
        session.exec(
            select(ProtectedCharacteristic.characteristic, ProtectedCharacteristic.value)
            .where(ProtectedCharacteristic.person_id == person_id)
            .order_by(ProtectedCharacteristic.characteristic)
        ).all()
    )


def forget_characteristics(session: Session, person_id: int) -> int:
    """Erase one person's characteristics (retention or an erasure request); how many."""
    result = session.execute(
        sa.delete(ProtectedCharacteristic).where(
            col(ProtectedCharacteristic.person_id) == person_id
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def headcount_by_characteristic(
    session: Session, characteristic: str, *, threshold: int
) -> dict[str, int | None]:
    """F21: active people per value of one characteristic; cells under ``threshold`` hidden."""
    rows = session.exec(
        select(ProtectedCharacteristic.value, func.count())
        .join(Person, col(Person.id) == ProtectedCharacteristic.person_id)
        .where(
            ProtectedCharacteristic.characteristic == characteristic,
            col(Person.left_on).is_(None),
        )
        .group_by(ProtectedCharacteristic.value)
    ).all()
    return fw.suppress_small(dict(rows), threshold)


def completion_by_business_unit(
    session: Session, *, year: int, quarter: int
) -> dict[str, tuple[int, int]]:
    """Per business unit: (people rated for the quarter, active people)."""
    people = dict(
        session.exec(
            select(Person.business_unit, func.count())
            .where(col(Person.left_on).is_(None))
            .group_by(Person.business_unit)
        ).all()
    )
    rated = dict(
        session.exec(
            select(Person.business_unit, func.count())
            .join(IndicativeRating, col(IndicativeRating.person_id) == Person.id)
            .where(
                col(Person.left_on).is_(None),
                IndicativeRating.year == year,
                IndicativeRating.quarter == quarter,
            )
            .group_by(Person.business_unit)
        ).all()
    )
    return {unit: (rated.get(unit, 0), total) for unit, total in sorted(people.items())}


@dataclass(frozen=True)
class ClosingYear:
    """F19, F23: how far a business unit is with a year that has ended."""

    q4_rated: int
    written: int  # end-year write-ups the line manager has written
    moderated: int
    people: int


def closing_year_by_business_unit(session: Session, *, year: int) -> dict[str, ClosingYear]:
    """Per business unit, for the people still in post: Q4 rated, end-year write-up written
    and moderated rating recorded for ``year``, out of how many."""

    def counted(*where: Any, join: Any = None, on: Any = None) -> dict[str, int]:
        query = select(Person.business_unit, func.count()).where(col(Person.left_on).is_(None))
        if join is not None:
            query = query.join(join, on).where(*where)
        return dict(session.exec(query.group_by(Person.business_unit)).all())

    people = counted()
    q4 = counted(
        IndicativeRating.year == year,
        IndicativeRating.quarter == 4,
        join=IndicativeRating,
        on=col(IndicativeRating.person_id) == Person.id,
    )
    written = counted(
        WriteUp.year == year,
        WriteUp.stage == fw.Stage.END_YEAR,
        col(WriteUp.manager_assessed_at).is_not(None),
        join=WriteUp,
        on=col(WriteUp.person_id) == Person.id,
    )
    moderated = counted(
        ModeratedRating.year == year,
        join=ModeratedRating,
        on=col(ModeratedRating.person_id) == Person.id,
    )
    return {
        unit: ClosingYear(q4.get(unit, 0), written.get(unit, 0), moderated.get(unit, 0), total)
        for unit, total in sorted(people.items())
    }


# --- F21: the consistency check ---------------------------------------------------------------
NO_RATING = 0  # a person's code for "no rating": others are Rating.rank + 1


def rating_code(rating: fw.Rating | None) -> int:
    return NO_RATING if rating is None else rating.rank + 1


@dataclass(frozen=True)
class ConsistencyTable:
    """F21: one characteristic's counts per box, ready to publish: ``cells[row][box]`` is None
    where hidden; row and column totals are always shown. ``withheld`` explains an empty table."""

    characteristic: str
    stage: str  # "Mid-year (Q2 indicative)" or "End-year (final)"
    groups: list[str]
    cells: list[list[int | None]]
    row_totals: list[int]
    column_totals: list[int]
    withheld: str | None = None
    pooled: tuple[str, ...] = ()  # the groups in the "Other" row: never published (F21)

    @property
    def total(self) -> int:
        return sum(self.column_totals)


OTHER = "Other (smaller groups together)"  # F21: never names the groups it pools


def _merge_small_groups(
    counts: dict[str, list[int]], threshold: int
) -> tuple[dict[str, list[int]], tuple[str, ...]]:
    """Groups with fewer than ``threshold`` rated people are pooled into one "Other" row, adding
    the next smallest group until the pool itself reaches the threshold (its size would
    otherwise show a small group's headcount). The label names none of them: naming them would
    say they exist. Returns the rows and the pooled groups (for tests, never published)."""
    small = sorted(
        (k for k, v in counts.items() if sum(v) < threshold), key=lambda k: sum(counts[k])
    )
    if not small:
        return counts, ()
    pooled = set(small)
    rest = sorted((k for k in counts if k not in pooled), key=lambda k: (sum(counts[k]), k))
    while sum(sum(counts[k]) for k in pooled) < threshold and rest:
        pooled.add(rest.pop(0))
    merged = {k: v for k, v in counts.items() if k not in pooled}
    merged[OTHER] = [sum(counts[k][b] for k in pooled) for b in range(len(fw.Rating))]
    return merged, tuple(sorted(pooled))


def consistency_table(
    characteristic: str, stage: str, counts: dict[str, list[int]], threshold: int
) -> ConsistencyTable:
    boxes = len(fw.Rating)
    column_totals = [sum(v[b] for v in counts.values()) for b in range(boxes)]
    merged, pooled = _merge_small_groups(counts, threshold)
    groups = sorted(merged, key=lambda g: (g == OTHER, g))
    raw = [merged[g] for g in groups]
    hidden = fw.suppress_table(raw, threshold) if sum(column_totals) >= threshold else None
    if hidden is None:
        why = (
            f"fewer than two groups of {threshold} or more rated people"
            if len(raw) < 2 or sum(column_totals) < threshold
            else "any figure shown could let someone's group or rating be worked out"
        )
        return ConsistencyTable(
            characteristic, stage, [], [], [], column_totals, withheld=f"Not shown: {why}."
        )
    cells: list[list[int | None]] = [
        [None if (i, b) in hidden else count for b, count in enumerate(row)]
        for i, row in enumerate(raw)
    ]
    return ConsistencyTable(
        characteristic, stage, groups, cells, [sum(r) for r in raw], column_totals, pooled=pooled
    )


def published(table: ConsistencyTable) -> dict[str, object]:
    """F21: what the workbook publishes of a table (already suppressed), to keep as a record."""
    return {
        "stage": table.stage,
        "groups": table.groups,
        "cells": table.cells,
        "row_totals": table.row_totals,
        "column_totals": table.column_totals,
        "withheld": table.withheld,
    }


def from_published(characteristic: str, stage: str, record: dict[str, Any]) -> ConsistencyTable:
    """F21: a kept record back as a table, under ``stage`` (which says when it was kept)."""
    return ConsistencyTable(
        characteristic,
        stage,
        list(record["groups"]),
        [list(row) for row in record["cells"]],
        list(record["row_totals"]),
        list(record["column_totals"]),
        withheld=record.get("withheld"),
    )


def consistency_check(
    session: Session, codes: bytes | bytearray, *, threshold: int
) -> list[tuple[ConsistencyTable, ConsistencyTable]]:
    """F21 (guidance §83, §88): per protected characteristic, the mid-year and end-year
    distributions side by side, small cells hidden so that none can be worked out.

    ``codes[person_id]`` packs that person's two ratings for the year as
    ``mid * 5 + end`` (each a ``rating_code``); people outside the year are 0. Only counts
    leave this function.
    """
    boxes = len(fw.Rating)
    mid: dict[str, dict[str, list[int]]] = {}
    end: dict[str, dict[str, list[int]]] = {}
    rows = session.connection().execute(
        sa.select(
            ProtectedCharacteristic.__table__.c.person_id,  # type: ignore[attr-defined]
            ProtectedCharacteristic.__table__.c.characteristic,  # type: ignore[attr-defined]
            ProtectedCharacteristic.__table__.c.value,  # type: ignore[attr-defined]
        ).execution_options(yield_per=5000)
    )
    for person_id, characteristic, value in rows:
        code = codes[person_id] if person_id < len(codes) else 0
        m, e = divmod(code, 5)
        for stage, rating in ((mid, m), (end, e)):
            if rating:
                groups = stage.setdefault(characteristic, {})
                groups.setdefault(value, [0] * boxes)[rating - 1] += 1
    return [
        (
            consistency_table(name, "Mid-year (Q2 indicative)", mid.get(name, {}), threshold),
            consistency_table(name, "End-year (final rating)", end.get(name, {}), threshold),
        )
        for name in sorted(set(mid) | set(end))
    ]
