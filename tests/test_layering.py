"""The layering DESIGN.md fixes: bot -> scheduler -> store, platform SDKs only in their
adapters (STYLE.md habit 1), and no SQL in bot/. The modules are found on disk, so a new
module is checked without anyone adding it to a list."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BANNED = ("slack_bolt", "slack_sdk", "botbuilder")


def modules(*folders: str) -> list[str]:
    """Every module under these folders, as dotted names."""
    found = []
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            if "migrations" in relative.parts:
                continue
            parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
            found.append(".".join(parts))
    return found


def _loaded_by_each(names: list[str]) -> dict[str, list[str]]:
    """Import the modules one after another in a fresh interpreter; what each added."""
    code = (
        "import importlib, json, sys\n"
        f"names = {names!r}\n"
        "out = {}\n"
        "for name in names:\n"
        "    before = set(sys.modules)\n"
        "    importlib.import_module(name)\n"
        "    out[name] = sorted(set(sys.modules) - before)\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(result.stdout)


def test_the_core_loads_no_chat_sdk() -> None:
    """store, scheduler and the channel-neutral flows load neither Slack's nor Microsoft's
    SDK (checked in a fresh interpreter, so nothing other tests import can hide a leak)."""
    core = modules("store", "scheduler", "bot/flows")
    assert {"store.services.awards", "scheduler.nudges.rating", "bot.flows.actions"} <= set(core)
    leaks = {
        name: [m for m in added if m.split(".")[0] in BANNED]
        for name, added in _loaded_by_each(core).items()
    }
    assert {name: leaked for name, leaked in leaks.items() if leaked} == {}


def test_store_does_not_import_scheduler_or_bot() -> None:
    loaded = _loaded_by_each(modules("store"))
    upward = {
        name: [m for m in added if m.split(".")[0] in ("bot", "scheduler")]
        for name, added in loaded.items()
    }
    assert {name: found for name, found in upward.items() if found} == {}


def test_scheduler_does_not_import_bot() -> None:
    loaded = _loaded_by_each(modules("scheduler"))
    upward = {
        name: [m for m in added if m.split(".")[0] == "bot"] for name, added in loaded.items()
    }
    assert {name: found for name, found in upward.items() if found} == {}


def test_bot_builds_no_sql() -> None:
    """Every read the flows and the CLI need is in store/queries.py; every write a service."""
    offenders = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for needle in (
            "select(",
            "session.get(",
            "session.exec(",
            "session.execute(",
            "sqlalchemy",
        ):
            if needle in text.replace("static_select", "").replace("external_select", ""):
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offenders == []


def test_only_bot_teams_imports_botbuilder() -> None:
    """Microsoft archived the Bot Framework SDK: moving to its successor must touch one folder.
    Every module outside bot/teams/ is read for a botbuilder import (the source, so a lazy
    import inside a function is caught too)."""
    offenders = []
    for path in ROOT.glob("**/*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(("bot/teams/", ".venv/", "tests/")) or "/site-packages/" in relative:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.strip().split()
            if words[:1] in (["import"], ["from"]) and len(words) > 1:
                if words[1].split(".")[0] in ("botbuilder", "botframework"):
                    offenders.append(f"{relative}: {line.strip()}")
    assert offenders == []
    # ...and bot/teams/ really is where it lives.
    assert "from botbuilder" in (ROOT / "bot" / "teams" / "app.py").read_text()
