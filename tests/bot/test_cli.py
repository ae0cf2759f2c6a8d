"""The perfbot command line, run as a user would: a real subprocess on a fresh database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from store import migrate
from tests.conftest import org_rows, write_csv

PERFBOT = [sys.executable, "-m", "bot.cli"]


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PERFBOT_", "DATABASE"))}
    environ.update(env)
    environ["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return subprocess.run(
        PERFBOT + args, cwd=cwd, env=environ, capture_output=True, text=True, timeout=120
    )


def test_help_lists_the_commands(tmp_path: Path) -> None:
    out = run(["--help"], tmp_path)
    assert out.returncode == 0
    for command in ("serve", "db", "roster", "demo"):
        assert command in out.stdout


def test_db_upgrade_then_demo_then_roster(tmp_path: Path) -> None:
    import sqlite3

    out = run(["db", "upgrade"], tmp_path)
    assert out.returncode == 0 and f"revision {migrate.head_revision()}" in out.stdout
    assert (tmp_path / "perfbot.db").exists()  # the default DATABASE_URL
    out = run(["demo"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "57 fictional people with last year's record" in " ".join(out.stdout.split())
    assert "What to try next" in out.stdout
    again = run(["demo"], tmp_path)  # loaded once, never twice over
    assert again.returncode == 0 and "already loaded here (57 people)" in again.stdout
    # A real roster never mixes with the demo: refused, unless the demo is replaced whole.
    roster = write_csv(tmp_path / "roster.csv", org_rows())
    mixed = run(["roster", "import", str(roster)], tmp_path)
    assert mixed.returncode == 2 and "--replace-demo" in mixed.stderr
    bad_rows = org_rows()
    bad_rows[3]["grade"] = "SCS9"
    bad = write_csv(tmp_path / "bad.csv", bad_rows)
    kept = run(["roster", "import", str(bad), "--replace-demo"], tmp_path)
    assert kept.returncode == 1 and "Nothing was changed" in kept.stderr
    with sqlite3.connect(tmp_path / "perfbot.db") as db:  # a bad file leaves the demo whole
        assert db.execute("SELECT count(*) FROM person").fetchone() == (57,)
    replaced = run(["roster", "import", str(roster), "--replace-demo"], tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert "Removed the demo department (57 people and their history)" in replaced.stdout
    with sqlite3.connect(tmp_path / "perfbot.db") as db:
        assert db.execute("SELECT count(*) FROM person").fetchone() == (len(org_rows()),)
        assert db.execute(
            "SELECT count(*) FROM person WHERE email LIKE '%fictional.example'"
        ).fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM indicative_rating").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM audit_log").fetchone()[0] < 100  # the import's
    refused = run(["demo"], tmp_path)
    assert refused.returncode == 1 and "real people" in refused.stderr
    virtual = run(["serve", "--at", "2027-03-31T09:30"], tmp_path, PORT=str(_free_port()))
    assert virtual.returncode == 2 and f"holds {len(org_rows())} real people" in virtual.stderr


def test_bad_roster_prints_one_line_per_problem_and_exits_1(tmp_path: Path) -> None:
    rows = org_rows()
    rows[4]["email"] = "not-an-email"
    rows[5]["grade"] = "SCS7"
    out = run(["roster", "import", str(write_csv(tmp_path / "bad.csv", rows))], tmp_path)
    assert out.returncode == 1
    assert "2 problems. Nothing was changed." in out.stderr
    assert "row 6, column email, value 'not-an-email': not an email address" in out.stderr
    assert "row 7, column grade, value 'SCS7'" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_config_stops_with_the_key_named(tmp_path: Path) -> None:
    (tmp_path / "dept.toml").write_text('[calendar]\nq2_conversation = "05-01"\n')
    out = run(["db", "upgrade"], tmp_path, PERFBOT_CONFIG=str(tmp_path / "dept.toml"))
    assert out.returncode == 2 and "calendar.q2_conversation" in out.stderr


def test_roster_template(tmp_path: Path) -> None:
    assert run(["roster", "template", "t.xlsx"], tmp_path).returncode == 0
    assert (tmp_path / "t.xlsx").stat().st_size > 0
    assert run(["roster", "template", "t.pdf"], tmp_path).returncode == 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_migrates_loads_demo_and_answers_health_checks(tmp_path: Path) -> None:
    """Served as an operator would with LOG_FORMAT=json: every log line is one JSON object,
    and stopping it (SIGTERM, perhaps during a tick) logs no error."""
    import json

    port = _free_port()
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PERFBOT_", "DATABASE", "SLACK_", "MICROSOFT_"))
    }
    environ.update(
        PORT=str(port), PYTHONPATH=str(Path(__file__).resolve().parents[2]), LOG_FORMAT="json"
    )
    proc = subprocess.Popen(
        PERFBOT + ["serve"],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    assert r.status == 200 and b"ready" in r.read()
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("perfbot serve did not become ready")
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            assert r.status == 200
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "Loaded the demo department" in output
    records = [json.loads(line) for line in output.splitlines() if line.startswith('{"time"')]
    messages = " ".join(r["message"] for r in records)
    assert "Slack disabled" in messages and "Teams disabled" in messages
    assert "scheduler started plan=True" in messages  # the scheduler runs in-process
    assert {r["level"] for r in records} <= {"INFO", "WARNING"}, output[-3000:]
    assert "Traceback" not in output


def test_simulate_a_year_prints_a_monthly_summary_and_keeps_it(tmp_path: Path) -> None:
    import sqlite3

    out = run(["simulate", "--year", "2026", "--seed", "3", "--keep", "sim.db"], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "2026-06" in out.stdout and "2027-03" in out.stdout
    assert "0 sent twice; 0 outside working hours." in out.stdout
    # In words: every column defined, kinds of message named plainly, no log lines in it.
    for column in ("Messages", "Told", "Overdue", "Done", "Most sent"):
        assert f"\n{column}: " in out.stdout
    summary = out.stdout.split("The simulated year is kept")[0]
    assert "rating recorded" in summary and "_" not in summary
    assert " INFO " not in out.stdout + out.stderr
    assert "The simulated year is kept in sim.db" in out.stdout
    assert not (tmp_path / "perfbot.db").exists()  # not your database
    with sqlite3.connect(tmp_path / "sim.db") as db:  # no made-up chat ids to send to
        assert db.execute("SELECT count(*) FROM chat_identity").fetchone() == (0,)
    exported = run(
        ["export", "sim.xlsx", "--year", "2026"], tmp_path, DATABASE_URL="sqlite:///sim.db"
    )
    assert exported.returncode == 0 and "57 people" in exported.stdout, exported.stderr
    again = run(["simulate", "--keep", "sim.db"], tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_serve_at_a_moment_runs_on_a_virtual_clock(tmp_path: Path) -> None:
    """A training session on the last day of the year: the demo is as of that day, the
    banner says the clock is make-believe, and the planner plans for that day."""
    import sqlite3

    port = _free_port()
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PERFBOT_", "DATABASE", "SLACK_", "MICROSOFT_"))
    }
    environ.update(PORT=str(port), PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.Popen(
        PERFBOT + ["serve", "--at", "2027-03-31T09:30"],
        cwd=tmp_path, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("perfbot serve --at did not become ready")
                time.sleep(0.2)
        deadline = time.monotonic() + 30
        with sqlite3.connect(tmp_path / "perfbot.db") as db:
            while not db.execute("SELECT count(*) FROM outbox WHERE status='pending'").fetchone()[
                0
            ]:
                assert time.monotonic() < deadline, "the planner planned nothing"
                time.sleep(0.2)
            planned = db.execute(
                "SELECT min(created_at), max(created_at) FROM outbox WHERE status='pending'"
            ).fetchone()
            q4 = db.execute(
                "SELECT count(*) FROM indicative_rating WHERE year=2026 AND quarter=4"
            ).fetchone()[0]
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    said = " ".join(output.split())
    assert "VIRTUAL CLOCK: perfbot is running as if it were Wednesday 31 March 2027, 09:30" in said
    assert planned[0].startswith("2027-03-31") and planned[1].startswith("2027-03-31")
    assert q4 > 0  # the demo as of that day: its Q4 ratings are in


def test_simulate_json_prints_the_figures_and_nothing_else(tmp_path: Path) -> None:
    """One list a person: in the simulated demo year nobody gets more than one scheduled
    message on a working day, nothing twice, nothing outside working hours."""
    import json

    out = run(["simulate", "--year", "2026", "--seed", "3", "--json"], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    figures = json.loads(out.stdout)  # nothing but the JSON on stdout
    assert figures["duplicates"] == 0 and figures["outside_working_hours"] == 0
    assert figures["scheduled_messages_per_person_per_working_day"]["max"] == 1
    assert figures["reminders_carried"] > figures["messages"] > 0  # lists carry several
    assert sum(figures["messages_by_kind"].values()) == figures["messages"]
    assert 0 < figures["loop_messages"] < figures["messages"]  # told of another's action
    assert figures["loop_messages"] == sum(m["loop_messages"] for m in figures["months"].values())
    assert figures["completions"] > 0
    assert set(figures["messages_per_person_per_year"]) == {"p50", "p95", "max"}
    roles = figures["by_role"]  # the same figures for each role
    assert set(roles) == {"director_general", "hr", "line_manager", "job_holder"}
    assert sum(r["people"] for r in roles.values()) == 57  # the demo department, each once
    assert all(r["people"] > 0 for r in roles.values())
    assert roles["director_general"]["messages_per_person_per_year"]["max"] > 0


MISTAKES = {
    "a URL that is not one": (["db", "upgrade"], {"DATABASE_URL": "garbage"},
                              "is not a database URL"),
    "a database that is down": (["export", "hr.xlsx"],
                                {"DATABASE_URL": "postgresql://127.0.0.1:1/perfbot"},
                                "Could not open the database postgresql://127.0.0.1:1/perfbot"),
    "a database perfbot cannot drive": (["demo"], {"DATABASE_URL": "mysql://u:secret@db/x"},
                                        "cannot use the database mysql://u:***@db/x"),
    "a folder that does not exist": (["export", "no/such/folder/hr.xlsx"], {},
                                     "There is no folder no/such/folder"),
    "a roster that is not there": (["roster", "import", "roster.xlsx"], {},
                                   "There is no file at roster.xlsx"),
    "a roster of the wrong kind": (["roster", "import", "roster.txt"], {}, "is not a roster"),
    "a workbook of the wrong kind": (["moderation", "import", "hr.csv"], {},
                                     "is not the HR workbook"),
    "a workbook that is not one": (["moderation", "import", "fake.xlsx"], {},
                                   "is not an .xlsx workbook"),
    "a backup over an earlier one": (["db", "backup", "roster.txt"], {},
                                     "roster.txt already exists: give a new file name"),
    "a backup of PostgreSQL": (["db", "backup", "copy.db"],
                               {"DATABASE_URL": "postgresql://u:secret@127.0.0.1:1/perfbot"},
                               "perfbot backs up SQLite only. For postgresql://u:***@127.0.0.1:1"),
    "a backup of no database": (["db", "backup", "copy.db"], {"DATABASE_URL": "sqlite:///x.db"},
                                "There is no perfbot database at"),
    "the wrong folder": (["export", "hr.xlsx"], {}, "There is no perfbot database at"),
    "an empty database": (["awards", "waiting"], {"DATABASE_URL": "sqlite:///empty.db"},
                          "holds no one yet"),
    "a virtual clock without a time": (["serve", "--at", "2027-03-31"], {},
                                       "--at 2027-03-31: give a date and time like"),
    "a log format that is not one": (["db", "upgrade"], {"LOG_FORMAT": "xml"},
                                     "set it to text (the default) or json"),
}  # fmt: skip


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_users_mistake_is_one_line_and_exit_2(tmp_path: Path, mistake: str) -> None:
    """Errors in words: anything a user can get wrong is one line saying what and what to
    do - no traceback, no password - and nothing is started or written."""
    args, env, said = MISTAKES[mistake]
    (tmp_path / "roster.txt").write_text("name\n")
    (tmp_path / "hr.csv").write_text("a,b\n")
    (tmp_path / "fake.xlsx").write_text("not a workbook")
    (tmp_path / "empty.db").write_bytes(b"")  # SQLite's empty database
    out = run(args, tmp_path, **env)
    assert out.returncode == 2, out.stderr[-1500:]
    assert said in " ".join(out.stderr.split()), out.stderr
    assert "Traceback" not in out.stderr + out.stdout and "secret" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_db_backup_copies_the_database_whole(tmp_path: Path) -> None:
    """A backup of the embedded database is a complete, openable copy; PostgreSQL is sent to
    pg_dump in words."""
    import sqlite3

    assert run(["demo"], tmp_path).returncode == 0
    out = run(["db", "backup", "copy.db"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "57 people" in out.stdout and f"revision {migrate.head_revision()}" in out.stdout
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT count(*) FROM person").fetchone() == (57,)
    assert not list(tmp_path.glob(".*partial"))  # nothing half-written left behind


@pytest.mark.postgres
def test_db_backup_of_postgresql_points_to_pg_dump(tmp_path: Path, postgres_url: str) -> None:
    out = run(["db", "backup", "copy.db"], tmp_path, DATABASE_URL=postgres_url)
    assert out.returncode == 2 and "pg_dump" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "copy.db").exists()


def test_serve_on_a_port_in_use_says_so_and_starts_nothing(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        out = run(["serve", "--no-scheduler"], tmp_path, PORT=str(port))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert f"127.0.0.1:{port}: the port is in use" in out.stderr and "PORT" in out.stderr
    assert not (tmp_path / "perfbot.db").exists()  # nothing started, nothing planned


def test_scheduler_runs_alone_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    import signal

    (tmp_path / "late.toml").write_text('[calendar]\noverall_moderation = "05-20"\n')
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("PERFBOT_", "DATABASE", "SLACK_"))
    }
    environ.update(
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
        PERFBOT_CONFIG=str(tmp_path / "late.toml"),
    )
    proc = subprocess.Popen(
        PERFBOT + ["scheduler"],
        cwd=tmp_path,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    output = ""
    assert proc.stdout is not None
    while "scheduler started" not in output and time.monotonic() < deadline:
        output += proc.stdout.readline()
    time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=30)
    output += rest
    assert proc.returncode == 0, output
    assert "scheduler started plan=True deliver=False" in output
    assert "nudge delivery off: no chat platform is configured" in output
    assert "Overall moderation for" in output  # the calendar warning, at start


def test_export_and_moderation_import_from_the_command_line(tmp_path: Path) -> None:
    assert run(["demo"], tmp_path).returncode == 0
    wrong = run(["export", "hr.csv"], tmp_path)
    assert wrong.returncode == 2 and "is an .xlsx file" in wrong.stderr
    assert not (tmp_path / "hr.csv").exists()
    out = run(["export", "hr.xlsx", "--year", "2026"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Workbook for 2026-27 written to hr.xlsx: 57 people" in " ".join(out.stdout.split())
    same = run(["moderation", "import", "hr.xlsx"], tmp_path)
    assert same.returncode == 0 and "No moderated ratings changed" in same.stdout
    (tmp_path / "notes.xlsx").write_text("not a workbook")
    bad = run(["moderation", "import", "notes.xlsx"], tmp_path)
    assert bad.returncode == 2 and "is not an .xlsx workbook" in bad.stderr


def test_f27_a_rating_review_from_the_command_line_answers_in_words(tmp_path: Path) -> None:
    """F27: HR puts a final rating under review from the CLI; mistakes get one clear line."""
    assert run(["demo"], tmp_path).returncode == 0
    nobody = run(["moderation", "review", "NOSUCH", "--reason", "Grievance"], tmp_path)
    assert nobody.returncode == 1 and "No one in perfbot has staff ID NOSUCH" in nobody.stderr
    unrated = run(["moderation", "review", "D00005", "--reason", "Grievance"], tmp_path)
    assert unrated.returncode == 1, unrated.stdout
    assert "has no final rating for this year, so there is none to review" in unrated.stderr
    assert "Traceback" not in nobody.stderr + unrated.stderr


def test_f15_hr_records_the_chief_secretarys_approval_from_the_command_line(
    tmp_path: Path,
) -> None:
    """F15, guidance FAQ: totals at the £17,500 level "will require Chief Secretary to the
    Treasury approval": HR lists the awards waiting for it and records the answer."""
    from store import services as svc
    from store.config import DepartmentConfig
    from store.db import Database
    from store.models import Award, AwardStatus
    from tests.conftest import NOW, make_org

    db = Database(f"sqlite:///{tmp_path / 'perfbot.db'}")  # the CLI's default DATABASE_URL
    migrate.upgrade(db)
    org, config = make_org(db, tmp_path), DepartmentConfig()
    with db.write() as session:
        for pounds in (5000, 5000, 5000, 2500):
            award = svc.nominate_award(
                session, config=config, actor=org.actor("lm"), nominee_id=org.js,
                amount_pence=pounds * 100, reason="Led the bid", now=NOW,
            )  # fmt: skip
            svc.decide_award(session, config=config, actor=org.actor("dg_a"),
                             award_id=award.id, approve=True, now=NOW)  # fmt: skip
    waiting = run(["awards", "waiting"], tmp_path)
    assert waiting.returncode == 0, waiting.stderr
    assert f"Award {award.id}: Js (S005), £2,500, performance year 2026" in waiting.stdout
    no_ref = run(["awards", "chief-secretary", str(award.id), "--reference", " "], tmp_path)
    assert no_ref.returncode == 1 and "This is required" in no_ref.stderr
    done = run(["awards", "chief-secretary", str(award.id), "--reference", "CST-7"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"Award {award.id} (£2,500) approved: the award is final." in done.stdout
    again = run(["awards", "chief-secretary", str(award.id), "--reference", "CST-8"], tmp_path)
    assert again.returncode == 1
    assert "already recorded (reference CST-7)" in " ".join(again.stderr.split())
    assert "Traceback" not in no_ref.stderr + again.stderr
    with db.read() as session:
        stored = session.get(Award, award.id)
        assert stored is not None and stored.status is AwardStatus.APPROVED
        assert stored.cst_reference == "CST-7" and stored.cst_recorded_by_id is None  # the CLI


def test_export_refuses_a_year_out_of_range(tmp_path: Path) -> None:
    """Hardening: year 0000 or 9999 used to fail silently; now a clear line and exit 2."""
    for year in ("0", "9999"):
        done = run(["export", "hr.xlsx", "--year", year], tmp_path)
        assert done.returncode == 2, done.stderr
        assert "--year" in done.stderr and "Traceback" not in done.stderr
        assert ("2000" if year == "0" else "2100") in done.stderr
    assert not (tmp_path / "hr.xlsx").exists()


def test_export_into_a_missing_folder_says_so_and_leaves_nothing(tmp_path: Path) -> None:
    done = run(["export", "missing/hr.xlsx"], tmp_path)
    assert done.returncode == 2
    assert "There is no folder missing: create it first" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "Exception ignored" not in done.stderr


def test_f18_hr_records_a_department_move_from_the_command_line(tmp_path: Path) -> None:
    """F18, guidance FAQ: someone who moves department "before the 1st January" is moderated
    in the new one: HR records the move (and its date) without editing code or the roster."""
    from sqlmodel import select

    from store.db import Database
    from store.models import Person

    db = Database(f"sqlite:///{tmp_path / 'perfbot.db'}")
    migrate.upgrade(db)
    roster = write_csv(tmp_path / "roster.csv", org_rows())
    assert run(["roster", "import", str(roster)], tmp_path).returncode == 0
    both = run(["roster", "move", "S005", "--on", "2026-12-01"], tmp_path)
    assert both.returncode == 2 and "Give either --to" in both.stderr
    bad_date = run(["roster", "move", "S005", "--on", "1 Dec", "--to", "HMT"], tmp_path)
    assert bad_date.returncode == 2 and "Traceback" not in bad_date.stderr
    moved = run(["roster", "move", "S005", "--on", "2026-12-01", "--to", "HM Treasury"], tmp_path)
    assert moved.returncode == 0, moved.stderr
    assert "Recorded: Js moved to HM Treasury on 1 December 2026." in moved.stdout
    with db.read() as session:
        js = session.exec(select(Person).where(Person.staff_id == "S005")).one()
        assert (js.left_on.isoformat(), js.left_to_department) == ("2026-12-01", "HM Treasury")


def test_f26_hr_releases_the_final_ratings_from_the_command_line(tmp_path: Path) -> None:
    """F26: HR releases the year's moderated ratings with one command; once, and not before
    there is something to release."""
    from datetime import UTC, datetime

    from store import services as svc
    from store.config import DepartmentConfig
    from store.db import Database
    from tests.conftest import end_year_ready, make_org

    db = Database(f"sqlite:///{tmp_path / 'perfbot.db'}")  # the CLI's default DATABASE_URL
    migrate.upgrade(db)
    org, config = make_org(db, tmp_path), DepartmentConfig()
    early = run(["moderation", "release", "--year", "2026"], tmp_path)
    assert early.returncode == 1 and "There is nothing to release" in early.stderr
    written = datetime(2027, 3, 22, 10, tzinfo=UTC)
    with db.write() as session:
        end_year_ready(session, config, written, manager=org.actor("lm"), subject_id=org.js,
                       signers=(org.actor("js"),))  # fmt: skip
        svc.record_moderated_rating(session, config=config, actor=org.actor("hr"),
                                    subject_id=org.js, rating="Achieving", reason="Panel",
                                    now=written, year=2026)  # fmt: skip
    done = run(["moderation", "release"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Released the final ratings for 2026-27" in " ".join(done.stdout.split())
    again = run(["moderation", "release", "--year", "2026"], tmp_path)
    assert again.returncode == 1 and "already released on" in again.stderr
    assert "Traceback" not in early.stderr + again.stderr
    with db.read() as session:
        assert svc.outcome_release(session, 2026) is not None


def test_a_subject_access_request_from_the_command_line(tmp_path: Path) -> None:
    """HR answers a subject access request: JSON and a workbook, audited; anyone else who
    tries is refused in words."""
    roster = write_csv(tmp_path / "roster.csv", org_rows())
    assert run(["roster", "import", str(roster)], tmp_path).returncode == 0
    staff = {r["email"].split("@")[0]: r["staff_id"] for r in org_rows()}
    refused = run(["person", "export", staff["js"], "js.json", "--by", staff["lm"]], tmp_path)
    assert refused.returncode == 1 and "Only HR" in refused.stderr
    assert not (tmp_path / "js.json").exists()
    out = run(["person", "export", staff["js"], "js.json", "--by", staff["hr"]], tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Everything perfbot holds about Js" in out.stdout
    assert (tmp_path / "js.json").is_file() and (tmp_path / "js.xlsx").is_file()
    import json

    assert json.loads((tmp_path / "js.json").read_text())["staff_id"] == staff["js"]


def test_an_erasure_request_from_the_command_line(tmp_path: Path) -> None:
    """HR erases a leaver's records once they type the staff ID; a mistyped confirmation
    erases nothing; someone still working here is refused."""
    import sqlite3

    rows = org_rows()
    leaver = next(r for r in rows if r["email"].startswith("other@"))
    leaver["leaving_date"] = "2026-01-30"
    roster = write_csv(tmp_path / "roster.csv", rows, [*rows[0].keys(), "leaving_date"])
    imported = run(["roster", "import", str(roster)], tmp_path)
    assert imported.returncode == 0, imported.stderr
    staff = {r["email"].split("@")[0]: r["staff_id"] for r in rows}
    erase = [*PERFBOT, "person", "erase", staff["other"], "--by", staff["hr"]]
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PERFBOT_", "DATABASE"))}
    environ["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    wrong = subprocess.run(erase, cwd=tmp_path, env=environ, input="nope\n",
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert wrong.returncode == 1 and "Not confirmed: nothing was erased" in wrong.stderr
    typed = subprocess.run(erase, cwd=tmp_path, env=environ, input=f"{staff['other']}\n",
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert typed.returncode == 0, typed.stderr
    assert "Erased Other's records" in typed.stdout
    with sqlite3.connect(tmp_path / "perfbot.db") as db:
        assert (
            db.execute("SELECT name FROM person WHERE staff_id = ?", (staff["other"],)).fetchone()
            is None
        )  # their staff ID is gone with their name
    working = run(["person", "erase", staff["js"], "--by", staff["hr"], "--yes"], tmp_path)
    assert working.returncode == 1 and "still works here" in working.stderr
