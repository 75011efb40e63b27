from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from models.network import (
    Network,
    period_containing,
    period_for,
    periods,
    periods_between,
    resolve_member,
)
from tests.conftest import ANNA, FACILITATOR, JENS, SEASON_NOW, person


def test_periods_cover_the_season_from_meeting_to_meeting(
    session: Session, network: Network
) -> None:
    net = session.get(Network, network.id)
    assert net is not None
    got = [(p.index, p.start, p.end) for p in periods(net)]
    assert got == [
        (0, date(2015, 9, 1), date(2015, 9, 20)),
        (1, date(2015, 9, 21), date(2015, 11, 16)),
        (2, date(2015, 11, 17), date(2016, 3, 2)),
        (3, date(2016, 3, 3), date(2016, 4, 27)),
        (4, date(2016, 4, 28), date(2016, 5, 31)),
    ]


def test_period_for_a_day_and_outside_the_season(session: Session, network: Network) -> None:
    net = session.get(Network, network.id)
    assert net is not None
    first_day = period_for(net, date(2015, 9, 21))
    assert first_day is not None and first_day.index == 1  # a meeting's day opens its period
    last = period_for(net, date(2015, 9, 20))
    assert last is not None and last.index == 0
    assert period_for(net, date(2015, 8, 31)) is None
    assert period_for(net, date(2016, 6, 1)) is None


def test_the_period_of_a_day_is_the_one_of_all_periods_that_holds_it() -> None:
    start, end = date(2015, 9, 1), date(2016, 5, 31)
    seasons = [
        [date(2015, 9, 21), date(2015, 11, 17), date(2016, 3, 3), date(2016, 4, 28)],
        [date(2015, 9, 1)],  # a meeting on the first day: period 0 is empty
        [date(2016, 5, 31)],  # and on the last
        [],
    ]
    for days in seasons:
        every = periods_between(start, end, days)
        for offset in range(-3, (end - start).days + 4):
            day = start + timedelta(days=offset)
            expected = next((p for p in every if p.contains(day)), None)
            assert period_containing(start, end, days, day) == expected, (days, day)


def test_meeting_times_are_stored_in_utc_across_dst(session: Session, network: Network) -> None:
    net = session.get(Network, network.id)
    assert net is not None
    starts = [m.starts_at for m in net.meetings]
    # 10:00 in Copenhagen: summer time (UTC+2) in September, winter time (UTC+1) from November.
    assert starts[0] == datetime(2015, 9, 21, 8, 0, tzinfo=UTC)
    assert starts[1] == datetime(2015, 11, 17, 9, 0, tzinfo=UTC)
    assert starts[3] == datetime(2016, 4, 28, 8, 0, tzinfo=UTC)
    assert all(s.tzinfo is not None for s in starts)


def test_member_today_follows_their_own_zone(session: Session, network: Network) -> None:
    jens, anna = person(session, JENS), person(session, ANNA)
    late_evening_in_new_york = datetime(2015, 10, 6, 2, 30, tzinfo=UTC)
    assert anna.today(late_evening_in_new_york) == date(2015, 10, 6)
    assert jens.today(late_evening_in_new_york) == date(2015, 10, 5)


def test_language_falls_back_to_the_network(session: Session, network: Network) -> None:
    assert person(session, ANNA).lang == "da"
    assert person(session, JENS).lang == "en"


def test_resolve_member_ignores_facilitators_and_strangers(
    session: Session, network: Network
) -> None:
    anna = resolve_member(session, ANNA, SEASON_NOW)
    assert anna is not None and anna.slack_user_id == ANNA
    assert resolve_member(session, FACILITATOR, SEASON_NOW) is None
    assert resolve_member(session, "U0NOBODY00", SEASON_NOW) is None
