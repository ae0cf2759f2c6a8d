"""The security document names the tests that prove each defence: every one it names
exists, so the document cannot point at a test that was renamed or removed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_the_threat_model_names_exists() -> None:
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    named = re.findall(r"`(tests/[\w/]+\.py)((?:::\w+)?)`", text)
    shorthand = re.findall(r"`::(\w+)`", text)  # the same file as the reference before it
    assert len(named) >= 15
    for path, test in named:
        source = (ROOT / path).read_text(encoding="utf-8")
        if test:
            assert f"def {test[2:]}(" in source, f"{path}{test}"
    functions = {
        name
        for path, _ in named
        for name in re.findall(r"def (test_\w+)\(", (ROOT / path).read_text())
    }
    missing = [name for name in shorthand if name not in functions]
    assert missing == [], missing
