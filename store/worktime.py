"""Working days and hours: no weekends, no bank holidays for the person's nation, and only
inside working hours in the department's zone (Europe/London), across clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from store.config import DepartmentConfig
from store.framework import Nation


@lru_cache(maxsize=64)
def _bank_holidays(subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=[year]))


def _is_working_day(day: date, nation: Nation) -> bool:
    if day.weekday() >= 5:
        return False
    return day not in _bank_holidays(nation.holiday_subdivision, day.year)


@lru_cache(maxsize=65536)
def _add_working_days(day: date, count: int, nation: Nation) -> date:
    """Working days depend only on the calendar and the nation's bank holidays, so each answer
    is kept: the planner asks the same few thousand questions on every tick (about an eighth
    of a simulated year's time went here)."""
    step = 1 if count >= 0 else -1
    remaining = abs(count)
    while remaining:
        day += timedelta(days=step)
        if _is_working_day(day, nation):
            remaining -= 1
    return day


class WorkingTime:
    """Answers "is this a working moment for someone in this nation?" and "when is the next?"."""

    def __init__(self, config: DepartmentConfig) -> None:
        self.zone = ZoneInfo(config.department.timezone)
        self.start: time = config.working_hours.start
        self.end: time = config.working_hours.end

    def is_working_day(self, day: date, nation: Nation) -> bool:
        return _is_working_day(day, nation)

    def on_or_before(self, day: date, nation: Nation) -> date:
        """A deadline as people meet it: a weekend or bank holiday moves it to the working day
        before."""
        while not self.is_working_day(day, nation):
            day -= timedelta(days=1)
        return day

    def week_start(self, day: date, nation: Nation) -> date:
        """The first working day of ``day``'s week (Monday, unless it is a bank holiday);
        ``day`` itself when none comes before it."""
        monday = day - timedelta(days=day.weekday())
        while monday < day and not self.is_working_day(monday, nation):
            monday += timedelta(days=1)
        return monday

    def add_working_days(self, day: date, count: int, nation: Nation) -> date:
        """The date ``count`` working days after (or, negative, before) ``day``."""
        return _add_working_days(day, count, nation)

    def working_days_between(self, start: date, end: date, nation: Nation) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day, nation):
                count += 1
        return count

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def today(self, moment: datetime) -> date:
        return self.local(moment).date()

    def in_working_hours(self, moment: datetime, nation: Nation) -> bool:
        local = self.local(moment)
        return self.is_working_day(local.date(), nation) and self.start <= local.time() < self.end

    def opening(self, day: date) -> datetime:
        """The start of working hours on ``day``, as an aware UTC datetime (DST-correct)."""
        return datetime.combine(day, self.start, tzinfo=self.zone).astimezone(UTC)

    def next_slot(self, moment: datetime, nation: Nation) -> datetime:
        """``moment`` if it is inside working hours, else the next opening (UTC)."""
        if self.in_working_hours(moment, nation):
            return moment.astimezone(UTC)
        local = self.local(moment)
        day = local.date()
        if not (self.is_working_day(day, nation) and local.time() < self.start):
            day = self.add_working_days(day, 1, nation)
        return self.opening(day)
