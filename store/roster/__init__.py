"""Roster import (xlsx or csv) and its template.

All-or-nothing: the whole file is read and checked first, and one bad row means nothing is
written; every problem comes back as one line (row, column, value, what is wrong). Re-imports
update people in place; people missing from a new file are marked as left, never deleted.
Protected characteristics (``pc_`` columns) go to their own table (F21).
"""

from store.roster.read import read_roster
from store.roster.rows import (
    COLUMNS,
    OPTIONAL_COLUMNS,
    PC_PREFIX,
    ImportResult,
    RosterError,
    RosterProblem,
    RosterRow,
)
from store.roster.template import EXAMPLE_ROW, write_template
from store.roster.write import apply_roster, import_roster

__all__ = [
    "COLUMNS",
    "EXAMPLE_ROW",
    "OPTIONAL_COLUMNS",
    "PC_PREFIX",
    "ImportResult",
    "RosterError",
    "RosterProblem",
    "RosterRow",
    "apply_roster",
    "import_roster",
    "read_roster",
    "write_template",
]
