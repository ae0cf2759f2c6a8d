"""In-year awards (F15): every nomination (Awards), and each person's year total against the
caps and the pot (Award totals)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from store import framework as fw
from store.models import AwardStatus
from store.workbook.base import Book, SheetSpec
from store.workbook.cells import DATETIME, GBP, PERCENT, TITLE, Column, Sheet
from store.workbook.population import tables

AWARD_COLUMNS = (
    Column("Award ID", 9),
    Column("Nominee", 24),
    Column("Staff ID", 10),
    Column("Business unit", 28),
    Column("Amount", 12, GBP),
    Column("Status", 11),
    Column("Reason", 40, wrap=True),
    Column("Linked objective", 40, wrap=True),
    Column("Linked milestone", 30),
    Column("Nominated by", 22),
    Column("Nominated", 16, DATETIME),
    Column("Decided by", 22),
    Column("Decided", 16, DATETIME),
    Column("Decision reason", 30, wrap=True),
    Column("Chief Secretary approval", 24),  # F15
)
TOTAL_COLUMNS = (
    Column("Staff ID", 10),
    Column("Name", 24),
    Column("Business unit", 28),
    Column("Approved awards", 10),
    Column("Approved total", 14, GBP),
    Column("Pending total", 14, GBP),
    Column("Awaiting Chief Secretary", 14, GBP),
    Column("Headroom under the year cap", 14, GBP),
    Column("Share of the year cap", 12, PERCENT),
    Column("Chief Secretary approval needed", 12),  # F15
)
APPROVED, PENDING = AwardStatus.APPROVED.value, AwardStatus.PENDING.value
AWAITING_CST = AwardStatus.AWAITING_CST.value


def _cst(needed: bool, status: str, reference: str | None) -> str:
    """F15: where the Chief Secretary's approval stands for one award."""
    if status == AWAITING_CST:
        return "Awaiting"
    if reference:
        verdict = "Approved" if status == APPROVED else "Refused"
        return f"{verdict}, reference {reference}"
    return "Needed" if needed else "Not needed"


def _nominations(book: Book) -> Any:
    t = tables()
    aw, p, ob, rev, ms = (
        t["Award"], t["Person"], t["Objective"], t["ObjectiveRevision"], t["ObjectiveMilestone"]
    )  # fmt: skip
    nominee, nominator, decider = p.alias("nominee"), p.alias("nominator"), p.alias("decider")
    latest = (
        sa.select(rev.c.objective_id, sa.func.max(rev.c.number).label("number"))
        .group_by(rev.c.objective_id)
        .subquery("latest")
    )
    revision = rev.alias("revision")
    return (
        book.session.connection()
        .execution_options(yield_per=2000)
        .execute(
            sa.select(
                aw.c.id,
                nominee.c.name,
                nominee.c.staff_id,
                nominee.c.business_unit,
                aw.c.amount_pence,
                aw.c.status,
                aw.c.reason,
                ob.c.heading,
                revision.c.what,
                ms.c.title,
                nominator.c.name.label("nominator"),
                aw.c.nominated_at,
                decider.c.name.label("decider"),
                aw.c.decided_at,
                aw.c.decision_reason,
                aw.c.cst_approval_needed,
                aw.c.cst_reference,
            )
            .select_from(aw)
            .join(nominee, nominee.c.id == aw.c.nominee_id)
            .join(nominator, nominator.c.id == aw.c.nominated_by_id)
            .outerjoin(decider, decider.c.id == aw.c.decided_by_id)
            .outerjoin(ob, ob.c.id == aw.c.objective_id)
            .outerjoin(latest, latest.c.objective_id == ob.c.id)
            .outerjoin(
                revision,
                sa.and_(revision.c.objective_id == ob.c.id, revision.c.number == latest.c.number),
            )
            .outerjoin(ms, ms.c.id == aw.c.milestone_id)
            .where(aw.c.year == book.year)
            .order_by(aw.c.nominated_at, aw.c.id)
        )
    )


