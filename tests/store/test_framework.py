"""The framework's rules as pure functions: each test names the rule it checks."""

from __future__ import annotations

from datetime import date
from functools import partial

import pytest

from store import framework as fw
from store.config import DepartmentConfig, Milestone, milestone_dates, order_warnings
from store.errors import InvalidInput, RuleViolation
from store.framework import MinimumStandard, ModeratedBy, Rating

ALL_MET = dict.fromkeys(MinimumStandard, True)


def test_f1_year_runs_april_to_march() -> None:
    assert fw.year_start(2026) == date(2026, 4, 1)
    assert fw.year_end(2026) == date(2027, 3, 31)
    assert fw.performance_year_of(date(2027, 3, 31)) == 2026
    assert fw.performance_year_of(date(2027, 4, 1)) == 2027
    assert fw.year_label(2026) == "2026-27"


def test_f1_start_month_is_configurable() -> None:
    assert fw.year_start(2026, 1) == date(2026, 1, 1)
    assert fw.year_end(2026, 1) == date(2026, 12, 31)
    assert fw.performance_year_of(date(2026, 12, 31), 1) == 2026


def test_f2_quarters_and_stages() -> None:
    assert [fw.quarter_of(date(2026, m, 1)) for m in (4, 7, 10, 1)] == [1, 2, 3, 4]
    assert fw.quarter_of(date(2027, 3, 31)) == 4
    assert fw.STAGE_QUARTER == {fw.Stage.MID_YEAR: 2, fw.Stage.END_YEAR: 4}
    dates = milestone_dates(DepartmentConfig(), 2026)
    assert dates[Milestone.START_YEAR_MEETING] == date(2026, 4, 30)
    assert dates[Milestone.Q4_CONVERSATION] == date(2027, 3, 15)  # March: end-year (§65)
    assert dates[Milestone.OVERALL_MODERATION] == date(2027, 4, 25)  # after the year ends
    assert list(dates.values()) == sorted(dates.values())


def test_f3_warns_when_moderation_is_after_next_start_meeting() -> None:
    assert order_warnings(DepartmentConfig(), 2026) == []
    late = DepartmentConfig.model_validate({"calendar": {"overall_moderation": "05-20"}})
    warnings = order_warnings(late, 2026)
    assert len(warnings) == 1 and warnings[0].startswith("Overall moderation for")


def test_f4_four_boxes_best_first_and_both_spellings() -> None:
    assert [r.label for r in sorted(Rating, key=lambda r: r.rank)] == [
        "Exceeding",
        "High Performing",
        "Achieving",
        "Partially Met",
    ]
    assert Rating.parse("Exceeded") is Rating.EXCEEDING  # outcome form spelling
    assert Rating.parse("achieved") is Rating.ACHIEVING
    assert Rating.parse("HIGH_PERFORMING") is Rating.HIGH_PERFORMING
    assert Rating.parse(" partially-met ") is Rating.PARTIALLY_MET
    with pytest.raises(InvalidInput) as err:
        Rating.parse("Outstanding")
    assert err.value.field == "rating" and "Exceeding" in err.value.message


def test_f5_quarter_mapping_for_indicative_ratings() -> None:
    # Indicative ratings are per quarter of the performance year; January is Q4.
    assert fw.quarter_of(date(2027, 1, 10)) == 4
    assert fw.quarter_of(date(2026, 6, 30)) == 1


def test_f6_what_and_how_both_required() -> None:
    fw.check_what_and_how("Delivered X", "Led well")
    with pytest.raises(RuleViolation) as err:
        fw.check_what_and_how("Delivered X", "  ")
    assert err.value.rule == "F6" and err.value.field == "how"
    with pytest.raises(InvalidInput):
        fw.check_what_and_how("x" * (fw.NOTE_MAX_CHARS + 1), "ok")


def test_f7_moderated_rating_wins_but_recommendation_is_kept() -> None:
    final = fw.final_rating
    assert final(Rating.HIGH_PERFORMING, ALL_MET, True, agreed=True).rating is (
        Rating.HIGH_PERFORMING
    )
    moderated = final(
        Rating.HIGH_PERFORMING, ALL_MET, True, agreed=True, moderated=Rating.ACHIEVING
    )
    assert moderated.rating is Rating.ACHIEVING


