"""Cells and tabular sheets in openpyxl's write-only mode: styles, number formats, and a
sheet with a bold, frozen, filtered header row and set widths."""

from __future__ import annotations

import math
import re
import textwrap
from copy import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter

GBP = '"£"#,##0.00'
PERCENT = "0.0%"
DATETIME = "yyyy-mm-dd hh:mm"

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
EDIT_FILL = PatternFill("solid", fgColor="FFF2CC")  # the columns a moderation panel types in
WRAP = Alignment(wrap_text=True, vertical="top")
RIGHT = Alignment(horizontal="right")


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    fmt: str | None = None  # dates get yyyy-mm-dd from openpyxl itself
    editable: bool = False  # yellow: the moderation panel types here
    wrap: bool = False  # long text wraps within the column, its row made tall enough


def text_value(ws: Any, value: str) -> Any:
    """Every text cell is text, whatever it starts with. openpyxl writes a string that starts
    with "=" as a live formula (a typed reason "=HYPERLINK(...)" would become a link, a DDE
    payload would run), so such a string becomes a cell typed as a string; characters the
    file format cannot hold (control characters) are dropped instead of failing the export."""
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value.startswith("="):
        return value
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"
    return cell


# What ``text_value`` must change: a leading "=" or a character the format cannot hold. One
# search per string keeps the check cheap on the export's hot path (millions of cells).
_UNSAFE = re.compile(r"^=|[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe(ws: Any, values: list[Any]) -> list[Any]:
    """A row's values, in place, with every string made safe to open (``text_value``)."""
    for i, v in enumerate(values):
        if type(v) is str and _UNSAFE.search(v):
            values[i] = text_value(ws, v)
    return values


LINE_HEIGHT = 13  # points per line of wrapped text at the default size
# Printing: a sheet up to this many characters wide goes on one A4 landscape page width (a
# moderation pack, about 300); a wider one spreads over pages of about PAGE_WIDTH each.
ONE_PAGE_WIDE = 400
PAGE_WIDTH = 300


def text_lines(value: Any, width: float) -> int:
    """How many lines ``value`` takes wrapped in a column ``width`` characters wide (an
    estimate: no spreadsheet measures the text of a file it did not lay out)."""
    return max(1, math.ceil(len(str(value or "")) / (width * 1.1)))


def append(ws: Any, values: list[Any]) -> None:
    """The one way a row is written to a sheet."""
    ws.append(safe(ws, values))


class Counted:
    """Appends rows and says each one's number: a write-only sheet cannot tell, and a chart's
    reference or a row's height needs it."""

    def __init__(self, ws: Any) -> None:
        self.ws, self.written = ws, 0

    def __call__(self, values: list[Any]) -> int:
        append(self.ws, values)
        self.written += 1
        return self.written

    def wrapped(self, values: list[Any], width: float) -> int:
        """A row whose first cell is text wrapped in its column ``width``, the row made tall
        enough for it."""
        lines = text_lines(values[0], width)
        if lines > 1:
            self.ws.row_dimensions[self.written + 1].height = LINE_HEIGHT * lines
            values = [styled(self.ws, values[0], alignment=WRAP), *values[1:]]
        return self(values)

    def paragraph(self, text: str, width: int) -> int:
        """Text too long for one row, as rows of at most ``width`` characters: it never runs
        under a chart or widens what prints."""
        for line in textwrap.wrap(text, width):
            self([line])
        return self.written


def styled(ws: Any, value: Any, *, fmt: str | None = None, **style: Any) -> WriteOnlyCell:
    """A cell with a number format and/or font, fill, alignment (write-only mode)."""
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        c.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("="):
            c.data_type = "s"  # text, never a formula
    if fmt:
        c.number_format = fmt
    for key, val in style.items():
        setattr(c, key, val)
    return c


def header(ws: Any, *titles: str) -> list[WriteOnlyCell]:
    return [styled(ws, t, font=BOLD, fill=HEADER_FILL, alignment=WRAP) for t in titles]


def widths(ws: Any, *values: float, first: int = 1) -> None:
    for n, width in enumerate(values, first):
        ws.column_dimensions[get_column_letter(n)].width = width


@dataclass
class Sheet:
    """A write-only sheet with a bold, frozen, filtered header row and set widths."""

    ws: Any
    columns: tuple[Column, ...]
    header_row: int = 1
    rows: int = 0
    _styled: list[tuple[int, WriteOnlyCell]] = field(default_factory=list)

    def start(self, before: list[list[Any]] | None = None) -> None:
        before = before or []
        for n, column in enumerate(self.columns, 1):
            dimension = self.ws.column_dimensions[get_column_letter(n)]
            dimension.width = column.width
            if column.editable:
                dimension.fill = EDIT_FILL
        self.header_row = len(before) + 1
        self.ws.freeze_panes = f"A{self.header_row + 1}"
        for line in before:
            append(self.ws, line)
        tallest = max(text_lines(c.header, c.width) for c in self.columns)
        if tallest > 1:  # headers wrap rather than being cut (set before the row is written)
            self.ws.row_dimensions[self.header_row].height = LINE_HEIGHT * tallest
        append(self.ws, header(self.ws, *(c.header for c in self.columns)))
        wide = sum(c.width for c in self.columns)
        if wide > ONE_PAGE_WIDE:  # readable type: across pages, staff ID and name on each
            self.ws.page_setup.fitToWidth = math.ceil(wide / PAGE_WIDTH)
            self.ws.print_title_cols = "A:B"
        self._styled = [
            (i, self.cell(None, fmt=c.fmt, **({"alignment": WRAP} if c.wrap else {})))
            for i, c in enumerate(self.columns)
            if c.fmt or c.wrap
        ]

    def cell(self, value: Any, *, fmt: str | None = None, **style: Any) -> WriteOnlyCell:
        return styled(self.ws, value, fmt=fmt, **style)

    def add(self, values: list[Any]) -> None:
        """A data row; columns with a number format get a styled cell. One cell per such
        column is reused: openpyxl writes a row out before ``append`` returns."""
        lines = max(
            (text_lines(values[i], c.width) for i, c in enumerate(self.columns) if c.wrap),
            default=1,
        )
        if lines > 1:  # a wrapped cell's row is as tall as its text (no app measures it)
            self.ws.row_dimensions[self.header_row + self.rows + 1].height = LINE_HEIGHT * lines
        values = safe(self.ws, values)
        for i, template in self._styled:
            if isinstance(values[i], Cell):  # text kept as text: style it the same
                values[i].number_format = template.number_format
                values[i].alignment = copy(template.alignment)
            elif values[i] is not None:
                template.value = values[i]
                values[i] = template
        self.ws.append(values)
        self.rows += 1

    def finish(self) -> None:
        last = get_column_letter(len(self.columns))
        self.ws.auto_filter = AutoFilter(
            ref=f"A{self.header_row}:{last}{self.header_row + max(self.rows, 1)}"
        )

    @property
    def first_data_row(self) -> int:
        return self.header_row + 1

    def column_letter(self, header_text: str) -> str:
        return str(get_column_letter([c.header for c in self.columns].index(header_text) + 1))


def local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    """Excel has no time zones: datetimes are written as the department's local time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone).replace(tzinfo=None)
