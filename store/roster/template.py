"""An empty roster with a column guide, for HR to fill in."""

from __future__ import annotations

import csv
from pathlib import Path

from store.errors import InvalidInput
from store.framework import Grade, Nation
from store.roster.rows import COLUMNS, OPTIONAL_COLUMNS, PC_GUIDE

# Whether each column's cells may be left blank - the same rules the import applies.
BLANK = "may be blank"
VALUES: dict[str, str] = {
    "line_manager_email": "required, except for the Permanent Secretary (the one person with "
    "no line manager)",
    "countersigning_email": BLANK,
    "dg_email": "blank for Directors General and the Permanent Secretary; for everyone else "
    "give it, or no one can decide their in-year awards",
    "roles": BLANK,
    "poor_performance_measures": "yes or no (blank means no)",
}
# Drop-downs on the Roster sheet: the values the import accepts for these columns.
CHOICES: dict[str, list[str]] = {
    "grade": [g.value for g in Grade],
    "location": [n.value for n in Nation],
    "poor_performance_measures": ["yes", "no"],
}
ROWS_WITH_CHOICES = 5_000

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
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

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
    for name, allowed in CHOICES.items():
        letter = sheet.cell(1, header.index(name) + 1).column_letter
        choice = DataValidation(
            type="list",
            formula1='"' + ",".join(allowed) + '"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=name,
            error=f"Choose one of: {', '.join(allowed)}.",
        )
        choice.add(f"{letter}2:{letter}{ROWS_WITH_CHOICES + 1}")
        sheet.add_data_validation(choice)
    guide = book.create_sheet("Column guide")
    guide.append(["column", "in the file", "value", "what to put in it"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for name, text in COLUMNS.items():
        guide.append([name, "required", VALUES.get(name, "required"), text])
    for name, text in OPTIONAL_COLUMNS.items():
        guide.append([name, "optional", BLANK, text])
    guide.append(["pc_<name>", "optional", BLANK, PC_GUIDE])
    guide.append([])
    guide.append(["example row", "", "", ", ".join(f"{k}={v}" for k, v in EXAMPLE_ROW.items())])
    guide.column_dimensions["A"].width = 26
    guide.column_dimensions["B"].width = 12
    guide.column_dimensions["C"].width = 40
    guide.column_dimensions["D"].width = 90
    for row in guide.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    book.save(path)
    return path