def test_f7_no_final_rating_while_a_gate_is_unassessed_or_the_write_up_unagreed() -> None:
    """F7 (corrected): "There is no final rating (and so no bonus eligibility and no Cabinet
    Office count) while a minimum standard or the finance outcome is unassessed." Annex D:
    "Once a performance rating has been provisionally agreed by the job holder and the line
    manager, it is then taken to moderation"."""
    final = fw.final_rating
    three = dict.fromkeys(list(MinimumStandard)[:3], True)
    cases = {
        "unagreed": final(Rating.EXCEEDING, ALL_MET, True, agreed=False),
        "standard unassessed": final(Rating.EXCEEDING, three, True, agreed=True),
        "finance unassessed": final(Rating.EXCEEDING, ALL_MET, None, agreed=True),
        "no recommendation": final(None, ALL_MET, True, agreed=True, moderated=Rating.EXCEEDING),
    }
    assert {k: v.rating for k, v in cases.items()} == dict.fromkeys(cases)
    assert cases["unagreed"].missing == ("end-year write-up not yet agreed",)
    assert cases["standard unassessed"].missing == ("1 of the 4 minimum standards not assessed",)
    assert cases["finance unassessed"].missing == ("finance objective not assessed",)
    assert cases["no recommendation"].missing == ("no end-year recommendation",)


def test_f8_f9_gates_bind_the_moderated_rating() -> None:
    """F8, outcome form: "Those who receive a 'not met' marking for the minimum standards must
    be automatically deemed to be 'partially met' in their overall performance, regardless of
    how they perform against their objectives." F9, Annex D 4a: "if an individual does not
    meet their finance/efficiency objective then they cannot be ranked higher than in the
    'achieving' performance group" - a condition on the panels' distributions."""
    not_met = ALL_MET | {MinimumStandard.CULTURE: False}
    lifted = fw.final_rating(
        Rating.ACHIEVING, not_met, True, agreed=True, moderated=Rating.EXCEEDING
    )
    assert lifted.rating is Rating.PARTIALLY_MET and lifted.ceiling is Rating.PARTIALLY_MET
    capped = fw.final_rating(
        Rating.ACHIEVING, ALL_MET, False, agreed=True, moderated=Rating.HIGH_PERFORMING
    )
    assert capped.rating is Rating.ACHIEVING
    # Down is always allowed; the service refuses a panel's rating above the gates.
    down = fw.final_rating(
        Rating.EXCEEDING, ALL_MET, False, agreed=True, moderated=Rating.PARTIALLY_MET
    )
    assert down.rating is Rating.PARTIALLY_MET
    with pytest.raises(RuleViolation) as err:
        fw.check_moderated_rating("Sam", Rating.HIGH_PERFORMING, capped)
    assert err.value.rule == "F9" and "no higher than Achieving" in err.value.message
    with pytest.raises(RuleViolation) as err:
        fw.check_moderated_rating("Sam", Rating.ACHIEVING, lifted)
    assert err.value.rule == "F8" and "minimum standard was not met" in err.value.message
    fw.check_moderated_rating("Sam", Rating.ACHIEVING, capped)  # at the ceiling: fine


def test_f8_any_minimum_standard_not_met_means_partially_met() -> None:
    standards = ALL_MET | {MinimumStandard.TALENT: False}
    gated = fw.apply_gates(Rating.EXCEEDING, standards, finance_met=True)
    assert gated.rating is Rating.PARTIALLY_MET and gated.changed
    assert gated.reasons[0].startswith("Minimum standard not met")
    assert fw.apply_gates(Rating.EXCEEDING, ALL_MET, True).rating is Rating.EXCEEDING
    # Not yet assessed is not "not met".
    assert fw.apply_gates(Rating.EXCEEDING, {}, None).rating is Rating.EXCEEDING


def test_f9_missed_finance_objective_caps_at_achieving() -> None:
    for recommended in (Rating.EXCEEDING, Rating.HIGH_PERFORMING):
        gated = fw.apply_gates(recommended, ALL_MET, finance_met=False)
        assert gated.rating is Rating.ACHIEVING and gated.reasons[0].startswith(
            "Finance objective not met"
        )
    # Already at or below Achieving: unchanged.
    assert not fw.apply_gates(Rating.ACHIEVING, ALL_MET, False).changed
    assert fw.apply_gates(Rating.PARTIALLY_MET, ALL_MET, False).rating is Rating.PARTIALLY_MET


