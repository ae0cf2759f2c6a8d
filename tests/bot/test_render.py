"""Every form and message perfbot can show, rendered as Block Kit within Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.flows import (
    agreement,
    award,
    evidence,
    feedback,
    home,
    objective_record,
    objectives,
    plan,
    rate,
    settings,
    status,
    write_up,
)
from bot.flows.help import help_message
from bot.flows.model import Context, Form, Message, Note
from bot.slack.render import home_view, message_blocks, modal
from scheduler.nudges import Kind, NudgeContext, compose
from scheduler.nudges.base import EDITS, NEWS
from store import services as svc
from store.db import Database
from store.framework import MinimumStandard, Stage
from store.models import Via
from tests.conftest import NOW, make_org

END_YEAR = datetime(2027, 3, 22, 10, tzinfo=UTC)


def _check_view(view: dict) -> None:
    assert len(view["blocks"]) <= 100
    assert len(view["title"]["text"]) <= 24 and len(view.get("submit", {}).get("text", "")) <= 24
    assert len(view["private_metadata"]) <= 3000
    for block in view["blocks"]:
        for option in block.get("element", {}).get("options", []):
            assert len(option["text"]["text"]) <= 75
    assert len(json.dumps(view)) < 250_000


def _check_message(blocks: list[dict]) -> None:
    assert 0 < len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
            assert not block["text"]["text"].endswith("…")  # never cut


def every_form_and_page(
    db: Database, tmp_path: Path, config, when: datetime, via: Via = Via.SLACK
) -> list[Form | Message]:
    """Every form and page perfbot can show, for a manager, a member, a DG and HR."""
    org = make_org(db, tmp_path)
    built: list[Form | Message] = [help_message()]
    long_text = ("Led the <spending> review & the bill. " * 80)[:3000]  # the most a field holds
    with db.write() as session:  # F23: an end-year write-up at full length, to be agreed
        svc.record_self_assessment(session, config=config, actor=org.actor("js"),
                                   subject_id=org.js, stage="end_year", text=long_text,
                                   now=END_YEAR, year=2026)  # fmt: skip
        svc.record_manager_assessment(
            session, config=config, actor=org.actor("lm"), subject_id=org.js, stage="end_year",
            what=long_text, how=long_text, recommended_rating="High Performing",
            feedback_360=None, bias_acknowledged=True, now=END_YEAR, year=2026,
        )  # fmt: skip
        svc.comment_on_write_up(
            session, config=config, actor=org.actor("js"), subject_id=org.js, stage="end_year",
            comment=long_text, now=END_YEAR, year=2026,
        )  # fmt: skip
    with db.write() as session:  # F13, F17: an objective at full length, revised, milestones
        objective = svc.set_objective(
            session, config=config, actor=org.actor("js"), subject_id=org.js,
            heading="business_delivery", what=long_text, how=long_text, measure=long_text,
            now=END_YEAR, year=2026,
        ).objective.id  # fmt: skip
        svc.revise_objective(session, actor=org.actor("lm"), objective_id=objective,
                             what=long_text, how=long_text, reason=long_text[:2000],
                             now=END_YEAR)  # fmt: skip
        met, _unmet, _later = (
            svc.add_milestone(session, actor=org.actor("js"), objective_id=objective,
                              title=("Milestone " + long_text)[:300], due_on=END_YEAR.date(),
                              now=END_YEAR).id
            for _ in range(3)
        )  # fmt: skip
        svc.record_milestone_met(session, config=config, actor=org.actor("lm"), milestone_id=met,
                                 now=END_YEAR)  # fmt: skip
    with db.read() as session:
        for key in ("js", "lm"):
            ctx = Context(org.ids[key], via, when)
            built += objective_record.overview(session, ctx, config, org.js)
            built += objective_record.milestones(session, ctx, config, str(objective))
            built += [
                objective_record.open_revise(session, ctx, config, str(objective)),
                objective_record.open_close(session, ctx, config, str(objective)),
                objective_record.open_milestone(session, ctx, config, str(objective)),
            ]
        built.append(award.open_for_milestone(session, Context(org.lm, via, when), config,
                                              str(met)))  # fmt: skip
    with db.write() as session:  # F24: a respondent at full length, proposed and agreed
        row = svc.propose_respondent(session, config=config, actor=org.actor("js"),
                                     subject_id=org.js, respondent=long_text[:200],
                                     relationship="Stakeholder", now=when)  # fmt: skip
        svc.agree_respondent(session, actor=org.actor("lm"), respondent_id=row.id, now=when)
    with db.read() as session:
        for key in ("js", "lm"):
            ctx = Context(org.ids[key], via, when)
            built += feedback.overview(session, ctx, config, org.js)
        built.append(feedback.open_form(session, Context(org.js, via, when), config))
    with db.write() as session:  # F14: evidence at full length, from a message
        item = svc.add_evidence(session, config=config, actor=org.actor("js"), subject_id=org.js,
                                text=long_text, standard="culture", source_ref="slack:C1:1",
                                source_author="Ada Quill", source_posted_at=when,
                                now=when)  # fmt: skip
    with db.read() as session:
        ctx = Context(org.js, via, when)
        built += [
            evidence.portfolio(session, ctx, config),
            evidence.open_change(session, ctx, config),
            evidence.submit_pick(session, ctx, config, {}, {"item": item.id, "change": "edit"}),
            evidence.submit_pick(session, ctx, config, {}, {"item": item.id, "change": "delete"}),
        ]
    value = f"{org.js}:end_year:2026"
    with db.read() as session:
        for key in ("js", "lm", "ps"):
            ctx = Context(org.ids[key], via, when)
            built.append(agreement.view(session, ctx, config, org.js, Stage.END_YEAR, 2026))
        built.append(agreement.open_comment(session, Context(org.js, via, when), config, value))
        review = {
            "person": org.js,
            "what": "w",
            "how": "h",
            "recommended_rating": "exceeding",
            "finance_met": "met",
            "feedback_360": "no",
            "bias_acknowledged": True,
        }
        review |= {s.value: "met" for s in MinimumStandard}  # the end-year "Check and save" step
        built.append(write_up.submit(session, Context(org.lm, via, when), config,
                                     {"stage": "end_year", "year": 2026}, review))  # fmt: skip
    with db.read() as session:
        for key in ("lm", "js", "dg_a", "hr"):
            ctx = Context(org.ids[key], via, when)
            built += [
                rate.open_form(session, ctx, config),
                evidence.open_form(session, ctx, config),
                objectives.open_form(session, ctx, config),
                award.open_form(session, ctx, config),
                write_up.open_form(session, ctx, config),
                write_up.open_self(session, ctx, config),
                plan.open_form(session, ctx, config),
                settings.open_form(session, ctx, config),
                award.open_reject(ctx, config, 1),
                status.status(session, ctx, config),
                home.home(session, ctx, config),
            ]
    return built


@pytest.mark.parametrize("when", [NOW, END_YEAR], ids=["mid-year", "end-year"])
def test_every_form_and_status_renders_within_slacks_limits(
    sqlite_db: Database, tmp_path: Path, config, when
):
    built = every_form_and_page(sqlite_db, tmp_path, config, when)
    forms = [b for b in built if isinstance(b, Form)]
    assert len(forms) >= 20
    for item in built:
        if isinstance(item, Form):
            _check_view(modal(item, "x" * 400))
        else:
            _check_message(message_blocks(item))
            _check_message(home_view(item)["blocks"])


def test_every_nudge_kind_renders(config) -> None:
    from bot.flows.nudges import nudge_message

    for kind in Kind:
        nudge = compose(
            config,
            NudgeContext(
                7,
                kind.value,
                "before_5",
                "q1_conversation",
                2026,
                3,
                "Ada Quill",
                {
                    "award_id": 4,
                    "amount_pence": 250_000,
                    "nominee": "Ada Quill",
                    "pending": 2,
                    "units": [["Policy", 3, 5], ["Delivery", 5, 5]],
                },
            ),
        )
        blocks = message_blocks(nudge_message(nudge))
        _check_message(blocks)
        elements = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
        actions = [e["action_id"] for e in elements]
        assert actions or kind in EDITS, kind  # an edited award message has no button left
        if kind is Kind.AWARD_DECISION:  # F15: Slack asks "Approve £2,500 for Ada Quill?" first
            (approve,) = [e for e in elements if e["action_id"] == "award_approve"]
            assert approve["confirm"]["text"]["text"] == "Approve £2,500 for Ada Quill?"
            assert approve["confirm"]["confirm"]["text"] == "Yes, approve"
        if kind not in NEWS:  # news, not a task to put off
            assert "snooze" in actions, kind


def test_f23_a_write_up_to_agree_is_shown_in_full(sqlite_db: Database, tmp_path: Path, config):
    """F23: the job holder "reads the manager's assessment before agreeing": all of it, split
    across sections where Slack's 3,000-character limit needs, never cut."""
    built = every_form_and_page(sqlite_db, tmp_path, config, END_YEAR)
    views = [b for b in built if isinstance(b, Message) and "write-up" in (b.title or "")]
    assert [v.title for v in views] == [
        "Your end-year write-up", "Js's end-year write-up", "Js's end-year write-up",
    ]  # fmt: skip
    blocks = message_blocks(views[0])
    shown = " ".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    words = "Led the &lt;spending&gt; review &amp; the bill."
    assert shown.count(words) >= 3 * 79  # what, how and the self-assessment, each in full
    assert [b["elements"][0]["action_id"] for b in blocks if b["type"] == "actions"] == [
        "write_up_agree"
    ]


