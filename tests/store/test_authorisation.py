"""Every service x every role: only the cells DESIGN.md allows succeed (the rest are denied
and write nothing). Roles are relative to one job holder, ``js``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from store import services as svc
from store.config import DepartmentConfig
from store.db import Database
from store.errors import PermissionDenied
from store.models import Via
from store.retention import erase_on_request
from store.subject_access import subject_access
from tests.conftest import Org, end_year_ready

# self, line manager, countersigning officer, the DG of js's group, another DG, HR, a peer
# with the same manager, and the operator at the CLI (no person).
ROLES = {
    "self": "js",
    "line_manager": "lm",
    "countersigning": "ps",
    "own_dg": "dg_a",
    "other_dg": "dg_b",
    "hr": "hr",
    "peer": "peer",
    "cli_operator": None,
}

Setup = Callable[[Session, Org, DepartmentConfig, datetime], dict[str, Any]]


def _nothing(*_: Any) -> dict[str, Any]:
    return {}


def _objective(session: Session, org: Org, config: DepartmentConfig, now: datetime) -> dict:
    out = svc.set_objective(
        session,
        config=config,
        actor=org.actor("js"),
        subject_id=org.js,
        heading="finance",
        what="w",
        how="h",
        now=now,
    )
    return {"objective_id": out.objective.id}


def _milestone(session: Session, org: Org, config: DepartmentConfig, now: datetime) -> dict:
    objective_id = _objective(session, org, config, now)["objective_id"]
    ms = svc.add_milestone(
        session,
        actor=org.actor("js"),
        objective_id=objective_id,
        title="m",
        due_on=date(2026, 9, 1),
        now=now,
    )
    return {"milestone_id": ms.id}


def _award(session: Session, org: Org, config: DepartmentConfig, now: datetime) -> dict:
    award = svc.nominate_award(
        session,
        config=config,
        actor=org.actor("lm"),
        nominee_id=org.js,
        amount_pence=100_000,
        reason="r",
        now=now,
    )
    return {"award_id": award.id}


def _decided(session: Session, org: Org, config: DepartmentConfig, now: datetime) -> dict:
    """F15: a nomination the DG has just approved (so it can be undone)."""
    award_id = _award(session, org, config, now)["award_id"]
    svc.decide_award(
        session, config=config, actor=org.actor("dg_a"), award_id=award_id, approve=True, now=now
    )
    return {"award_id": award_id}


def _awaiting_cst(session: Session, org: Org, config: DepartmentConfig, now: datetime) -> dict:
    """F15: an award a DG approved that waits for the Chief Secretary (threshold set to £1,000)."""
    low = config.model_copy(
        update={"awards": config.awards.model_copy(update={"cst_approval_from_pounds": 1_000})}
    )
    award_id = _award(session, org, low, now)["award_id"]
    svc.decide_award(
        session, config=low, actor=org.actor("dg_a"), award_id=award_id, approve=True, now=now
    )
    return {"award_id": award_id}


def _four_headings(session: Session, org: Org, config: DepartmentConfig, now: datetime) -> dict:
    """F11: objectives under all four headings, ready for the line manager to agree."""
    for heading in ("business_delivery", "finance", "people", "corporate"):
        svc.set_objective(
            session, config=config, actor=org.actor("js"), subject_id=org.js, heading=heading,
            what="w", how="h", now=now,
        )  # fmt: skip
    return {}


def _manager_write_up(session: Session, org: Org, config: DepartmentConfig, now: datetime) -> dict:
    svc.record_manager_assessment(
        session,
        config=config,
        actor=org.actor("lm"),
        subject_id=org.js,
        stage="mid_year",
        what="w",
        how="h",
        now=now,
    )
    return {}


def _agreed_by_job_holder(
    session: Session, org: Org, config: DepartmentConfig, now: datetime
) -> dict:
    """F23: written and agreed by the job holder, so it can be countersigned."""
    _manager_write_up(session, org, config, now)
    svc.agree_write_up(
        session, config=config, actor=org.actor("js"), subject_id=org.js, stage="mid_year", now=now
    )
    return {}


def _ready(session: Session, org: Org, config: DepartmentConfig, now: datetime) -> dict:
    signers = (org.actor("js"),)
    end_year_ready(
        session, config, now, manager=org.actor("lm"), subject_id=org.js, signers=signers
    )
    return {}


def _under_review(session: Session, org: Org, config: DepartmentConfig, now: datetime) -> dict:
    _ready(session, org, config, now)
    svc.open_rating_review(
        session, config=config, actor=org.actor("hr"), subject_id=org.js, reason="g", now=now
    )
    return {}


def _plan(session: Session, org: Org, config: DepartmentConfig, now: datetime) -> dict:
    for quarter in (1, 2):
        svc.record_indicative_rating(
            session,
            config=config,
            actor=org.actor("lm"),
            subject_id=org.js,
            quarter=quarter,
            rating="Partially Met",
            what_note="w",
            how_note="h",
            now=now,
        )
    return {}


def _respondent(session: Session, org: Org, config: DepartmentConfig, now: datetime) -> dict:
    row = svc.propose_respondent(
        session,
        config=config,
        actor=org.actor("js"),
        subject_id=org.js,
        respondent="A Peer",
        relationship="peer",
        now=now,
    )
    return {"respondent_id": row.id}


# service, setup, arguments (besides actor/now/ids from setup), roles allowed
def _left(session: Session, org: Org, config: DepartmentConfig, now: datetime) -> dict:
    """js has left (only a leaver's records may be erased on request)."""
    from store.models import Person

    person = session.get(Person, org.js)
    assert person is not None
    person.left_on = date(2026, 6, 30)
    return {}


MATRIX: list[tuple[Callable[..., Any], Setup, dict[str, Any], set[str]]] = [
    (
        svc.record_indicative_rating,
        _nothing,
        {"quarter": 1, "rating": "Achieving", "what_note": "w", "how_note": "h"},
        {"line_manager"},
    ),
    (svc.record_self_assessment, _nothing, {"stage": "mid_year", "text": "t"}, {"self"}),
    (
        svc.record_manager_assessment,
        _nothing,
        {"stage": "mid_year", "what": "w", "how": "h"},
        {"line_manager"},
    ),
    (
        svc.agree_write_up,
        _agreed_by_job_holder,
        {"stage": "mid_year"},
        {"self", "line_manager", "countersigning"},
    ),
    (svc.comment_on_write_up, _manager_write_up, {"stage": "mid_year", "comment": "c"}, {"self"}),
    (svc.record_minimum_standards, _nothing, {"results": {"talent": True}}, {"line_manager"}),
    (svc.record_finance_outcome, _nothing, {"met": True}, {"line_manager"}),
    (svc.add_evidence, _nothing, {"text": "t", "standard": "talent"}, {"self"}),
    (
        svc.set_objective,
        _nothing,
        {"heading": "people", "what": "w", "how": "h"},
        {"self", "line_manager"},
    ),
    (
        svc.revise_objective,
        _objective,
        {"what": "w2", "how": "h2", "reason": "r"},
        {"self", "line_manager"},
    ),
    (svc.close_objective, _objective, {"reason": "done"}, {"self", "line_manager"}),
    (svc.agree_objectives, _four_headings, {}, {"line_manager"}),
    (
        svc.add_milestone,
        _objective,
        {"title": "m", "due_on": date(2026, 10, 1)},
        {"self", "line_manager"},
    ),
    (svc.record_milestone_met, _milestone, {}, {"line_manager"}),
    (
        svc.nominate_award,
        _nothing,
        {"amount_pence": 100_000, "reason": "r"},
        {"line_manager", "countersigning"},
    ),
    (svc.decide_award, _award, {"approve": True}, {"own_dg"}),
    (svc.withdraw_award, _award, {}, {"line_manager"}),  # the nominator
    (svc.undo_award_decision, _decided, {}, {"own_dg"}),  # the decider, moments later
    (
        svc.record_cst_decision,
        _awaiting_cst,
        {"approved": True, "reference": "CST-1"},
        {"hr", "cli_operator"},
    ),
    (
        svc.record_moderated_rating,
        _ready,
        {"rating": "Achieving", "reason": "panel"},
        {"hr", "cli_operator"},
    ),
    (svc.open_rating_review, _ready, {"reason": "grievance"}, {"hr", "cli_operator"}),
    (
        svc.close_rating_review,
        _under_review,
        {"outcome": "Achieving", "reason": "upheld"},
        {"hr", "cli_operator"},
    ),
    (
        svc.record_department_move,
        _nothing,
        {"left_to": "HMT", "left_on": date(2027, 1, 5)},
        {"hr", "cli_operator"},
    ),
    (svc.update_development_plan, _plan, {"status": "closed"}, {"line_manager"}),
    (svc.propose_respondent, _nothing, {"respondent": "R", "relationship": "peer"}, {"self"}),
    (svc.agree_respondent, _respondent, {}, {"line_manager"}),
    (svc.remove_respondent, _respondent, {}, {"self", "line_manager"}),  # self: before agreed
    (subject_access, _nothing, {}, {"hr", "cli_operator"}),
    (erase_on_request, _left, {}, {"hr", "cli_operator"}),
]

# What each service does, in words, for the matrix in docs/data-protection.md.
LABELS = {
    "record_indicative_rating": "Record a quarter's indicative rating and notes",
    "record_self_assessment": "Write the self-assessment",
    "record_manager_assessment": "Write the manager's assessment (and end-year recommendation)",
    "agree_write_up": "Agree or countersign a write-up",
    "comment_on_write_up": "Comment on a write-up",
    "record_minimum_standards": "Assess the four minimum standards",
    "record_finance_outcome": "Record the finance objective's outcome",
    "add_evidence": "Add evidence",
    "set_objective": "Set an objective",
    "revise_objective": "Revise an objective",
    "close_objective": "Close an objective",
    "agree_objectives": "Agree the set of objectives",
    "add_milestone": "Add a milestone to an objective",
    "record_milestone_met": "Record a milestone as met",
    "nominate_award": "Nominate an in-year award",
    "decide_award": "Approve or reject an in-year award",
    "withdraw_award": "Withdraw a nomination",
    "undo_award_decision": "Undo an award decision (moments after)",
    "record_cst_decision": "Record the Chief Secretary's answer on an award",
    "record_moderated_rating": "Record a moderated rating",
    "open_rating_review": "Put a final rating under review",
    "close_rating_review": "Record a review's outcome",
    "record_department_move": "Record a move to or from another department",
    "update_development_plan": "Record a development plan",
    "propose_respondent": "Propose a 360 respondent",
    "agree_respondent": "Agree a 360 respondent",
    "remove_respondent": "Remove a 360 respondent",
    "subject_access": "Export everything held about a person",
    "erase_on_request": "Erase a leaver's records",
}
COLUMNS = {
    "self": "Job holder",
    "line_manager": "Line manager",
    "countersigning": "Countersigning officer",
    "own_dg": "Their DG",
    "other_dg": "Another DG",
    "hr": "HR",
    "peer": "A peer",
    "cli_operator": "Operator (command line)",
}
DOC = Path(__file__).resolve().parents[2] / "docs" / "data-protection.md"
BEGIN = "<!-- authorisation matrix: written by tests/store/test_authorisation.py -->"
END = "<!-- end of the authorisation matrix -->"


def authorisation_table() -> str:
    """The matrix above as the Markdown table the data-protection document carries."""
    lines = [
        "| Who may... | " + " | ".join(COLUMNS.values()) + " |",
        "| --- |" + " :-: |" * len(COLUMNS),
    ]
    for service, _setup, _args, allowed in MATRIX:
        marks = " | ".join("yes" if role in allowed else "" for role in COLUMNS)
        lines.append(f"| {LABELS[service.__name__]} | {marks} |")
    return "\n".join(lines)


def test_the_documented_matrix_is_the_one_the_services_enforce() -> None:
    """docs/data-protection.md shows exactly the matrix the test above proves cell by cell
    (PERFBOT_WRITE_DOCS=1 rewrites it after a deliberate change)."""
    import os

    text = DOC.read_text(encoding="utf-8")
    before, rest = text.split(BEGIN)
    _old, after = rest.split(END)
    wanted = f"{before}{BEGIN}\n{authorisation_table()}\n{END}{after}"
    if os.environ.get("PERFBOT_WRITE_DOCS") == "1":
        DOC.write_text(wanted, encoding="utf-8")
    assert text == wanted, "docs/data-protection.md's matrix differs from the services'"
    assert set(LABELS) == {service.__name__ for service, *_ in MATRIX}


def _kwargs(
    service: Callable[..., Any], org: Org, config: DepartmentConfig, extra: dict[str, Any]
) -> dict[str, Any]:
    import inspect

    params = inspect.signature(service).parameters
    kwargs = dict(extra)
    if "config" in params:
        kwargs["config"] = config
    if "subject_id" in params:
        kwargs["subject_id"] = org.js
    if "nominee_id" in params:
        kwargs["nominee_id"] = org.js
    return kwargs


@pytest.mark.parametrize(
    ("service", "setup", "args", "allowed"), MATRIX, ids=[m[0].__name__ for m in MATRIX]
)
def test_authorisation_matrix(
    db: Database,
    org: Org,
    config: DepartmentConfig,
    now: datetime,
    service: Callable[..., Any],
    setup: Setup,
    args: dict[str, Any],
    allowed: set[str],
) -> None:
    with db.write() as session:
        made = setup(session, org, config, now)
    outcome = {}
    for role, key in ROLES.items():
        actor = org.actor(key) if key else svc.Actor.system(Via.CLI)
        # Each cell in its own transaction, always rolled back, so cells can't affect each other.
        with db.read() as session:
            try:
                service(session, actor=actor, now=now, **_kwargs(service, org, config, args | made))
                outcome[role] = True
            except PermissionDenied:
                outcome[role] = False
            finally:
                session.rollback()
    assert {role for role, ok in outcome.items() if ok} == allowed
