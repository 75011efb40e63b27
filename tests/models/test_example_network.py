"""The example network moved to a live season: same weekdays, working days, imports cleanly."""

from __future__ import annotations

import tomllib
from datetime import date, datetime

import pytest

from models.calendar import is_working_day
from models.example_network import (
    EXAMPLE_FILE,
    SeasonError,
    example_for_season,
    season_start_year,
)


@pytest.mark.parametrize(
    ("today", "season", "year"),
    [
        (date(2026, 11, 29), "current", 2026),
        (date(2027, 3, 1), "current", 2026),
        (date(2027, 5, 31), "current", 2026),
        (date(2027, 6, 1), "current", 2027),  # summer: the coming season
        (date(2027, 8, 31), "current", 2027),
        (date(2026, 11, 29), "next", 2027),
        (date(2026, 11, 29), "2030", 2030),
    ],
)
def test_which_season(today: date, season: str, year: int) -> None:
    assert season_start_year(season, today) == year


def test_an_unknown_season_is_refused_with_the_right_form() -> None:
    with pytest.raises(SeasonError, match="current, next or a start year like 2027"):
        season_start_year("last", date(2026, 11, 29))


@pytest.mark.parametrize("year", [2016, 2024, 2026, 2027, 2031])
def test_meetings_keep_their_weekday_on_working_days_inside_the_season(year: int) -> None:
    original = tomllib.loads(EXAMPLE_FILE.read_text(encoding="utf-8"))
    moved = tomllib.loads(example_for_season(EXAMPLE_FILE.read_text(encoding="utf-8"), year))
    net = moved["network"]
    assert (net["season_start"], net["season_end"]) == (date(year, 9, 1), date(year + 1, 5, 31))
    assert net["key"] == f"coi-spredning-{year}-{str(year + 1)[2:]}"
    assert net["name"].endswith(f"{year}–{str(year + 1)[2:]}")
    for old, new in zip(original["meetings"], moved["meetings"], strict=True):
        starts: datetime = new["starts"]
        assert starts.weekday() == old["starts"].weekday()
        assert starts.time() == old["starts"].time() and new["ends"].date() == starts.date()
        assert is_working_day(starts.date(), net["country"])
        assert net["season_start"] <= starts.date() <= net["season_end"]
        assert abs((starts.date() - old["starts"].date().replace(year=starts.year)).days) <= 10
    days = [m["starts"] for m in moved["meetings"]]
    assert days == sorted(days)
    assert [m["theme"] for m in moved["meetings"]] == [m["theme"] for m in original["meetings"]]
    assert moved["members"] == original["members"]