def test_every_slack_message_carries_its_whole_meaning_as_top_level_text(
    sqlite_db: Database, tmp_path: Path, config
) -> None:
    """Accessibility: screen readers and notifications read a message's top-level text, not
    its blocks - so it carries the words, each section and each fact."""
    from bot.slack.render import FALLBACK_MAX, escaped, fallback_text

    messages = [m for m in every_form_and_page(sqlite_db, tmp_path, config, END_YEAR)
                if isinstance(m, Message)]  # fmt: skip
    assert any(m.facts for m in messages) and any(m.sections for m in messages)  # it looked
    for message in messages:
        text = fallback_text(message)
        assert len(text) <= FALLBACK_MAX
        if len(text) < FALLBACK_MAX - 1:
            for part in (message.text, *message.sections, *(v for _k, v in message.facts)):
                assert escaped(part) in text


def test_a_to_do_list_renders_a_line_and_a_button_each() -> None:
    """The day's list (scheduler/nudges/digest.py): each line a section with its button beside
    it, within Slack's limits however long the list."""
    from bot.flows.nudges import nudge_message
    from scheduler.nudges.base import Action, Nudge
    from scheduler.nudges.digest import MAX_LINES, lists

    parts = [
        (f"before_{n % 10}", Nudge(n, "rating_due", "t", f"Person {n}'s rating is due " + "x" * 400,
                                   (), (Action("rate", "Rate now", str(n)),
                                        Action("snooze", "Snooze", f"{n}:2"))))
        for n in range(1, 61)
    ]  # fmt: skip
    first, second = lists(parts)  # 60 lines: a list of 45, then 15; the most urgent first
    for listed in (first, second):
        blocks = message_blocks(nudge_message(listed))
        _check_message(blocks)
        lines = [b for b in blocks if b.get("accessory")]
        assert len(lines) == len(listed.items) and {b["accessory"]["action_id"] for b in lines} == {
            "rate"
        }
    assert (len(first.items), len(second.items)) == (MAX_LINES, 60 - MAX_LINES)
    assert "before_0" not in str(first) and first.items[0][0].startswith("Person 10's")