def fill_awards(book: Book, ws: Any) -> None:
    sheet = Sheet(ws, AWARD_COLUMNS)
    sheet.start()
    for r in _nominations(book):
        objective = f"{fw.ObjectiveHeading(r.heading).label}: {r.what}" if r.heading else None
        sheet.add(
            [
                r.id,
                r.name,
                r.staff_id,
                r.business_unit,
                r.amount_pence / 100,
                AwardStatus(r.status).label,
                r.reason,
                objective,
                r.title,
                r.nominator,
                book.local(r.nominated_at),
                r.decider,
                book.local(r.decided_at),
                r.decision_reason,
                _cst(r.cst_approval_needed, r.status, r.cst_reference),
            ]
        )
        # F22: payments made - an award awaiting the Chief Secretary is not paid yet.
        book.in_year_payments += r.status == APPROVED
    sheet.finish()


def fill_totals(book: Book, ws: Any) -> None:
    t = tables()
    aw, p = t["Award"], t["Person"]
    status = aw.c.status
    per_person = (
        book.session.connection()
        .execute(
            sa.select(
                p.c.staff_id,
                p.c.name,
                p.c.business_unit,
                sa.func.sum(sa.case((status == APPROVED, 1), else_=0)),
                sa.func.sum(sa.case((status == APPROVED, aw.c.amount_pence), else_=0)),
                sa.func.sum(sa.case((status == PENDING, aw.c.amount_pence), else_=0)),
                sa.func.sum(sa.case((status == AWAITING_CST, aw.c.amount_pence), else_=0)),
            )
            .join(p, p.c.id == aw.c.nominee_id)
            .where(aw.c.year == book.year)
            .group_by(p.c.id, p.c.staff_id, p.c.name, p.c.business_unit)
            .order_by(p.c.business_unit, p.c.name)
        )
        .all()
    )  # one row per nominee: small
    approved_count = sum(r[3] for r in per_person)
    approved_pence = sum(r[4] for r in per_person)
    pending_pence = sum(r[5] for r in per_person)
    awaiting_pence = sum(r[6] for r in per_person)
    limits = book.config.award_limits
    pay_bill = book.config.awards.pay_bill_pounds
    pot_pence = round(pay_bill * 100 * limits.pot_percent / 100) if pay_bill else None
    sheet = Sheet(ws, TOTAL_COLUMNS)
    sheet.start(
        [
            [sheet.cell(f"In-year awards, {book.label}", font=TITLE)],
            [
                f"Pot ({limits.pot_percent:g}% of the SCS pay bill)",
                sheet.cell(pot_pence / 100, fmt=GBP)
                if pot_pence
                else "Set awards.pay_bill_pounds in the department config to see the pot",
            ],
            [
                f"Approved in-year awards ({approved_count})",
                sheet.cell(approved_pence / 100, fmt=GBP),
            ],
            [
                "Share of the pot used",
                sheet.cell(approved_pence / pot_pence, fmt=PERCENT) if pot_pence else None,
            ],
            ["Pending nominations", sheet.cell(pending_pence / 100, fmt=GBP)],
            [
                "Approved by a DG, awaiting the Chief Secretary (not yet paid)",
                sheet.cell(awaiting_pence / 100, fmt=GBP),
            ],
            [],
        ]
    )
    cap = limits.per_year_pence
    for staff_id, name, unit, count, approved, pending, awaiting in per_person:
        committed = (
            approved + awaiting
        )  # F15: an award awaiting the Chief Secretary holds its place
        sheet.add(
            [
                staff_id,
                name,
                unit,
                count,
                approved / 100,
                pending / 100,
                awaiting / 100,
                max(cap - committed - pending, 0) / 100,
                committed / cap,
                "Yes" if fw.needs_cst_approval(committed, limits) else "No",
            ]
        )
    sheet.finish()


AWARDS = SheetSpec(
    "Awards",
    "Awards and Award totals: every in-year award nomination, and each person's year total "
    "against the caps.",
    fill=fill_awards,
)
TOTALS = SheetSpec("Award totals", fill=fill_totals)
