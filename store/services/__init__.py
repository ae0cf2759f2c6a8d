"""Services: the only way anything is written, one module per framework area.

Each one authorises the actor, checks the framework's rules, writes and audits inside the
caller's write transaction (``Database.write()``) through ``base.audited``: if anything
raises, nothing is kept. This package re-exports every public name, so callers write
``from store.services import record_indicative_rating``.
"""

from store.queries import live_objective_count
from store.services.awards import (
    approved_award_total,
    award_decider,
    award_headroom,
    committed_award_total,
    decide_award,
    nominate_award,
    pending_award_total,
    record_cst_decision,
    undo_award_decision,
    withdraw_award,
)
from store.services.base import (
    Actor,
    audit,
    audited,
    ensure_year,
    get_person,
    is_countersigning,
    is_dg_for,
    is_hr,
    is_line_manager,
    load_people,
    local_date,
    pk,
    require_hr,
    snapshot,
)
from store.services.evidence import add_evidence
from store.services.feedback import agree_respondent, propose_respondent
from store.services.identities import (
    claim_idempotency_key,
    claimed_result,
    link_by_email,
    link_chat_identity,
    linked_person,
)
from store.services.moderation import (
    close_rating_review,
    moderation_placement,
    open_rating_review,
    record_department_move,
    record_moderated_rating,
    reviewed_outcome,
)
from store.services.nudges import snooze
from store.services.objectives import (
    ObjectiveOutcome,
    add_milestone,
    agree_objectives,
    close_objective,
    objectives_agreement,
    record_milestone_met,
    revise_objective,
    set_objective,
)
from store.services.ratings import (
    RatingOutcome,
    quarter_ratings,
    record_indicative_rating,
    update_development_plan,
)
from store.services.write_ups import (
    agree_write_up,
    comment_on_write_up,
    end_year_gates,
    gated_recommendation,
    record_finance_outcome,
    record_manager_assessment,
    record_minimum_standards,
    record_self_assessment,
    year_end_outcome,
)

__all__ = [
    "Actor",
    "ObjectiveOutcome",
    "RatingOutcome",
    "add_evidence",
    "add_milestone",
    "agree_objectives",
    "objectives_agreement",
    "agree_respondent",
    "agree_write_up",
    "comment_on_write_up",
    "end_year_gates",
    "approved_award_total",
    "award_decider",
    "audit",
    "audited",
    "award_headroom",
    "committed_award_total",
    "claim_idempotency_key",
    "claimed_result",
    "close_objective",
    "decide_award",
    "ensure_year",
    "gated_recommendation",
    "year_end_outcome",
    "get_person",
    "is_countersigning",
    "is_dg_for",
    "is_hr",
    "is_line_manager",
    "link_by_email",
    "link_chat_identity",
    "linked_person",
    "live_objective_count",
    "load_people",
    "local_date",
    "moderation_placement",
    "nominate_award",
    "pending_award_total",
    "record_cst_decision",
    "pk",
    "propose_respondent",
    "quarter_ratings",
    "record_department_move",
    "record_finance_outcome",
    "record_indicative_rating",
    "record_manager_assessment",
    "record_milestone_met",
    "record_minimum_standards",
    "record_moderated_rating",
    "open_rating_review",
    "close_rating_review",
    "reviewed_outcome",
    "record_self_assessment",
    "require_hr",
    "revise_objective",
    "set_objective",
    "snapshot",
    "snooze",
    "update_development_plan",
    "undo_award_decision",
    "withdraw_award",
]