def test_the_rating_form_for_one_person_shows_their_year(sqlite_db: Database, tmp_path: Path,
                                                         config) -> None:  # fmt: skip
    """Forms with context: opened for one person, the rating form shows their quarters so far,
    what saving would replace, their evidence and their objectives."""
    org = make_org(sqlite_db, tmp_path)
    with sqlite_db.write() as session:
        svc.record_indicative_rating(session, config=config, actor=org.actor("lm"),
                                     subject_id=org.js, quarter=2, rating="Achieving",
                                     what_note="w", how_note="h", now=NOW)  # fmt: skip
        svc.add_evidence(session, config=config, actor=org.actor("js"), subject_id=org.js,
                         text="Chaired the spending panel", standard="culture",
                         now=NOW)  # fmt: skip
        svc.set_objective(session, config=config, actor=org.actor("js"), subject_id=org.js,
                          heading="finance", what="Save £2m", how="h", now=NOW)  # fmt: skip
    with sqlite_db.read() as session:
        form = rate.open_form(session, Context(org.lm, Via.SLACK, NOW), config, org.js)
    [context] = [i.text for i in form.items if isinstance(i, Note)]
    assert context.startswith("*Js* this year: Q1 -, Q2 Achieving")
    assert "Q2 is already rated Achieving (15 July 2026); saving replaces it" in context
    assert "Evidence this year: 1 - latest: Chaired the spending panel" in context
    assert "Objectives: Save £2m" in context


