"""Every form and message as an Adaptive Card 1.5, valid against the published schema; errors
beside their fields with the user's values kept; card inputs read back as neutral values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.flows import award
from bot.flows.model import Context, Form
from bot.flows.nudges import nudge_message
from bot.teams.cards import form_card, message_card, parse_inputs
from scheduler.nudges import Kind, NudgeContext, compose
from scheduler.nudges.base import EDITS, NEWS
from store.db import Database
from store.models import Via
from tests.bot.test_render import END_YEAR, every_form_and_page
from tests.conftest import NOW, make_org

SCHEMA = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "schemas"
    / "adaptivecards"
    / "adaptive-card-1.5.json"
)


@pytest.fixture(scope="module")
def validator():
    if not SCHEMA.exists():
        pytest.skip(f"the Adaptive Card 1.5 schema is not beside the project ({SCHEMA})")
    import jsonschema

    return jsonschema.Draft6Validator(json.loads(SCHEMA.read_text()))


def _valid(validator, card: dict) -> None:
    problems = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(card)]
    assert problems == [], problems[:5]


@pytest.mark.parametrize("when", [NOW, END_YEAR], ids=["mid-year", "end-year"])
def test_every_form_and_message_is_a_valid_adaptive_card(
    validator, sqlite_db: Database, tmp_path: Path, config, when
) -> None:
    built = every_form_and_page(sqlite_db, tmp_path, config, when, Via.TEAMS)
    forms = [b for b in built if isinstance(b, Form)]
    assert len(forms) >= 20
    for item in built:
        card = form_card(item, "sealed") if isinstance(item, Form) else message_card(item)
        _valid(validator, card)
        assert card["version"] == "1.5"
        if isinstance(item, Form):  # as a message extension's dialog shows it, too
            _valid(validator, form_card(item, "sealed", dialog=True))


def test_every_nudge_is_a_valid_card_with_its_buttons(validator, config) -> None:
    for kind in Kind:
        nudge = compose(
            config,
            NudgeContext(7, kind.value, "before_5", "q1_conversation", 2026, 3, "Ada Quill",
                         {"award_id": 4, "amount_pence": 250_000, "nominee": "Ada Quill",
                          "pending": 2, "units": [["Policy", 3, 5], ["Delivery", 5, 5]]}),
        )  # fmt: skip
        card = message_card(nudge_message(nudge))
        _valid(validator, card)
        # A button that asks first opens its question, whose answer is the real button.
        pressed = [a["card"]["actions"][0] if a["type"] == "Action.ShowCard" else a
                   for a in card.get("actions", [])]  # fmt: skip
        verbs = [a["verb"] for a in pressed]
        assert verbs or kind in EDITS, kind  # an edited award message has no button left
        assert all(a["type"] == "Action.Execute" for a in pressed)
        if kind is Kind.AWARD_DECISION:  # F15: "Approve £2,500 for Ada Quill?" before approving
            (ask,) = [a for a in card["actions"] if a["type"] == "Action.ShowCard"]
            assert ask["title"] == "Approve"
            assert ask["card"]["body"][0]["text"] == "Approve £2,500 for Ada Quill?"
            assert ask["card"]["actions"][0]["title"] == "Yes, approve"
        if kind not in NEWS:  # news, not a task to put off
            assert "snooze" in verbs, kind
    # A day's list: each line with its button (an ActionSet under it), valid too.
    from scheduler.nudges.base import Action, Nudge
    from scheduler.nudges.digest import lists

    [listed] = lists([(f"overdue_{n}", Nudge(n, "rating_due", "t", f"Line {n}", (),
                                             (Action("remind_owner", "Remind them", str(n)),)))
                      for n in range(1, 4)])  # fmt: skip
    card = message_card(nudge_message(listed))
    _valid(validator, card)
    sets = [e for e in card["body"] if e["type"] == "ActionSet"]
    assert [s["actions"][0]["verb"] for s in sets] == ["remind_owner"] * 3
    # The validator has teeth: a style that Adaptive Cards 1.5 does not know is refused.
    broken = dict(card, body=[{"type": "Input.ChoiceSet", "id": "x", "style": "filtered"}])
    assert list(validator.iter_errors(broken))


def test_errors_sit_beside_their_fields_and_values_are_kept(
    validator, sqlite_db: Database, tmp_path: Path, config
) -> None:
    org = make_org(sqlite_db, tmp_path)
    with sqlite_db.read() as session:
        form = award.open_form(session, Context(org.lm, Via.TEAMS, NOW), config)
    fields = [i for i in form.items if hasattr(i, "kind")]
    amount = next(f for f in fields if f.kind == "money")
    reason = next(f for f in fields if f.kind == "text")
    sent = {amount.id: "-5", reason.id: "Led the launch"}
    card = form_card(form, "sealed", values=sent, errors={amount.id: "Enter an amount above £0."})
    _valid(validator, card)
    body = card["body"]
    at = next(i for i, e in enumerate(body) if e.get("id") == amount.id)
    assert body[at]["type"] == "Input.Number" and body[at]["value"] == -5  # kept
    after = body[at + 1 : at + 3]
    assert any(e.get("color") == "Attention" and "above £0" in e["text"] for e in after)
    assert next(e for e in body if e.get("id") == reason.id)["value"] == "Led the launch"


def test_pickers_show_their_hints_and_long_choices_wrap(
    validator, sqlite_db: Database, tmp_path: Path, config
) -> None:
    """The nominee picker keeps what Slack shows under each option (headroom, or why someone
    is not eligible); compact pickers say what to choose; choices and toggles wrap."""
    org = make_org(sqlite_db, tmp_path)
    with sqlite_db.read() as session:
        form = award.open_form(session, Context(org.lm, Via.TEAMS, NOW), config)
    card = form_card(form, "sealed")
    _valid(validator, card)
    compact = [e for e in card["body"] if e.get("style") == "compact"]
    assert compact and all(e["placeholder"] for e in compact)
    [picker] = [e for e in compact if e["placeholder"] == "Choose a person"]  # the nominee
    titles = [c["title"] for c in picker["choices"]]
    assert any("left this year" in t for t in titles), titles
    assert any("not eligible" in t for t in titles), titles  # the one on poor-performance measures
    assert picker["wrap"] is True
    toggles = [e for e in _every_input(sqlite_db, tmp_path, config) if e["type"] == "Input.Toggle"]
    assert toggles and all(t["wrap"] is True for t in toggles)


def _every_input(sqlite_db: Database, tmp_path: Path, config: Any) -> list[dict[str, Any]]:
    built = every_form_and_page(sqlite_db, tmp_path, config, END_YEAR, Via.TEAMS)
    return [
        element
        for item in built
        if isinstance(item, Form)
        for element in form_card(item, "sealed")["body"]
        if element["type"].startswith("Input.")
    ]


def test_card_inputs_read_back_as_neutral_values() -> None:
    data = {"state": "s", "toggles": ["bias", "feedback"], "rating": "achieving", "note": " ",
            "bias": "true", "amount": "1500"}  # fmt: skip
    assert parse_inputs(data) == {
        "rating": "achieving",
        "note": None,
        "bias": True,
        "feedback": False,  # an untouched toggle is not sent
        "amount": "1500",
    }
