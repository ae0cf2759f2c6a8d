"""STYLE.md habit 1: store and scheduler load no Slack or Teams SDK (checked in a fresh
interpreter, so nothing imported by other tests can hide a leak)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

BANNED = ("slack_bolt", "slack_sdk", "botbuilder")


@pytest.mark.parametrize(
    "package",
    [
        "store",
        "store.services",
        "store.roster",
        "store.aggregates",
        "store.demo",
        "scheduler",
        "scheduler.planner",
        "scheduler.delivery",
        "scheduler.runner",
        "scheduler.simulate",
        # Channel-neutral flows: no Slack or Teams either (STYLE.md habit 1).
        "bot.flows.rate",
        "bot.flows.award",
        "bot.flows.write_up",
        "bot.flows.evidence",
        "bot.flows.status",
        "bot.flows.nudges",
        "bot.flows.plan",
        "bot.flows.objectives",
        "bot.flows.help",
        "bot.flows.commands",
        "store.export",
        "store.moderation",
    ],
)
def test_core_packages_load_no_chat_sdk(package: str) -> None:
    code = f"import json, sys, {package}; print(json.dumps(sorted(m for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    leaked = [m for m in loaded if m.split(".")[0] in BANNED]
    assert leaked == [], f"{package} loaded {leaked}"


def test_store_does_not_import_scheduler_or_bot() -> None:
    code = (
        "import json, sys, store.services, store.roster, store.aggregates, store.migrate; "
        "print(json.dumps(sorted(m for m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert not [m for m in loaded if m.split(".")[0] in ("bot", "scheduler")]


def test_only_bot_teams_imports_botbuilder() -> None:
    """Microsoft archived the Bot Framework SDK: moving to its successor must touch one folder.
    Every module outside bot/teams/ is read for a botbuilder import (the source, so a lazy
    import inside a function is caught too)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    offenders = []
    for path in root.glob("**/*.py"):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(("bot/teams/", ".venv/", "tests/")) or "/site-packages/" in relative:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.strip().split()
            if words[:1] in (["import"], ["from"]) and len(words) > 1:
                if words[1].split(".")[0] in ("botbuilder", "botframework"):
                    offenders.append(f"{relative}: {line.strip()}")
    assert offenders == []
    # ...and bot/teams/ really is where it lives.
    assert "from botbuilder" in (root / "bot" / "teams" / "app.py").read_text()
