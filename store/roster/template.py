"""An empty roster with a column guide, for HR to fill in."""

from __future__ import annotations

import csv
from pathlib import Path

from store.errors import InvalidInput
from store.roster.rows import COLUMNS, OPTIONAL_COLUMNS, PC_GUIDE

EXAMPLE_ROW = {
    "staff_id": "100001",
    "name": "Alex Example",
    "email": "alex.example@dept.example",
    "grade": "SCS1",
    "business_unit": "Policy",
    "line_manager_email": "sam.example@dept.example",
    "countersigning_email": "",
    "dg_email": "dg.example@dept.example",
    "start_date": "2024-04-01",
    "location": "England",
    "roles": "",
    "poor_performance_measures": "no",
}


def write_template(path: str | Path) -> Path:
    """Write an empty roster with a column guide (xlsx: a second sheet; csv: header only)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerow(list(COLUMNS) + ["pc_sex", "pc_ethnicity"])
        return path
    if path.suffix.lower() != ".xlsx":
        raise InvalidInput("Name the template .xlsx or .csv.", field="file")
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Roster"
    header = list(COLUMNS) + ["pc_sex", "pc_ethnicity"]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for letter_index, name in enumerate(header, start=1):
        sheet.column_dimensions[sheet.cell(1, letter_index).column_letter].width = max(
            14, len(name) + 4
        )
    guide = book.create_sheet("Column guide")
    guide.append(["column", "required", "what to put in it"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for name, text in COLUMNS.items():
        guide.append([name, "yes", text])
    for name, text in OPTIONAL_COLUMNS.items():
        guide.append([name, "no", text])
    guide.append(["pc_<name>", "no", PC_GUIDE])
    guide.append([])
    guide.append(["example row", "", ", ".join(f"{k}={v}" for k, v in EXAMPLE_ROW.items())])
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["C"].width = 100
    book.save(path)
    return path
