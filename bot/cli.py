"""The ``perfbot`` command line. ``perfbot --help`` lists everything it can do."""

from __future__ import annotations

import errno
import logging
import os
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from bot import logs
from bot.assets import asset
from store import migrate
from store.db import (
    Database,
    DatabaseUnavailable,
    database_errors,
    normalise_url,
    shown_url,
    sqlite_path,
)
from store.errors import PerfbotError
from store.framework import performance_year_of
from store.models import Via
from store.roster import RosterError, import_roster, write_template
from store.services import Actor, local_date
from store.settings import Settings

logger = logging.getLogger("perfbot")
console = Console()
err = Console(stderr=True)

app = typer.Typer(
    help="perfbot: runs the Senior Civil Service performance year from Slack and Teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals may hold personal data
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
roster_app = typer.Typer(
    help="Import the roster of SCS members (xlsx or csv).", no_args_is_help=True
)
app.add_typer(db_app, name="db")
app.add_typer(roster_app, name="roster")
teams_app = typer.Typer(help="Microsoft Teams: the app package.", no_args_is_help=True)
app.add_typer(teams_app, name="teams")
moderation_app = typer.Typer(
    help="Moderation: read moderated ratings back from the HR workbook.", no_args_is_help=True
)
app.add_typer(moderation_app, name="moderation")
awards_app = typer.Typer(
    help="In-year awards: record the Chief Secretary to the Treasury's approval.",
    no_args_is_help=True,
)
app.add_typer(awards_app, name="awards")
person_app = typer.Typer(help="One person's data: a subject access request.", no_args_is_help=True)
app.add_typer(person_app, name="person")


def _now() -> datetime:
    return datetime.now(UTC)


def _settings() -> Settings:
    try:
        settings = Settings()
        settings.department()  # validate the department config once, at start
        return settings
    except PerfbotError as exc:
        err.print(f"[red]Config error:[/red] {exc.message}")
        raise typer.Exit(2) from None


@contextmanager
def _database_errors(url: str) -> Iterator[None]:
    """A database named wrongly, or down, is one line and exit 2 - never a traceback."""
    try:
        with database_errors(url):
            yield
    except DatabaseUnavailable as exc:
        _fail(exc.message)


def _fail(message: str) -> NoReturn:
    """A mistake the user can put right: one line (never wrapped into several), exit 2."""
    err.print(f"[red]{message}[/red]", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _readable(file: Path, kinds: tuple[str, ...], what: str) -> None:
    """The file to read exists, is of a kind perfbot reads, and can be opened."""
    if file.suffix.lower() not in kinds:
        _fail(f"{file.name} is not {what}: give an {' or '.join(kinds)} file.")
    if not file.is_file():
        _fail(f"There is no file at {file}: check the name and the folder you are in.")
    try:
        with file.open("rb"):
            pass
    except OSError as exc:
        _fail(f"{file} could not be read: {exc.strerror}.")
    if file.suffix.lower() == ".xlsx" and not zipfile.is_zipfile(file):
        _fail(f"{file.name} is not an .xlsx workbook: open it in Excel and save it as .xlsx.")


def _database(settings: Settings, *, with_people: bool = False) -> Database:
    """The database at DATABASE_URL, migrated. ``with_people``: a command that reads the
    record refuses a database that does not exist or holds no one - run from the wrong
    folder, it would otherwise make an empty one and report on nobody."""
    file = sqlite_path(normalise_url(settings.database_url))
    if with_people and file is not None and not file.is_file():
        _fail(
            f"There is no perfbot database at {file.resolve()}: run this in the folder that "
            "holds perfbot.db, or set DATABASE_URL."
        )
    with _database_errors(settings.database_url):
        db = Database(settings.database_url)
        migrate.upgrade(db)
    if with_people and _people_count(db)[0] == 0:
        _fail(
            f"The database {shown_url(settings.database_url)} holds no one yet: check "
            "DATABASE_URL, or import a roster first (perfbot roster import FILE)."
        )
    return db


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err,
        transient=True,
    )


def _person(session: Any, staff_id: str) -> Any:
    """The person with this staff ID, or one clear line and exit 1."""
    from store import queries

    person = queries.person_by_staff_id(session, staff_id)
    if person is None or person.id is None:
        err.print(f"[red]No one in perfbot has staff ID {staff_id}.[/red]")
        raise typer.Exit(1)
    return person


def _import(db: Database, settings: Settings, path: Path, *, quiet: bool = False) -> None:
    config = settings.department()
    now = _now()
    with _progress() as bar:
        task = bar.add_task("Reading roster", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        with db.write() as session:
            result = import_roster(
                session,
                path=path,
                actor=Actor.system(Via.CLI),
                now=now,
                today=local_date(config, now),
                progress=progress,
                limits=config.roster,
            )
    if quiet:
        return
    console.print(f"Roster imported from {path.name}: {result.summary()}.")
    if result.pc_columns:
        console.print(
            "Protected characteristics stored apart (aggregates only): "
            + ", ".join(result.pc_columns)
        )


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    form = os.environ.get("LOG_FORMAT", "text").strip().lower() or "text"
    if form not in ("text", "json"):
        _fail(f"LOG_FORMAT is '{form}': set it to text (the default) or json.")
    logs.configure(verbose=verbose, form=form)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database named by DATABASE_URL to the latest schema."""
    settings = _settings()
    with _database_errors(settings.database_url):
        db = Database(settings.database_url)
        before = migrate.current_revision(db)
        migrate.upgrade(db)
        after = migrate.current_revision(db)
    console.print(
        f"Database at revision {after}"
        + ("" if before == after else f" (was {before or 'empty'})")
        + "."
    )


@db_app.command("backup")
def db_backup(
    out: Annotated[Path, typer.Argument(help="Where to write the copy (a new .db file).")],
) -> None:
    """Copy the SQLite database to a file, safely while perfbot runs (PostgreSQL: use pg_dump)."""
    settings = _settings()
    if out.exists():
        _fail(f"{out} already exists: give a new file name, so no earlier backup is lost.")
    if not out.parent.is_dir():
        _fail(f"There is no folder {out.parent}: create it first, or give another path.")
    file = sqlite_path(normalise_url(settings.database_url))
    if file is not None and not file.is_file():
        _fail(
            f"There is no perfbot database at {file.resolve()}: run this in the folder that "
            "holds perfbot.db, or set DATABASE_URL."
        )
    with _database_errors(settings.database_url):
        db = Database(settings.database_url)
        try:
            db.backup(out)
        except DatabaseUnavailable as exc:
            _fail(exc.message)
        except OSError as exc:
            _fail(f"The backup could not be written to {out}: {exc.strerror}.")
        copy = Database(f"sqlite:///{out}")
        people, _demo = _people_count(copy)
        revision = migrate.current_revision(copy)
        copy.dispose()
    console.print(
        f"Backed up {shown_url(settings.database_url)} to {out}: {people} people, schema "
        f"revision {revision}. Restore by pointing DATABASE_URL at the copy.",
        highlight=False,
        soft_wrap=True,
    )


@roster_app.command("import")
def roster_import(
    file: Annotated[Path, typer.Argument(help="Roster .xlsx or .csv (see 'roster template').")],
    replace_demo: Annotated[
        bool,
        typer.Option(
            "--replace-demo",
            help="This database holds the fictional demo: remove it whole, history included, "
            "and import the roster in its place.",
        ),
    ] = False,
) -> None:
    """Import or update the roster. A file with any bad row changes nothing."""
    _readable(file, (".xlsx", ".csv"), "a roster")
    settings = _settings()
    db = _database(settings)
    total, real = _people_count(db)
    demo = total - real
    if demo and not replace_demo:
        _fail(
            f"This database holds the fictional demo department ({demo} people), which would "
            "mix with your roster in every workbook. Add --replace-demo to remove the demo "
            "whole, or set DATABASE_URL to a new database."
        )
    if replace_demo and not demo:
        _fail("There is no demo department here to replace: leave out --replace-demo.")
    if replace_demo and real:
        _fail(
            f"This database holds {real} real people beside the demo, so perfbot will not empty "
            "it. Import into a new database (DATABASE_URL) instead."
        )
    try:
        if replace_demo:
            _check_roster(settings, file)  # a bad file leaves the demo as it was
            migrate.reset(db)
            console.print(f"Removed the demo department ({demo} people and their history).")
        _import(db, settings, file)
    except RosterError as exc:
        err.print(f"[red]{exc.message}[/red]")
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False, highlight=False)
        raise typer.Exit(1) from None


def _check_roster(settings: Settings, file: Path) -> None:
    """Import ``file`` into a throwaway database: the same checks, nothing kept."""
    scratch = Database("sqlite://")
    migrate.upgrade(scratch)
    try:
        _import(scratch, settings, file, quiet=True)
    finally:
        scratch.dispose()


@roster_app.command("move")
def roster_move(
    staff_id: Annotated[str, typer.Argument(help="The person's staff ID.")],
    on: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="The date of the move (YYYY-MM-DD).")
    ],
    to: Annotated[str | None, typer.Option(help="The department they moved to.")] = None,
    from_: Annotated[
        str | None, typer.Option("--from", help="The department they moved from.")
    ] = None,
) -> None:
    """Record a move to or from another department (it decides who moderates them). Kept when
    a later roster file does not mention it. Audited."""
    from store.services import record_department_move

    if (to is None) == (from_ is None):
        err.print("[red]Give either --to (a move out) or --from (a move in).[/red]")
        raise typer.Exit(2)
    settings = _settings()
    config = settings.department()
    db = _database(settings, with_people=True)
    with db.write() as session:
        person = _person(session, staff_id)
        day = on.date()
        record_department_move(
            session, config=config, actor=Actor.system(Via.CLI), subject_id=person.id,
            now=_now(), joined_from=from_, joined_on=day if from_ else None, left_to=to,
            left_on=day if to else None,
        )  # fmt: skip
        name = person.name
    where = f"moved to {to}" if to else f"joined from {from_}"
    console.print(f"Recorded: {name} {where} on {day.day} {day:%B %Y}.")


@roster_app.command("template")
def roster_template(
    file: Annotated[
        Path, typer.Argument(help="Where to write it (.xlsx with a column guide, or .csv).")
    ],
) -> None:
    """Write an empty roster with the expected columns and a guide to each."""
    try:
        write_template(file)
    except PerfbotError as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from None
    console.print(f"Template written to {file}.")


def _load_demo(db: Database, settings: Settings, *, now: datetime | None = None) -> None:
    """The fictional department with last year's record and this year's so far, in one
    transaction (all of it, or nothing)."""
    from store.demo import DEMO_DEPARTMENT, write_demo_roster
    from store.demo_year import record_demo_years

    config = settings.department()
    now = now or _now()
    with console.status("Loading the demo department and its year so far..."):
        with tempfile.TemporaryDirectory() as tmp, db.write() as session:
            result = import_roster(
                session,
                path=write_demo_roster(Path(tmp) / "demo-roster.csv"),
                actor=Actor.system(Via.CLI),
                now=now,
                today=local_date(config, now),
                limits=config.roster,
            )
            made = record_demo_years(session, config, now=now)
    console.print(
        f"Loaded the demo department ({DEMO_DEPARTMENT}): {result.created} fictional people "
        f"with last year's record and this year's so far - {made.ratings} quarterly ratings, "
        f"{made.write_ups} write-ups, {made.awards} in-year awards and {made.moderated} "
        "moderated ratings" + (", and a development plan." if made.plans else "."),
        highlight=False,
        soft_wrap=True,
    )


def _people_count(db: Database) -> tuple[int, int]:
    from store.demo import DEMO_DOMAIN
    from store.queries import people_counts

    return db.run(lambda session: people_counts(session, DEMO_DOMAIN))


@app.command()
def demo(
    force: Annotated[
        bool,
        typer.Option(
            help="Load even though real people are stored (they would be marked as left)."
        ),
    ] = False,
) -> None:
    """Load a fictional department with a year in progress, and say what to try next."""
    settings = _settings()
    db = _database(settings)
    total, real = _people_count(db)
    if real and not force:
        err.print(
            f"[red]This database holds {real} real people; loading the demo would mark "
            "them as left. Use another DATABASE_URL, or --force.[/red]"
        )
        raise typer.Exit(1)
    if total - real:
        console.print(f"The demo department is already loaded here ({total - real} people).")
        _what_next(settings)
        return
    _load_demo(db, settings)
    _what_next(settings)


@app.command()
def export(
    file: Annotated[Path, typer.Argument(help="Where to write the workbook (.xlsx).")],
    year: Annotated[
        int | None,
        typer.Option(
            min=2000,
            max=2100,
            help="Performance year by its first calendar year (2026 = 2026-27).",
        ),
    ] = None,
) -> None:
    """Write the HR workbook: ratings, awards, distribution, consistency check, Cabinet
    Office return and a moderation pack per business unit."""
    from store.workbook import export_workbook

    if file.suffix.lower() != ".xlsx":
        _fail(f"{file.name}: the workbook is an .xlsx file; name it so.")
    if not file.parent.is_dir():
        _fail(f"There is no folder {file.parent}: create it first, or give another path.")
    settings = _settings()
    config = settings.department()
    db = _database(settings, with_people=True)
    now = _now()
    year = year or performance_year_of(local_date(config, now), config.year.start_month)
    with _progress() as bar:
        task = bar.add_task("Writing the workbook", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = export_workbook(
                db,
                config,
                file,
                actor=Actor.system(Via.CLI),
                now=now,
                year=year,
                progress=progress,
            )
        except OSError as exc:  # no permission, a full disk
            _fail(f"The workbook could not be written to {file}: {exc.strerror}.")
        except PerfbotError:
            raise
        except Exception:  # whatever it was, the person who asked hears so, in words
            logger.exception("workbook export failed")
            err.print(
                "[red]The workbook could not be made, so nothing was written. The error is "
                "in the log above.[/red]"
            )
            raise typer.Exit(1) from None
    console.print(
        f"Workbook for {result.year}-{str(result.year + 1)[2:]} written to {file}: "
        f"{result.people} people, {len(result.moderation_sheets)} moderation packs."
    )


@moderation_app.command("import")
def moderation_import(
    file: Annotated[Path, typer.Argument(help="A workbook from 'perfbot export', edited.")],
) -> None:
    """Record the moderated ratings edited in a workbook's moderation packs. One bad cell and
    nothing changes."""
    from store.workbook.moderation_import import ModerationImportError, import_moderation

    _readable(file, (".xlsx",), "the HR workbook")
    settings = _settings()
    config = settings.department()
    db = _database(settings, with_people=True)
    try:
        result = import_moderation(db, config, file, actor=Actor.system(Via.CLI), now=_now())
    except ModerationImportError as exc:
        if exc.unreadable:  # the wrong file: one line, as for any file perfbot cannot read
            _fail(exc.message)
        err.print(f"[red]{exc.message}[/red]")
        for problem in exc.problems:
            err.print(f"  {problem}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    if not result.changes:
        console.print("No moderated ratings changed: the workbook matches perfbot.")
        return
    console.print(f"Recorded {len(result.changes)} moderated ratings:")
    for change in result.changes:
        console.print(f"  {change}", markup=False, highlight=False)


@moderation_app.command("review")
def moderation_review(
    staff_id: Annotated[str, typer.Argument(help="The job holder's staff ID.")],
    reason: Annotated[str, typer.Option(help="Why (the grievance, or the review's finding).")],
    outcome: Annotated[
        str | None,
        typer.Option(help="The review's outcome, a box rating; leave out to open the review."),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(min=2000, max=2100, help="Performance year (2026 = 2026-27)."),
    ] = None,
) -> None:
    """Put a final rating under review (a grievance), or record the review's outcome, which
    becomes the final rating. Audited with the reason."""
    from store.services import close_rating_review, open_rating_review

    settings = _settings()
    config = settings.department()
    db = _database(settings, with_people=True)
    with db.write() as session:
        person = _person(session, staff_id)
        actor, now = Actor.system(Via.CLI), _now()
        if outcome is None:
            open_rating_review(
                session, config=config, actor=actor, subject_id=person.id, reason=reason,
                now=now, year=year,
            )  # fmt: skip
            console.print(f"{person.name}'s final rating is now under review.")
        else:
            row = close_rating_review(
                session, config=config, actor=actor, subject_id=person.id, outcome=outcome,
                reason=reason, now=now, year=year,
            )  # fmt: skip
            label = row.outcome.label if row.outcome else ""
            console.print(f"Review recorded: {person.name}'s final rating is {label}.")


@person_app.command("export")
def person_export(
    staff_id: Annotated[str, typer.Argument(help="Whose data: their staff ID.")],
    out: Annotated[
        Path, typer.Argument(help="Where to write it: NAME.json and NAME.xlsx are both written.")
    ],
    by: Annotated[
        str, typer.Option("--by", help="Staff ID of the HR person answering the request.")
    ],
) -> None:
    """Everything perfbot holds about one person (a subject access request): JSON for systems
    and a workbook the person can read. HR only; audited."""
    from store.errors import PermissionDenied
    from store.subject_access import subject_access, write_subject_access

    if out.suffix.lower() not in (".json", ".xlsx", ""):
        _fail(f"{out.name}: give a name ending .json or .xlsx (both files are written).")
    if not out.parent.is_dir():
        _fail(f"There is no folder {out.parent}: create it first, or give another path.")
    settings = _settings()
    db = _database(settings, with_people=True)
    try:
        with db.write() as session:
            asking = _person(session, by)
            subject = _person(session, staff_id)
            held = subject_access(
                session, actor=Actor(asking.id, Via.CLI), subject_id=subject.id, now=_now()
            )
            zone = ZoneInfo(settings.department().department.timezone)
            files = write_subject_access(held, out.with_suffix(""), zone)
    except PermissionDenied as exc:
        err.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    except OSError as exc:
        _fail(f"The export could not be written to {out.parent}: {exc.strerror}.")
    count = sum(len(v) for v in held.values() if isinstance(v, list))
    console.print(
        f"Everything perfbot holds about {held['person']} ({count} records): {files[0]} and "
        f"{files[1]}. It holds personal data: send it to them securely.",
        highlight=False,
        soft_wrap=True,
    )


@person_app.command("erase")
def person_erase(
    staff_id: Annotated[str, typer.Argument(help="Whose records: their staff ID.")],
    by: Annotated[
        str, typer.Option("--by", help="Staff ID of the HR person granting the request.")
    ],
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask to confirm (for scripts).")
    ] = False,
) -> None:
    """Erase everything perfbot holds about someone who has left (a lawful erasure request).
    HR only; asks you to type the staff ID to confirm; recorded in the audit log as counts."""
    from store.errors import Conflict, PermissionDenied
    from store.retention import erase_on_request

    settings = _settings()
    db = _database(settings, with_people=True)
    with db.read() as session:
        subject = _person(session, staff_id)
        name = subject.name
    if not yes:
        typed = typer.prompt(
            f"This erases every record about {name} and cannot be undone. Type their staff "
            "ID to confirm",
            default="",
            show_default=False,
        )
        if typed.strip() != staff_id:
            err.print("[red]Not confirmed: nothing was erased.[/red]")
            raise typer.Exit(1)
    try:
        with db.write() as session:
            asking = _person(session, by)
            removed = erase_on_request(
                session,
                actor=Actor(asking.id, Via.CLI),
                subject_id=subject.id,
                now=_now(),
                config=settings.department(),
            )
    except (PermissionDenied, Conflict) as exc:
        err.print(f"[red]{exc.message} Nothing was erased.[/red]", highlight=False)
        raise typer.Exit(1) from None
    console.print(
        f"Erased {name}'s records: {sum(removed.values())} rows. Their name and email are "
        "replaced; the audit log keeps only the counts.",
        highlight=False,
    )


@awards_app.command("waiting")
def awards_waiting() -> None:
    """List the in-year awards a Director General approved that wait for the Chief Secretary
    to the Treasury's approval (the year's total reached the threshold)."""
    from store import queries
    from store.framework import format_pence

    settings = _settings()
    db = _database(settings, with_people=True)
    with db.read() as session:
        rows = queries.awards_awaiting_cst_list(session)
        if not rows:
            console.print("No in-year awards are waiting for the Chief Secretary's approval.")
            return
        console.print(f"{len(rows)} in-year awards wait for the Chief Secretary's approval:")
        for award, person in rows:
            console.print(
                f"  Award {award.id}: {person.name} ({person.staff_id}), "
                f"{format_pence(award.amount_pence)}, performance year {award.year}",
                markup=False,
                highlight=False,
            )


@awards_app.command("chief-secretary")
def awards_chief_secretary(
    award_id: Annotated[int, typer.Argument(help="The award's ID (the workbook's Awards sheet).")],
    reference: Annotated[str, typer.Option(help="The approval's reference, for the record.")],
    refused: Annotated[
        bool, typer.Option("--refused", help="The Chief Secretary refused it.")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why (required when refused).")] = None,
) -> None:
    """Record the Chief Secretary to the Treasury's answer on an award waiting for it. Approved,
    the award is final and counts as paid; refused, it is rejected. Audited."""
    from store.framework import format_pence
    from store.services import record_cst_decision

    settings = _settings()
    db = _database(settings, with_people=True)
    with db.write() as session:
        award = record_cst_decision(
            session, actor=Actor.system(Via.CLI), award_id=award_id, approved=not refused,
            reference=reference, reason=reason, now=_now(),
        )  # fmt: skip
        amount = format_pence(award.amount_pence)
    verdict = "refused: the award is rejected" if refused else "approved: the award is final"
    console.print(f"Award {award_id} ({amount}) {verdict}.")


@moderation_app.command("release")
def moderation_release(
    year: Annotated[
        int | None,
        typer.Option(min=2000, max=2100, help="Performance year (2026 = 2026-27)."),
    ] = None,
) -> None:
    """Release the year's moderated ratings: each job holder and line manager is then told the
    final rating in chat (with the reason when it differs from the recommendation). Once only;
    nothing moderated reaches a job holder before it. Audited."""
    from store.framework import year_label
    from store.services import release_outcomes

    settings = _settings()
    config = settings.department()
    db = _database(settings, with_people=True)
    with db.write() as session:
        release = release_outcomes(
            session, config=config, actor=Actor.system(Via.CLI), now=_now(), year=year
        )
        label = year_label(release.year, config.year.start_month)
    console.print(
        f"Released the final ratings for {label}. Everyone with a final rating, and their line "
        "manager, will be told in chat within the next few minutes of their working hours."
    )


@teams_app.command("package")
def teams_package(
    out: Annotated[Path, typer.Argument(help="Where to write the app package (.zip).")],
    app_id: Annotated[
        str | None,
        typer.Option(help="The bot's Microsoft App ID (default: MICROSOFT_APP_ID)."),
    ] = None,
) -> None:
    """Zip teams/manifest.json (with the app id filled in) and its icons for sideloading."""
    from bot.teams.package import write_package

    app_id = app_id or os.environ.get("MICROSOFT_APP_ID", "")
    if not app_id:
        err.print("[red]Give the bot's Microsoft App ID: --app-id or MICROSOFT_APP_ID.[/red]")
        raise typer.Exit(2)
    try:
        write_package(out, app_id)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(
        f"Teams app package written to {out}. Upload it in Teams: Apps > Manage your apps."
    )


def _what_next(settings: Settings, *, now: datetime | None = None) -> None:
    config = settings.department()
    last = performance_year_of(local_date(config, now or _now()), config.year.start_month) - 1
    console.print(
        "\nWhat to try next:\n"
        f"  perfbot export demo.xlsx --year {last}  last year's HR workbook, moderated\n"
        "  perfbot export now.xlsx               this year's so far\n"
        "  perfbot roster template roster.xlsx   a roster for your own department\n"
        "  DATABASE_URL=sqlite:///real.db perfbot roster import roster.xlsx\n"
        "                                        load it into a database of its own\n"
        f"  curl http://{settings.host}:{settings.port}/readyz   once 'perfbot serve' runs\n"
        "  Slack and Teams switch on when their tokens are set (see README)."
    )


@app.command()
def scheduler(
    plan: Annotated[
        bool,
        typer.Option(
            "--plan/--no-plan",
            help="Run the planner here (one replica plans at a time; others wait).",
        ),
    ] = True,
    deliver: Annotated[
        bool, typer.Option("--deliver/--no-deliver", help="Send nudges from this process.")
    ] = True,
) -> None:
    """Run only the scheduler (planner and nudge delivery), without the web server."""
    import asyncio
    import signal

    from bot.app import build_scheduler, settle_heap

    settings = _settings()
    db = _database(settings)

    async def run() -> None:
        runner = build_scheduler(db, settings, plan_enabled=plan, deliver_enabled=deliver)
        settle_heap()
        runner.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        runner.shutdown()

    asyncio.run(run())


@app.command()
def simulate(
    year: Annotated[
        int | None,
        typer.Option(help="Performance year to simulate (start year); default: the current one."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same year.")] = 1,
    diligence: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of people who act on their nudges.")
    ] = 0.7,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the figures as JSON (nothing else).")
    ] = False,
    keep: Annotated[
        Path | None,
        typer.Option(
            "--keep",
            metavar="FILE.db",
            help="Keep the simulated year in this new SQLite file, to export or serve.",
        ),
    ] = None,
) -> None:
    """A year in a minute: the demo department on a virtual clock, in a throwaway database
    (or one you keep)."""
    from rich.table import Table

    from scheduler.simulate import KIND_NAMES, forget_simulated_chat, simulate_year
    from store.demo import write_demo_roster
    from store.framework import year_label, year_start
    from store.roster import import_roster

    settings = _settings()
    config = settings.department()
    start_year = year or performance_year_of(local_date(config, _now()), config.year.start_month)
    if keep is not None and keep.exists():
        _fail(f"{keep} already exists: give a new file name for the simulated year.")
    if keep is not None and not keep.parent.is_dir():
        _fail(f"There is no folder {keep.parent}: create it first, or give another path.")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{keep or Path(tmp) / 'simulation.db'}")
        migrate.upgrade(db)
        loaded = datetime.combine(
            year_start(start_year, config.year.start_month), datetime.min.time(), tzinfo=UTC
        )
        with db.write() as session:
            import_roster(
                session,
                path=write_demo_roster(Path(tmp) / "demo.csv"),
                actor=Actor.system(Via.CLI),
                now=loaded,
                today=loaded.date(),
            )
        # The planner's and sender's progress lines would run through the summary: only
        # warnings and errors while the year runs.
        logging.disable(logging.INFO)
        try:
            if as_json:
                result = simulate_year(
                    db, config, start_year=start_year, seed=seed, diligence=diligence
                )
            else:
                label = year_label(start_year, config.year.start_month)
                with console.status(f"Simulating {label}..."):
                    result = simulate_year(
                        db, config, start_year=start_year, seed=seed, diligence=diligence
                    )
        finally:
            logging.disable(logging.NOTSET)
        if keep is not None:
            forget_simulated_chat(db)
        db.dispose()
    if as_json:
        import json

        print(json.dumps({"year": start_year, "seed": seed, **result.figures()}, indent=2))
        return
    table = Table(
        title=f"perfbot simulation of {year_label(start_year)} (demo department, "
        f"{diligence:.0%} diligent)"
    )
    columns = {
        "Month": "the calendar month",
        "Messages": "chat messages sent (a day's to-do list counts as one)",
        "Told": "of those, messages telling someone what another person did",
        "Overdue": "reminders about overdue tasks, in lists or alone",
        "Done": "tasks people completed after a message",
        "Most sent": "the three kinds of message sent most that month",
    }
    for column in columns:
        table.add_column(column, justify="left" if column in ("Month", "Most sent") else "right")
    for month, row in sorted(result.months.items()):
        top = ", ".join(f"{KIND_NAMES.get(k, k)} {n}" for k, n in row.nudges.most_common(3))
        table.add_row(
            month,
            str(sum(row.nudges.values())),
            str(row.loop),
            str(row.escalations),
            str(sum(row.completions.values())),
            top,
        )
    console.print(table)
    for column, meaning in columns.items():
        console.print(f"[bold]{column}[/bold]: {meaning}.", soft_wrap=True)
    loop = sum(row.loop for row in result.months.values())
    people = len(result.per_person_year)
    console.print(
        f"\n{result.sent:,} messages to {people} people ({loop:,} of them telling someone of "
        f"another's action); {result.duplicates} sent twice; {result.outside_hours} outside "
        "working hours.",
        soft_wrap=True,
    )
    if keep is not None:
        console.print(
            f"The simulated year is kept in {keep}: DATABASE_URL=sqlite:///{keep} perfbot export "
            f"sim.xlsx --year {start_year}, or serve it with --at a date in that year.",
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default $HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default $PORT or 3000).")] = None,
    with_scheduler: Annotated[
        bool, typer.Option("--scheduler/--no-scheduler", help="Run the scheduler in this process.")
    ] = True,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="YYYY-MM-DDTHH:MM",
            help="Run on a virtual clock that starts at this moment (the department's time), "
            "for training sessions and trials.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="With --at: run even though real people are stored.")
    ] = False,
) -> None:
    """Run perfbot: migrate the database, load the demo if it is empty, start the web server
    and the scheduler."""
    from aiohttp import web

    from bot.app import web_app

    settings = _settings()
    config = settings.department()
    clock = _virtual_clock(at, config) if at else None
    where, on = host or settings.host, port or settings.port
    _port_free(where, on)  # before anything starts: a failed start plans nothing
    db = _database(settings)
    total, real = _people_count(db)
    if clock is not None and real and not force:
        _fail(
            f"This database holds {real} real people: a virtual clock would send them "
            "reminders for a day that is not today. Use the demo's database, or --force."
        )
    if total == 0:
        _load_demo(db, settings, now=clock.now() if clock else None)
        _what_next(settings, now=clock.now() if clock else None)
    _say_where(settings, config)
    if clock is not None:
        shown = clock.now().astimezone(ZoneInfo(config.department.timezone))
        err.print(
            f"[bold red]VIRTUAL CLOCK: perfbot is running as if it were "
            f"{shown:%A} {shown.day} {shown:%B %Y, %H:%M} and the time runs on from there. "
            "For training and trials only - every date it shows and sends is make-believe."
            "[/bold red]",
            highlight=False,
        )
    try:
        web.run_app(
            web_app(db, settings, with_scheduler=with_scheduler, clock=clock),
            host=where,
            port=on,
            print=lambda text: console.print(text.strip()),
        )
    except OSError as exc:  # the port was taken between the check and the start
        _fail(f"perfbot could not listen on {where}:{on} ({exc.strerror}). {PORT_HINT}")


def _virtual_clock(at: str, config: Any) -> Any:
    """``--at`` as a clock, read in the department's time zone."""
    from store.clock import StartedAt

    zone = ZoneInfo(config.department.timezone)
    try:
        start = datetime.strptime(at, "%Y-%m-%dT%H:%M").replace(tzinfo=zone)
    except ValueError:
        _fail(f"--at {at}: give a date and time like 2027-03-31T09:30.")
    return StartedAt(start)


PORT_HINT = "Stop what uses it, or choose another port with PORT=... or --port."


def _port_free(host: str, port: int) -> None:
    import socket

    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        reason = "the port is in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        _fail(f"perfbot cannot listen on {host}:{port}: {reason}. {PORT_HINT}")


def _say_where(settings: Settings, config: Any) -> None:
    """Where this perfbot keeps its data and settings, and which chat platforms are on."""
    shown = shown_url(settings.database_url)
    if settings.perfbot_config is None:
        department = (
            f"{config.department.name} - the built-in fictional department; set "
            f"PERFBOT_CONFIG to your own ({asset('config', 'department.example.toml')} shows "
            "every setting)"
        )
    else:
        department = f"{config.department.name}, from {settings.perfbot_config.resolve()}"
    platforms = [
        name
        for name, on in (("Slack", settings.slack_enabled), ("Teams", settings.teams_enabled))
        if on
    ]
    console.print(f"Database: {shown}", highlight=False, soft_wrap=True)
    console.print(f"Department: {department}", highlight=False, soft_wrap=True)
    console.print(
        "Chat: " + (" and ".join(platforms) + " on" if platforms else "none yet (see README)"),
        highlight=False,
    )


def main() -> None:
    try:
        app()
    except PerfbotError as exc:
        err.print(f"[red]{exc.message}[/red]")
        sys.exit(1)


if __name__ == "__main__":
    main()
