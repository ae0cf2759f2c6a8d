"""The container files keep their promises: the image runs as a user without privileges,
reports ready only when the database answers, and carries every package and shipped file;
compose runs perfbot on PostgreSQL. (Building the image needs a Docker daemon, which CI has
not; these read the files as Docker would.)"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_the_image_runs_unprivileged_and_checks_readiness() -> None:
    steps = _instructions()
    final = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM") :]
    users = [arg for op, arg in final if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    (check,) = [arg for op, arg in final if op == "HEALTHCHECK"]
    assert "/readyz" in check  # ready means the database answers
    (command,) = [arg for op, arg in final if op == "CMD"]
    assert json.loads(command) == ["perfbot", "serve"]
    env = " ".join(arg for op, arg in final if op == "ENV")
    assert "HOST=0.0.0.0" in env and "LOG_FORMAT=json" in env


def test_the_image_copies_every_package_and_shipped_folder() -> None:
    copied = {
        source
        for op, arg in _instructions()
        if op == "COPY" and "--from" not in arg
        for source in shlex.split(arg)[:-1]  # the last is where to
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    assets = set(re.findall(r'"(\w+)": \(', (ROOT / "setup.py").read_text()))
    assert packages | assets | {"pyproject.toml", "setup.py", "README.md"} <= copied
    assert assets == {"teams", "config"}


def test_compose_runs_perfbot_on_postgresql() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    perfbot, db = compose["services"]["perfbot"], compose["services"]["db"]
    assert perfbot["environment"]["DATABASE_URL"].startswith("postgresql://perfbot:")
    assert perfbot["depends_on"]["db"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert all(port.startswith("127.0.0.1:") for port in perfbot["ports"])  # behind a proxy
    assert "${POSTGRES_PASSWORD:?" in db["environment"]["POSTGRES_PASSWORD"]  # no default
