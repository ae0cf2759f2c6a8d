"""``pip install .`` (not editable) gives a working perfbot: the wheel carries the Teams app
files and the department config, and runs from any folder with no clone beside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "11111111-2222-3333-4444-555555555555"

pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PERFBOT_", "DATABASE"))}
    environ.pop("PYTHONPATH", None)
    return subprocess.run(args, cwd=cwd, env=environ, capture_output=True, text=True, timeout=300)


def _source(into: Path) -> Path:
    """What a source distribution holds, copied out, so the build's folders stay out of the
    clone (setuptools builds in the source tree)."""
    into.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "assets")
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, into / name)
    for folder in ("bot", "store", "scheduler", "teams", "config"):
        shutil.copytree(ROOT / folder, into / folder, ignore=skip)
    return into


def test_the_wheel_installs_and_runs_from_another_folder(tmp_path: Path) -> None:
    source = _source(tmp_path / "source")
    built = _run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(tmp_path)],
        tmp_path,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("scs_perfbot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in (
        "bot/assets/teams/manifest.json",
        "bot/assets/teams/color.png",
        "bot/assets/teams/outline.png",
        "bot/assets/config/department.example.toml",
        "store/migrations/script.py.mako",
    ):
        assert shipped in names

    # A fresh environment with the wheel installed by pip; its dependencies are read from the
    # test's own environment by a path entry (not its .pth files: the editable clone stays out).
    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(fresh), "platbase": str(fresh)}))
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    python = fresh / "bin" / "python"
    installed = _run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], tmp_path)
    assert installed.returncode == 0, installed.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    where = _run([str(python), "-c", "import bot; print(bot.__file__)"], elsewhere)
    assert where.stdout.startswith(str(site)), where.stdout + where.stderr

    perfbot = [str(fresh / "bin" / "perfbot")]  # the console script the wheel declares
    package = _run([*perfbot, "teams", "package", "app.zip", "--app-id", APP_ID], elsewhere)
    assert package.returncode == 0, package.stderr
    assert set(zipfile.ZipFile(elsewhere / "app.zip").namelist()) == {
        "manifest.json",
        "color.png",
        "outline.png",
    }
    demo = _run([*perfbot, "demo"], elsewhere)
    assert demo.returncode == 0, demo.stderr
    assert "57 fictional people" in demo.stdout
    assert (elsewhere / "perfbot.db").is_file()