def test_f10_consecutive_quarters_run_across_the_year_boundary() -> None:
    """F10 (corrected), guidance §57: Partially Met in two consecutive quarters calls for a
    development plan; "Consecutive quarters run across the year boundary: Q4 then the next
    year's Q1 counts"."""
    pm, ach = Rating.PARTIALLY_MET, Rating.ACHIEVING
    step, steps = fw.underperformance_step, fw.UnderperformanceStep
    assert step({1: pm}, last_year={4: pm}) is steps.DEVELOPMENT_PLAN
    assert fw.consecutive_partially_met({1: pm}, {4: pm}) == 1
    assert step({1: pm, 2: pm}, last_year={4: pm}) is steps.FORMAL_MEASURES_EXPECTED
    # The plan was called for last year (Q3, Q4); still Partially Met in Q1: formal measures.
    assert step({1: pm}, last_year={3: pm, 4: pm}) is steps.FORMAL_MEASURES_EXPECTED
    assert fw.consecutive_partially_met({1: pm}, {3: pm, 4: pm}) == 0
    # Not consecutive across the boundary: Q3 last year, then Q1.
    assert step({1: pm}, last_year={3: pm, 4: ach}) is steps.SUPPORT
    # Last year's run does not follow someone into a year they start well.
    assert step({1: ach}, last_year={3: pm, 4: pm}) is steps.NONE


def test_f10_underperformance_steps() -> None:
    pm, ach = Rating.PARTIALLY_MET, Rating.ACHIEVING
    step = fw.underperformance_step
    assert step({1: ach}) is fw.UnderperformanceStep.NONE
    assert step({1: pm}) is fw.UnderperformanceStep.SUPPORT  # one PM: support (§56)
    assert step({1: pm, 2: ach, 3: pm}) is fw.UnderperformanceStep.SUPPORT  # not consecutive
    assert fw.consecutive_partially_met({1: ach, 2: pm, 3: pm}) == 3
    assert step({2: pm, 3: pm}) is fw.UnderperformanceStep.DEVELOPMENT_PLAN  # §57
    assert step({2: pm, 3: pm, 4: pm}) is fw.UnderperformanceStep.FORMAL_MEASURES_EXPECTED
    assert step({2: pm, 3: pm, 4: ach}, end_year=pm) is (
        fw.UnderperformanceStep.FORMAL_MEASURES_EXPECTED
    )


def test_f11_objective_headings() -> None:
    assert fw.ObjectiveHeading.parse("Finance/efficiency") is fw.ObjectiveHeading.FINANCE
    assert fw.ObjectiveHeading.parse("corporate") is fw.ObjectiveHeading.CORPORATE
    assert "diversity" in fw.ObjectiveHeading.PEOPLE.label
    with pytest.raises(InvalidInput):
        fw.ObjectiveHeading.parse("Hobbies")


def test_f12_objective_counts() -> None:
    """F12: "3 to 6 recommended" (outcome form); "where possible" no more than 8 live at once
    (guidance Annex A): a ninth needs the line manager's agreement, with a reason."""
    assert fw.objective_count_warning(1) == "1 live objective; 3 to 6 are recommended."
    assert fw.objective_count_warning(3) is None and fw.objective_count_warning(6) is None
    assert fw.objective_count_warning(7) == "7 live objectives; 3 to 6 are recommended."
    fw.check_can_add_objective(7, by_line_manager=False, over_limit_reason=None)  # the eighth
    with pytest.raises(RuleViolation) as err:  # a ninth, by the job holder
        fw.check_can_add_objective(8, by_line_manager=False, over_limit_reason="busy year")
    assert err.value.rule == "F12" and "ask your line manager" in err.value.message
    with pytest.raises(RuleViolation) as err:  # by the line manager, with no reason
        fw.check_can_add_objective(8, by_line_manager=True, over_limit_reason=" ")
    assert err.value.field == "over_limit_reason"
    fw.check_can_add_objective(8, by_line_manager=True, over_limit_reason="Two programmes")


def test_f11_objectives_are_agreed_only_when_all_four_headings_are_covered() -> None:
    """F11, guidance §23: objectives "must" be set under each of business delivery, finance/
    efficiency, people/capability and corporate contribution - not any three objectives."""
    h = fw.ObjectiveHeading
    three = [h.BUSINESS_DELIVERY, h.BUSINESS_DELIVERY, h.DEVELOPMENT]
    assert fw.missing_headings(three) == (h.FINANCE, h.PEOPLE, h.CORPORATE)
    with pytest.raises(RuleViolation) as err:
        fw.check_objectives_agreeable("Ada", [*three, h.PEOPLE])
    assert err.value.rule == "F11" and err.value.message.endswith(
        "none is under Finance/efficiency and Corporate contribution."
    )
    fw.check_objectives_agreeable("Ada", ["business_delivery", "finance", "people", "corporate"])


