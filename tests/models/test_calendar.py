from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from models.calendar import is_working_day, local_moment, next_working_day, previous_working_day


def test_weekends_and_danish_holidays_are_not_working_days() -> None:
    assert is_working_day(date(2016, 4, 21), "DK")  # Thursday
    assert not is_working_day(date(2016, 4, 22), "DK")  # Store Bededag
    assert not is_working_day(date(2016, 4, 23), "DK")  # Saturday
    assert not is_working_day(date(2016, 3, 28), "DK")  # 2. påskedag
    assert not is_working_day(date(2015, 12, 25), "DK")
    assert is_working_day(date(2016, 4, 22), "SE")  # not a holiday in Sweden


def test_moving_to_working_days() -> None:
    assert previous_working_day(date(2016, 4, 24), "DK") == date(2016, 4, 21)
    assert previous_working_day(date(2016, 3, 28), "DK") == date(2016, 3, 23)  # over Easter
    assert next_working_day(date(2016, 3, 24), "DK") == date(2016, 3, 29)
    assert next_working_day(date(2015, 10, 5), "DK") == date(2015, 10, 5)


def test_nine_o_clock_local_across_dst() -> None:
    cph = ZoneInfo("Europe/Copenhagen")
    assert local_moment(date(2015, 10, 23), cph).astimezone(UTC) == datetime(
        2015, 10, 23, 7, tzinfo=UTC
    )
    assert local_moment(date(2015, 10, 26), cph).astimezone(UTC) == datetime(
        2015, 10, 26, 8, tzinfo=UTC
    )
