"""Aggregate reports. The only module that reads protected characteristics (F21), and it
returns counts with small cells suppressed, never a person."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from store import framework as fw
from store.models import IndicativeRating, Person, ProtectedCharacteristic


def characteristics_present(session: Session) -> list[str]:
    """The protected characteristics the roster carries (names only)."""
    return list(
        session.exec(
            select(ProtectedCharacteristic.characteristic)
            .distinct()
            .order_by(ProtectedCharacteristic.characteristic)
        ).all()
    )


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
