"""What typed text may hold. Control characters (a bell, a vertical tab, a NUL...) show as
nothing on screen, and the HR workbook's file format cannot hold them at all, so they are
refused where text comes in - with a message beside the field - rather than found at export.
Newlines and tabs are kept where text is multi-line (notes, reasons, evidence)."""

from __future__ import annotations

import re

from store.errors import InvalidInput

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f]")


def control_character(text: str, *, multiline: bool = True) -> str | None:
    """The first control character in ``text`` (None when there is none)."""
    found = (_CONTROL if multiline else _CONTROL_OR_BREAK).search(text)
    return found.group() if found else None


def refuse_control_characters(text: str, field: str, *, multiline: bool = True) -> str:
    """``text`` unchanged, or ``InvalidInput`` beside ``field`` naming the character."""
    found = control_character(text, multiline=multiline)
    if found is not None:
        raise InvalidInput(
            f"This text holds an invisible control character (code {ord(found)}), perhaps "
            "from a copy and paste. Retype it without that character.",
            field=field,
        )
    return text
