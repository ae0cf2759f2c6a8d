"""Words people read: no rule codes, no "UTC", no "(s)" plurals, no "1 ... await" - scanned
over every form and page the flows build for each role, at mid-year and end-year, and every
nudge kind at each step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.flows.model import Field, Form, Message, Note
from scheduler.nudges import Kind, NudgeContext, compose
from store.db import Database
from store.framework import Nation
from tests.bot.test_render import END_YEAR, every_form_and_page
from tests.conftest import NOW

RULE_CODE = re.compile(r"\bF\d{1,2}\b")
BAD = {
    "a rule code": RULE_CODE,
    "UTC": re.compile(r"\bUTC\b"),
    "an (s) plural": re.compile(r"\w\(s\)"),
    "a singular with a plural verb": re.compile(r"\b1 (?:[\w-]+ ){0,3}[\w-]+s await\b"),
    "'None' shown": re.compile(r"\bNone\b"),
    "a zero-padded day": re.compile(
        r"\b0\d (?:January|February|March|April|May|June|July|August|September|October"
        r"|November|December)\b"
    ),
}


def words(item: Form | Message) -> list[str]:
    """Every string a person reads in a form or message."""
    if isinstance(item, Message):
        found = [item.text, item.title or "", *item.sections]
        found += [f"{k}: {v}" for k, v in item.facts]
        found += [line for line, _ in item.items]  # a home page's or a digest's lines
        buttons = [*item.buttons, *(b for _, b in item.items if b is not None)]
        return found + [b.label for b in buttons] + [b.confirm or "" for b in buttons]
    found = [item.title, item.submit]
    for part in item.items:
        if isinstance(part, Note):
            found.append(part.text)
        elif isinstance(part, Field):
            found += [part.label, part.hint or ""]
            found += [f"{o.label} {o.hint or ''}" for o in part.options]
    return found


def offences(texts: list[str]) -> list[str]:
    return [f"{name}: {text[:120]!r}" for text in texts for name, bad in BAD.items()
            if bad.search(text)]  # fmt: skip


@pytest.mark.parametrize("when", [NOW, END_YEAR], ids=["mid-year", "end-year"])
def test_no_form_or_page_shows_codes_utc_or_bad_plurals(
    sqlite_db: Database, tmp_path: Path, config, when
) -> None:
    built = every_form_and_page(sqlite_db, tmp_path, config, when)
    assert len(built) > 40  # it looked
    assert offences([w for item in built for w in words(item)]) == []


def test_no_nudge_shows_codes_utc_or_bad_plurals(config) -> None:
    texts = []
    for kind in Kind:
        for step in ("before_5", "overdue_3", "overdue_10"):
            for relation, to_subject in (("self", True), ("line_manager", False),
                                         ("countersigning", False), ("dg", False)):  # fmt: skip
                for count in (1, 2):
                    ctx = NudgeContext(
                        7, kind.value, step, "q1_conversation", 2026, 5, "Ada Quill",
                        {"award_id": 4, "amount_pence": 250_000, "nominee": "Ada Quill",
                         "pending": count, "waiting": count,
                         "units": [["Policy", 3, 5], ["Delivery", 5, 5]][:count],
                         "quarter": 1, "rating": "Achieving", "what": "w",
                         "how": "h", "status": "agreed", "review_on": "2026-09-01",
                         "decider": "Dee Gee", "recommended": "Achieving", "kind": "rating_due",
                         "asked_by": "Dee Gee", "title": "t", "text": "x"},
                        to_subject, Nation.ENGLAND, relation,
                    )  # fmt: skip
                    nudge = compose(config, ctx)
                    texts += [nudge.title, nudge.text, *(f"{k}: {v}" for k, v in nudge.facts)]
                    texts += [line for line, _ in nudge.items]
                    texts += [a.label for a in nudge.actions] + [a.confirm or "" for a in
                                                                  nudge.actions]  # fmt: skip
    assert len(texts) > 500  # it looked
    assert offences(texts) == []


def test_the_scan_has_teeth() -> None:
    bad = ["Due (F10)", "09:00 UTC", "3 report(s)", "1 in-year award nominations await",
           "Reason: None", "due Friday 09 October"]  # fmt: skip
    assert len(offences(bad)) == len(bad)


@pytest.mark.parametrize("prefix", ["/perf", ""], ids=["slack", "teams"])
def test_help_lists_every_command_the_platform_has(config, prefix: str) -> None:
    """Every typed command (a form, a page, or a button pressed by typing) is in help, and
    help lists nothing else; both have Save as evidence on a message's menu (Teams: a message
    extension, under More actions)."""
    from datetime import UTC, datetime

    from bot.flows.commands import COMMAND_BUTTONS, command_openers
    from bot.flows.help import help_message
    from bot.flows.model import Context
    from store.models import Via

    ctx = Context(1, Via.TEAMS if not prefix else Via.SLACK, datetime(2026, 7, 15, tzinfo=UTC))
    commands = set(command_openers(ctx, config, [])) | set(COMMAND_BUTTONS) | {"help"}
    listed = set(re.findall(r"^`(?:/perf )?([\w-]+)", help_message(prefix).sections[0], re.M))
    assert listed == commands
    menu = "(Save as evidence)" if prefix else "(More actions, then Save as evidence)"
    assert menu in " ".join(help_message(prefix).sections)
