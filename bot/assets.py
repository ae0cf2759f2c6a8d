"""Files perfbot ships beside its code: the Teams app files and the commented department
config. In a clone they are the repository's ``teams/`` and ``config/``; in an installed
wheel, the copies the build put in ``bot/assets/`` (see setup.py)."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def asset(folder: str, name: str) -> Path:
    """The shipped file ``folder/name``, from the clone when there is one."""
    for base in (_HERE.parent, _HERE / "assets"):
        path = base / folder / name
        if path.is_file():
            return path
    raise FileNotFoundError(f"{folder}/{name} is missing from this installation of perfbot")
