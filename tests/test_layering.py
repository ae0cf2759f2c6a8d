"""The layering DESIGN.md fixes: bot -> scheduler -> store, platform SDKs only in their
adapters (STYLE.md habit 1), and no SQL in bot/. The modules are found on disk, so a new
module is checked without anyone adding it to a list."""

from __future__ import annotations

import ast
import json
import re
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


# --- F21: protected characteristics stay in one module -----------------------------------------
PC_READERS = {"store/aggregates.py"}  # reads, and lets only counts (or one person's own) out
PC_WRITERS = {"store/roster/write.py"}  # replaces a person's rows on import; never reads
PC_FUNCTIONS = {  # the aggregates that read the table, and who may call them
    "characteristics_present",
    "own_characteristics",
    "headcount_by_characteristic",
    "consistency_check",
}
PC_CALLERS = {"store/workbook/consistency.py", "store/subject_access.py"}  # audited exports


def _product_sources() -> list[tuple[str, str]]:
    return [
        (str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
        for folder in ("store", "scheduler", "bot")
        for p in sorted((ROOT / folder).rglob("*.py"))
        if "migrations" not in p.parts and p.name != "models.py"
    ]


SQL_ON_PCS = re.compile(r"\b(from|join|into|update|table)\s+protected_characteristic\b", re.I)


def _touches(tree: ast.AST) -> bool:
    """The model by name, or the table named in SQL text."""
    return any(
        (isinstance(n, ast.Name) and n.id == "ProtectedCharacteristic")
        or (isinstance(n, ast.Attribute) and n.attr == "ProtectedCharacteristic")
        or (isinstance(n, ast.alias) and n.name == "ProtectedCharacteristic")
        or (isinstance(n, ast.Constant) and isinstance(n.value, str)
            and SQL_ON_PCS.search(n.value) is not None)
        for n in ast.walk(tree)
    )  # fmt: skip


def test_only_aggregates_reads_protected_characteristics() -> None:
    """No module but store/aggregates.py reads the table (by model or by name in SQL); the
    roster import only deletes and inserts a person's rows; and the aggregates that read it
    are called only by the exports that audit who took them (the workbook, subject access)."""
    for name, source in _product_sources():
        tree = ast.parse(source)
        if name in PC_READERS:
            continue
        if name in PC_WRITERS:
            reads = [
                n for n in ast.walk(tree)
                if isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", ""))
                in ("select", "exec", "get", "query", "text") and _touches(n)
            ]  # fmt: skip
            assert reads == [], f"{name} reads protected characteristics"
            continue
        assert not _touches(tree), f"{name} touches protected characteristics"
        called = {
            n.attr
            for n in ast.walk(tree)
            if isinstance(n, ast.Attribute) and n.attr in PC_FUNCTIONS
        } | {
            alias.name
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and n.module == "store.aggregates"
            for alias in n.names
            if alias.name in PC_FUNCTIONS
        }
        assert not called or name in PC_CALLERS, f"{name} calls {called}"


def test_the_pc_check_would_catch_a_reader() -> None:
    """The check above is not vacuous: a model read and raw SQL are both caught; a sentence
    or a dictionary key naming the table is not."""
    assert _touches(ast.parse("from store.models import ProtectedCharacteristic"))
    assert _touches(ast.parse("select(ProtectedCharacteristic)"))
    assert _touches(ast.parse("select(models.ProtectedCharacteristic.value)"))
    assert _touches(ast.parse('s.exec(text("SELECT value FROM protected_characteristic"))'))
    assert _touches(ast.parse('c.exec_driver_sql("delete from  protected_characteristic")'))
    assert not _touches(ast.parse('{"protected_characteristic": "given as the profile"}'))
