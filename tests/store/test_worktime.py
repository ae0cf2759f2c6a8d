"""Working days per UK nation and working hours across the clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime

from store.config import DepartmentConfig
from store.framework import Nation
from store.worktime import WorkingTime

WORK = WorkingTime(DepartmentConfig())
ENG, SCT, NIR, WLS = Nation.ENGLAND, Nation.SCOTLAND, Nation.NORTHERN_IRELAND, Nation.WALES


def test_weekends_and_each_nations_bank_holidays() -> None:
    assert not WORK.is_working_day(date(2026, 7, 18), ENG)  # Saturday
    assert not WORK.is_working_day(date(2026, 11, 30), SCT)  # St Andrew's Day
    assert WORK.is_working_day(date(2026, 11, 30), ENG)
    assert not WORK.is_working_day(date(2026, 8, 3), SCT)  # Scottish summer holiday
    assert WORK.is_working_day(date(2026, 8, 3), ENG)
    assert not WORK.is_working_day(date(2026, 8, 31), ENG) and not WORK.is_working_day(
        date(2026, 8, 31), WLS
    )  # England and Wales summer holiday
    assert WORK.is_working_day(date(2026, 8, 31), SCT)
    assert not WORK.is_working_day(date(2027, 3, 17), NIR)  # St Patrick's Day
    assert WORK.is_working_day(date(2027, 3, 17), ENG)


def test_adding_and_counting_working_days() -> None:
    # Q3 deadline Thursday 31 Dec 2026: Christmas, Boxing Day (substitute) and New Year.
    assert WORK.add_working_days(date(2026, 12, 31), 3, ENG) == date(2027, 1, 6)
    assert WORK.add_working_days(date(2026, 12, 31), 3, SCT) == date(2027, 1, 7)  # 2 Jan too
    assert WORK.add_working_days(date(2026, 12, 31), -5, ENG) == date(2026, 12, 22)
    assert WORK.working_days_between(date(2026, 7, 17), date(2026, 7, 20), ENG) == 1


def test_next_slot_waits_for_working_hours_across_clock_changes() -> None:
    # Friday evening in summer -> Monday 09:00 BST (08:00 UTC).
    assert WORK.next_slot(datetime(2026, 7, 17, 17, 30, tzinfo=UTC), ENG) == datetime(
        2026, 7, 20, 8, 0, tzinfo=UTC
    )
    # Saturday 24 October; clocks go back on the 25th -> Monday 09:00 GMT (09:00 UTC).
    assert WORK.next_slot(datetime(2026, 10, 24, 12, 0, tzinfo=UTC), ENG) == datetime(
        2026, 10, 26, 9, 0, tzinfo=UTC
    )
    # Thursday 25 March 2027 after hours: Good Friday, the weekend (clocks go forward on the
    # 28th, Easter Sunday) and Easter Monday pass -> Tuesday 09:00 BST, 08:00 UTC.
    assert WORK.next_slot(datetime(2027, 3, 25, 18, 0, tzinfo=UTC), ENG) == datetime(
        2027, 3, 30, 8, 0, tzinfo=UTC
    )
    # Before opening on a working day -> that morning; inside hours -> now.
    assert WORK.next_slot(datetime(2026, 7, 15, 6, 0, tzinfo=UTC), ENG) == datetime(
        2026, 7, 15, 8, 0, tzinfo=UTC
    )
    inside = datetime(2026, 7, 15, 10, 0, tzinfo=UTC)
    assert WORK.next_slot(inside, ENG) == inside
    # 16:59 London is inside; 17:00 is not.
    assert WORK.in_working_hours(datetime(2026, 12, 1, 16, 59, tzinfo=UTC), ENG)
    assert not WORK.in_working_hours(datetime(2026, 12, 1, 17, 0, tzinfo=UTC), ENG)
    # St Andrew's Day morning in Scotland -> the next day.
    assert WORK.next_slot(datetime(2026, 11, 30, 10, 0, tzinfo=UTC), SCT) == datetime(
        2026, 12, 1, 9, 0, tzinfo=UTC
    )


def test_the_first_working_day_of_a_week_skips_a_bank_holiday_monday() -> None:
    assert WORK.week_start(date(2026, 7, 16), ENG) == date(2026, 7, 13)  # a Thursday: Monday
    assert WORK.week_start(date(2026, 5, 27), ENG) == date(2026, 5, 26)  # spring bank holiday
    assert WORK.week_start(date(2026, 8, 5), SCT) == date(2026, 8, 4)  # Scotland's, not England's
    assert WORK.week_start(date(2026, 8, 5), ENG) == date(2026, 8, 3)