def test_f14_evidence_limits() -> None:
    assert fw.check_evidence(" Led the review ", " https://x.example/a ") == (
        "Led the review",
        "https://x.example/a",
    )
    for text, link, field in (
        ("", None, "text"),
        ("x" * (fw.EVIDENCE_MAX_CHARS + 1), None, "text"),
        ("ok", "javascript:alert(1)", "link"),
    ):
        with pytest.raises(InvalidInput) as err:
            fw.check_evidence(text, link)
        assert err.value.field == field


LIMITS = fw.AwardLimits()


def test_f15_award_caps_and_eligibility() -> None:
    fw.check_award(
        amount_pence=500_000,
        approved_total_pence=1_250_000,
        on_poor_performance_measures=False,
        limits=LIMITS,
    )
    cases = [
        ({"amount_pence": 500_001}, "F15"),  # over £5,000 for one award
        ({"amount_pence": 100_000, "approved_total_pence": 1_700_000}, "F15"),  # over £17,500
        ({"on_poor_performance_measures": True}, "F15"),  # §49
    ]
    for override, rule in cases:
        args = {
            "amount_pence": 100_000,
            "approved_total_pence": 0,
            "on_poor_performance_measures": False,
        } | override
        with pytest.raises(RuleViolation) as err:
            fw.check_award(limits=LIMITS, **args)
        assert err.value.rule == rule
    with pytest.raises(InvalidInput):
        fw.check_award(
            amount_pence=0,
            approved_total_pence=0,
            on_poor_performance_measures=False,
            limits=LIMITS,
        )
    assert fw.needs_cst_approval(1_750_000, LIMITS) and not fw.needs_cst_approval(1_749_999, LIMITS)


def test_f15_money_is_pence() -> None:
    assert fw.parse_money_pence("£1,250.50") == 125_050
    assert fw.parse_money_pence("2500") == 250_000
    assert fw.parse_money_pence(2500) == 250_000
    assert fw.format_pence(125_050) == "£1,250.50" and fw.format_pence(500_000) == "£5,000"
    for bad in ("12.345", "abc", "", "1e3", True):
        with pytest.raises(InvalidInput):
            fw.parse_money_pence(bad)


def test_f16_end_year_bonus_only_top_two_boxes_exceeding_first() -> None:
    assert [fw.end_year_bonus_eligible(r) for r in Rating] == [True, True, False, False]
    assert fw.bonus_priority(Rating.EXCEEDING) == 1
    assert fw.bonus_priority(Rating.HIGH_PERFORMING) == 2
    assert fw.bonus_priority(Rating.ACHIEVING) is None and not fw.end_year_bonus_eligible(None)


def test_f18_moderation_placement() -> None:
    place = fw.moderation_placement
    here = {
        "start_year": 2026,
        "civil_service_start": date(2010, 1, 1),
        "joined_department": date(2015, 1, 1),
    }
    assert place(**here) is ModeratedBy.THIS_DEPARTMENT
    # Joined the Civil Service after 31 December: not eligible (§67).
    assert (
        place(
            start_year=2026,
            civil_service_start=date(2027, 1, 1),
            joined_department=date(2027, 1, 1),
        )
        is ModeratedBy.NOT_ELIGIBLE
    )
    assert (
        place(
            start_year=2026,
            civil_service_start=date(2026, 12, 31),
            joined_department=date(2026, 12, 31),
        )
        is ModeratedBy.THIS_DEPARTMENT
    )
    # Moved in on or after 1 January: the old department moderates (§68, FAQ).
    assert (
        place(
            start_year=2026,
            civil_service_start=date(2010, 1, 1),
            joined_department=date(2027, 1, 1),
        )
        is ModeratedBy.OTHER_DEPARTMENT
    )
    # Moved out on or before 31 December: the new department moderates.
    assert (
        place(**here, left_department=date(2026, 12, 31), left_to_other_department=True)
        is ModeratedBy.OTHER_DEPARTMENT
    )
    # Left on or after 1 January: still moderated here.
    assert (
        place(**here, left_department=date(2027, 1, 1), left_to_other_department=True)
        is ModeratedBy.THIS_DEPARTMENT
    )
    # Left the Civil Service by 31 December: not moderated, and never called a late joiner.
    assert place(**here, left_department=date(2026, 10, 1)) is ModeratedBy.LEFT