def test_the_write_up_form_for_one_person_shows_what_to_assess(
    sqlite_db: Database, tmp_path: Path, config
) -> None:
    """Forms with context (F6, F23): opened for one person, the write-up shows their quarters,
    their self-assessment, the evidence to cite, the development plan and the objectives; the
    development plan form shows their quarters and the plan."""
    org = make_org(sqlite_db, tmp_path)
    q1 = datetime(2026, 7, 1, 10, tzinfo=UTC)
    with sqlite_db.write() as session:
        for quarter, when in ((1, q1), (2, NOW)):
            svc.record_indicative_rating(session, config=config, actor=org.actor("lm"),
                                         subject_id=org.js, quarter=quarter,
                                         rating="Partially Met", what_note="w", how_note="h",
                                         now=when)  # fmt: skip
        for n in range(10):
            svc.add_evidence(session, config=config, actor=org.actor("js"), subject_id=org.js,
                             text=f"Item {n} " + "word " * 60, standard="culture",
                             now=NOW)  # fmt: skip
        svc.record_self_assessment(session, config=config, actor=org.actor("js"),
                                   subject_id=org.js, stage="mid_year",
                                   text="I led the spending review.", now=NOW)  # fmt: skip
    with sqlite_db.read() as session:
        ctx = Context(org.lm, Via.SLACK, NOW)
        form = write_up.open_form(session, ctx, config, org.js, "mid-year")
        plan_form = plan.open_form(session, ctx, config, org.js)
    [context] = [i.text for i in form.items if isinstance(i, Note)]
    assert context.startswith("*Js* this year: Q1 Partially Met, Q2 Partially Met")
    assert "Their self-assessment (15 July 2026): I led the spending review." in context
    assert "Evidence this year: 10 (the latest 8)" in context
    assert context.count("\n• Item ") == 8 and "• Item 9 word" in context
    assert "Development plan: due, after two Partially Met quarters" in context
    assert len(context) < 3000  # one Slack section, never cut
    blocks = modal(form, "x")["blocks"]
    assert not blocks[0]["text"]["text"].endswith("…")
    [plan_context] = [i.text for i in plan_form.items if isinstance(i, Note)]
    assert "Q1 Partially Met, Q2 Partially Met" in plan_context
    assert "Development plan: due" in plan_context
