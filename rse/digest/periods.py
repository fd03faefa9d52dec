"""Digest periods: an ISO week ('2026-W47') for weekly subscribers, a day ('2026-11-24') for daily ones."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .models import Frequency

_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    key: str
    frequency: str
    start: datetime  # aware UTC: local midnight of the first day
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def parse(key: str, tz: ZoneInfo) -> Period:
    """A period from its key; PeriodError with a readable message for anything else."""
    key = (key or "").strip()
    if match := _WEEK.fullmatch(key):
        year, week = int(match[1]), int(match[2])
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError as exc:
            raise PeriodError(f"no ISO week {week} in {year}") from exc
        return Period(key, Frequency.WEEKLY, _local_midnight(monday, tz), _local_midnight(monday + timedelta(7), tz))
    if _DAY.fullmatch(key):
        try:
            day = date.fromisoformat(key)
        except ValueError as exc:
            raise PeriodError(f"not a date: {key}") from exc
        return Period(key, Frequency.DAILY, _local_midnight(day, tz), _local_midnight(day + timedelta(1), tz))
    raise PeriodError(f"period {key!r}: expected an ISO week such as 2026-W47 or a day such as 2026-11-24")


def current(frequency: str, now: datetime, tz: ZoneInfo) -> Period:
    local = now.astimezone(tz).date()
    if frequency == Frequency.DAILY:
        return parse(local.isoformat(), tz)
    year, week, _day = local.isocalendar()
    return parse(f"{year}-W{week:02d}", tz)


def recent(now: datetime, tz: ZoneInfo, *, weeks: int = 8, days: int = 14) -> list[Period]:
    """This week and the `weeks` - 1 before it, today and the `days` - 1 before it, newest first."""
    this_week, today = current(Frequency.WEEKLY, now, tz), current(Frequency.DAILY, now, tz)
    found = [current(Frequency.WEEKLY, this_week.start - timedelta(weeks=back) + timedelta(days=3), tz)
             for back in range(weeks)]
    found += [current(Frequency.DAILY, today.start - timedelta(days=back) + timedelta(hours=12), tz)
              for back in range(days)]
    return sorted(found, key=lambda period: (period.start, period.frequency), reverse=True)
