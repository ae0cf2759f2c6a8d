"""A synthetic, obviously fictional department for trials and the README's first command.

It is written as a roster file and loaded through the same importer HR uses.
"""

from __future__ import annotations

import csv
import random
from datetime import date
from pathlib import Path

from store.roster import COLUMNS

DEMO_DOMAIN = "fictional.example"
DEMO_DEPARTMENT = "Department for Fictional Affairs"

_FIRST = [
    "Ada",
    "Basil",
    "Cora",
    "Dev",
    "Edie",
    "Fergus",
    "Gwen",
    "Hari",
    "Iona",
    "Jasper",
    "Kemi",
    "Lorcan",
    "Mina",
    "Nico",
    "Orla",
    "Pip",
    "Quinn",
    "Rhys",
    "Saoirse",
    "Tomas",
    "Uma",
    "Vik",
    "Wren",
    "Xander",
    "Yara",
    "Zain",
]
_LAST = [
    "Quill",
    "Ledger",
    "Inkwell",
    "Minute",
    "Docket",
    "Folio",
    "Memo",
    "Stapler",
    "Tally",
    "Binder",
    "Clause",
    "Paragraph",
    "Annex",
    "Footnote",
    "Margin",
    "Rubric",
]
_GROUPS = [
    (
        "Imaginary Policy",
        [
            "Made-up Strategy",
            "Pretend Regulation",
            "Notional Analysis",
            "Hypothetical Futures",
            "Invented Partnerships",
        ],
    ),
    (
        "Make-Believe Delivery",
        [
            "Phantom Operations",
            "Mock Programmes",
            "Sample Services",
            "Placeholder Digital",
            "Token Casework",
        ],
    ),
    (
        "Fictional Corporate Services",
        [
            "People and HR",
            "Pretend Finance",
            "Dummy Estates",
            "Specimen Commercial",
            "Illustrative Communications",
        ],
    ),
]
_LOCATIONS = ["England"] * 6 + ["Scotland", "Wales", "Northern Ireland"]
_PCS = {
    "sex": ["Female", "Male"],
    "ethnicity": ["White", "Asian", "Black", "Mixed", "Other"],
    "disability": ["No", "Yes"],
    "age_band": ["35-44", "45-54", "55-64"],
}
PC_COLUMNS = [f"pc_{name}" for name in _PCS]


def demo_rows(seed: int = 2026) -> list[dict[str, str]]:
    """About 60 people: a permanent secretary, 3 DGs, 15 SCS2 and ~40 SCS1, two in HR."""
    rng = random.Random(seed)
    used: set[str] = set()
    rows: list[dict[str, str]] = []

    def person(
        grade: str, unit: str, manager: str, countersigning: str, dg: str, roles: str = ""
    ) -> str:
        while True:
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            email = f"{first}.{last}@{DEMO_DOMAIN}".lower()
            if email not in used:
                used.add(email)
                break
        row = {
            "staff_id": f"D{len(rows) + 1:05d}",
            "name": f"{first} {last}",
            "email": email,
            "grade": grade,
            "business_unit": unit,
            "line_manager_email": manager,
            "countersigning_email": countersigning,
            "dg_email": dg,
            "start_date": date(rng.randint(2012, 2025), rng.randint(1, 12), 1).isoformat(),
            "location": rng.choice(_LOCATIONS),
            "roles": roles,
            "poor_performance_measures": "no",
        }
        for name, values in _PCS.items():
            # Some people choose not to declare: leave about one in ten blank.
            row[f"pc_{name}"] = "" if rng.random() < 0.1 else rng.choice(values)
        rows.append(row)
        return email

    perm_sec = person("PermSec", "Permanent Secretary's Office", "", "", "")
    for group, directorates in _GROUPS:
        dg = person("SCS3", group, perm_sec, "", "", roles="dg")
        for directorate in directorates:
            director = person("SCS2", directorate, dg, perm_sec, dg)
            for _ in range(rng.choice([2, 3, 3])):
                hr = "hr" if directorate == "People and HR" else ""
                person("SCS1", directorate, director, dg, dg, roles=hr)
    rows[-1]["poor_performance_measures"] = "yes"  # one person, to show the F15 rule
    return rows


def write_demo_roster(path: Path, seed: int = 2026) -> Path:
    rows = demo_rows(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS) + PC_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path