def test_f19_permanent_secretaries_are_out_of_scope() -> None:
    """F19, guidance §6: Permanent Secretaries are covered by separate guidance - no
    moderation pack, not in the distribution or the Cabinet Office return."""
    here = {"start_year": 2026, "civil_service_start": date(2010, 1, 1),
            "joined_department": date(2015, 1, 1)}  # fmt: skip
    assert fw.moderation_placement(**here, permanent_secretary=True) is ModeratedBy.OUT_OF_SCOPE


def test_f19_f20_distribution_counts_each_box() -> None:
    counts = fw.distribution([Rating.ACHIEVING, Rating.ACHIEVING, None, Rating.PARTIALLY_MET])
    assert counts == {
        Rating.EXCEEDING: 0,
        Rating.HIGH_PERFORMING: 0,
        Rating.ACHIEVING: 2,
        Rating.PARTIALLY_MET: 1,
    }
    assert fw.EXPECTED_PARTIALLY_MET_SHARE == 0.05  # F20: roughly 5% (§78)


def test_f21_small_cells_suppressed_with_secondary() -> None:
    assert fw.suppress_small({"a": 10, "b": 7}, 5) == {"a": 10, "b": 7}
    # One small cell alone could be recovered from the total, so the next smallest goes too.
    assert fw.suppress_small({"a": 10, "b": 7, "c": 2}, 5) == {"a": 10, "b": None, "c": None}
    assert fw.suppress_small({"a": 10, "b": 3, "c": 2}, 5) == {"a": 10, "b": None, "c": None}


def test_f23_bias_tick_required_at_end_year() -> None:
    fw.check_bias_acknowledged(fw.Stage.MID_YEAR, False)
    with pytest.raises(RuleViolation) as err:
        fw.check_bias_acknowledged(fw.Stage.END_YEAR, False)
    assert err.value.rule == "F23" and err.value.field == "bias_acknowledged"


def test_f25_temporary_promotion_assessed_at_the_grade_held_for_most_of_the_year() -> None:
    """F25, guidance FAQ: "our recommended approach would be that the individual is assessed
    at the grade they have spent the majority of their performance year at. A consistent
    approach must be taken within the department." (2026-27 runs 1 April to 31 March.)"""
    scs = partial(fw.assessed_as_scs, start_year=2026)
    assert scs(promoted_from=None)  # not on temporary promotion
    assert scs(promoted_from=date(2025, 1, 1))  # promoted before the year began
    assert scs(promoted_from=date(2026, 9, 30))  # 183 of 365 days
    assert not scs(promoted_from=date(2026, 10, 1))  # 182 of 365 days: not the majority
    # Leaving shortens the year they are assessed on: 1 Jul to 31 Aug of 1 Apr to 31 Aug.
    assert not scs(promoted_from=date(2026, 7, 1), left_on=date(2026, 8, 31))
    assert scs(promoted_from=date(2026, 6, 1), left_on=date(2026, 8, 31))
    # The department's one other approach: everyone on temporary promotion assessed as SCS.
    always = fw.TemporaryPromotionApproach.ALWAYS_SCS
    assert scs(promoted_from=date(2027, 3, 1), approach=always)
    placed = partial(
        fw.moderation_placement,
        start_year=2026,
        civil_service_start=date(2010, 1, 1),
        joined_department=date(2020, 1, 1),
    )
    assert placed(assessed_as_scs=False) is fw.ModeratedBy.SUBSTANTIVE_GRADE
    assert placed(assessed_as_scs=True) is fw.ModeratedBy.THIS_DEPARTMENT


def test_f22_cabinet_office_return_counts_and_shares() -> None:
    ratings = [
        Rating.EXCEEDING,
        Rating.HIGH_PERFORMING,
        Rating.ACHIEVING,
        Rating.ACHIEVING,
        Rating.PARTIALLY_MET,
        None,
    ]
    figures = fw.cabinet_office_return(
        ratings, in_year_payments=7, end_year_payments=2, on_poor_performance_measures=1
    )
    assert (figures.rated, figures.top_two, figures.partially_met) == (5, 2, 1)
    assert figures.top_two_share == pytest.approx(0.4)
    assert figures.partially_met_share == pytest.approx(0.2)
    assert (
        fw.cabinet_office_return(
            [], in_year_payments=0, end_year_payments=0, on_poor_performance_measures=0
        ).top_two_share
        == 0.0
    )
