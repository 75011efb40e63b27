"""Working days and local send times: weekends and public holidays of the network's country."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

NUDGE_HOUR = time(9, 0)


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    import holidays  # here, not at the top: a few MB the HTTP side never needs

    return frozenset(holidays.country_holidays(country, years=year))


def is_working_day(day: date, country: str) -> bool:
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def previous_working_day(day: date, country: str) -> date:
    """`day` itself when it is a working day, else the closest working day before it."""
    while not is_working_day(day, country):
        day -= timedelta(days=1)
    return day


def next_working_day(day: date, country: str) -> date:
    """`day` itself when it is a working day, else the closest working day after it."""
    while not is_working_day(day, country):
        day += timedelta(days=1)
    return day


def local_moment(day: date, zone: ZoneInfo, at: time = NUDGE_HOUR) -> datetime:
    """`at` o'clock on `day` in `zone`, as an aware datetime (DST handled by the zone)."""
    return datetime.combine(day, at, tzinfo=zone)
