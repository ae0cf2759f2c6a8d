"""The Teams app package: ``teams/manifest.json`` (schema v1.22) with the bot's app id filled
in, and the two icons Teams asks for, zipped for sideloading or the admin centre.

The icons are drawn here, in a few lines of PNG, so the package needs no image library: a
192x192 colour icon (three rising bars on the department's teal) and a 32x32 outline icon
(the same bars in white on transparent, as Teams requires).
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

from bot.assets import asset
from bot.flows.help import COMMANDS, TEAMS_MENU

PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"
TEAL = (0, 94, 165)  # background of the colour icon
WHITE = (255, 255, 255)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def _png(width: int, height: int, pixel: Any) -> bytes:
    """A truecolour-with-alpha PNG; ``pixel(x, y)`` gives (r, g, b, a)."""
    raw = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _bars(size: int, x: int, y: int) -> bool:
    """Three rising bars inside the middle of a ``size`` square."""
    unit = size / 8
    for n, height in enumerate((2.0, 3.5, 5.0)):
        left = unit * (1.5 + n * 1.75)
        if (
            left <= x < left + unit * 1.25
            and size - unit * 1.5 - unit * height <= y < size - unit * 1.5
        ):
            return True
    return False


def colour_icon() -> bytes:
    return _png(192, 192, lambda x, y: (*(WHITE if _bars(192, x, y) else TEAL), 255))


def outline_icon() -> bytes:
    return _png(32, 32, lambda x, y: (*WHITE, 255) if _bars(32, x, y) else (0, 0, 0, 0))


def manifest(app_id: str) -> dict[str, Any]:
    """``teams/manifest.json`` with the Microsoft App ID as the app's and the bot's id."""
    if not _GUID.match(app_id):
        raise ValueError(f"'{app_id}' is not a Microsoft App ID (a GUID such as {PLACEHOLDER_ID}).")
    text = asset("teams", "manifest.json").read_text(encoding="utf-8")
    return json.loads(text.replace(PLACEHOLDER_ID, app_id.lower()))


def menu_commands() -> list[dict[str, str]]:
    """The command menu Teams shows, as help describes each command (a test holds
    ``teams/manifest.json`` to this)."""
    what = dict(COMMANDS) | {"help": "every command perfbot has, and how to save a message"}
    return [{"title": name, "description": _sentence(what[name])} for name in TEAMS_MENU]


def _sentence(text: str) -> str:
    text = text.replace("`", "")
    return text[:1].upper() + text[1:]


def write_package(out: str | Path, app_id: str) -> Path:
    """The zip Teams sideloads: manifest.json, color.png and outline.png at its root."""
    out = Path(out)
    data = manifest(app_id)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(data, indent=2))
        z.writestr(data["icons"]["color"], asset("teams", "color.png").read_bytes())
        z.writestr(data["icons"]["outline"], asset("teams", "outline.png").read_bytes())
    return out
