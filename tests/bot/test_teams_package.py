"""The Teams app package: the manifest is valid against Teams' v1.22 schema once the app id is
filled in, the icons are the sizes Teams asks for, and the CLI writes the zip."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from bot.assets import asset
from bot.teams.package import PLACEHOLDER_ID, colour_icon, manifest, outline_icon
from tests.bot.test_cli import run

SCHEMA = (
    Path(__file__).resolve().parents[3] / "shared" / "schemas" / "teams"
    / "MicrosoftTeams.schema.v1.22.json"
)  # fmt: skip
APP_ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 6)  # 8-bit RGBA
    idat = b"".join(
        data[i + 8 : i + 8 + struct.unpack(">I", data[i : i + 4])[0]]
        for i in range(8, len(data), 1)
        if data[i + 4 : i + 8] == b"IDAT"
    )
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    return width, height, [raw[r * stride + 1 : (r + 1) * stride] for r in range(height)]


def test_manifest_is_valid_against_the_v1_22_schema() -> None:
    if not SCHEMA.exists():
        pytest.skip(f"Teams' manifest schema is not beside the project ({SCHEMA})")
    import jsonschema

    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    filled = manifest(APP_ID)
    assert list(validator.iter_errors(filled)) == []
    assert filled["id"] == filled["bots"][0]["botId"] == APP_ID
    assert filled["manifestVersion"] == "1.22"
    assert list(validator.iter_errors(dict(filled, id="not-a-guid")))  # the validator checks


def test_the_manifest_declares_what_perfbot_does_in_teams(config) -> None:
    """The command menu is help's (ten: the schema's most), each a command Teams runs; the
    message extension saves a message as evidence; files can be sent (the workbook); the
    Entra app is named for proactive installation through Graph."""
    from datetime import UTC, datetime

    from bot.flows.commands import COMMAND_BUTTONS, command_openers
    from bot.flows.model import Context
    from bot.teams.app import SAVE
    from bot.teams.package import menu_commands
    from store.models import Via

    filled = manifest(APP_ID)
    (bot,) = filled["bots"]
    (menu,) = bot["commandLists"]
    assert menu["commands"] == menu_commands() and len(menu["commands"]) == 10
    ctx = Context(1, Via.TEAMS, datetime(2026, 7, 15, tzinfo=UTC))
    runs = set(command_openers(ctx, config, [])) | set(COMMAND_BUTTONS) | {"help"}
    assert {c["title"] for c in menu["commands"]} <= runs
    assert bot["supportsFiles"] is True
    ((command,),) = [e["commands"] for e in filled["composeExtensions"]]
    assert (command["id"], command["type"], command["context"]) == (SAVE, "action", ["message"])
    assert command["fetchTask"] is True and filled["composeExtensions"][0]["botId"] == APP_ID
    assert filled["webApplicationInfo"]["id"] == APP_ID


def test_icons_are_the_sizes_teams_asks_for() -> None:
    assert asset("teams", "color.png").read_bytes() == colour_icon()  # committed = drawn here
    assert asset("teams", "outline.png").read_bytes() == outline_icon()
    width, height, _rows = png_pixels(colour_icon())
    assert (width, height) == (192, 192)
    width, height, rows = png_pixels(outline_icon())
    assert (width, height) == (32, 32)
    pixels = [row[i : i + 4] for row in rows for i in range(0, len(row), 4)]
    # Outline icons are white on transparent, nothing else.
    assert set(pixels) == {b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"}


def test_cli_writes_the_package(tmp_path: Path) -> None:
    out = run(
        ["teams", "package", str(tmp_path / "perfbot.zip")], tmp_path, MICROSOFT_APP_ID=APP_ID
    )
    assert out.returncode == 0, out.stderr
    with zipfile.ZipFile(tmp_path / "perfbot.zip") as z:
        assert sorted(z.namelist()) == ["color.png", "manifest.json", "outline.png"]
        packaged = json.loads(z.read("manifest.json"))
    assert packaged["bots"][0]["botId"] == APP_ID and PLACEHOLDER_ID not in json.dumps(packaged)
    refused = run(["teams", "package", str(tmp_path / "x.zip"), "--app-id", "perfbot"], tmp_path)
    assert refused.returncode == 2 and "not a Microsoft App ID" in refused.stderr
    assert not (tmp_path / "x.zip").exists()
