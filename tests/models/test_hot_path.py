"""The hot path on the driver (models/hot_path.py) gives what the ORM way gives: the same
people, the same stored rows and totals, nothing for bad input, the same replay semantics."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from models.hot_path import HotConnection, Person, hot_connection, person_of_row, pick_person
from models.network import Member, Network, Platform, people_of_rows, people_reached_on, pick_member
from models.replay import AlreadyHandledError, SeenRequest
from models.sparring import MAX_NOTE_LENGTH, SparringEntry, log_sparring_with_total
from tests.conftest import ANNA, BO, FACILITATOR, SEASON_NOW, person

KEYS = ["sig:hot", "event:E-hot"]


def _columns(obj: object) -> dict[str, object]:
    return {a.key: getattr(obj, a.key) for a in inspect(obj).mapper.column_attrs}


@contextmanager
def _hot(session_factory: sessionmaker[Session]) -> Iterator[HotConnection]:
    """A connection as a server thread has it (resident: on PostgreSQL, in autocommit)."""
    hot = HotConnection(session_factory.kw["bind"], resident=True)
    try:
        yield hot
    finally:
        hot.release()
        hot.close()


def _anna(hot: HotConnection, now: datetime = SEASON_NOW) -> Person:
    anna = pick_person([person_of_row(r) for r in hot.people(Platform.SLACK, ANNA)], now)
    assert anna is not None
    return anna


def _count(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as s:
        return s.scalar(select(func.count()).select_from(SparringEntry)) or 0


@pytest.mark.parametrize("who", [ANNA, FACILITATOR, "U0NOBODY99"])
def test_who_is_asking_is_who_the_orm_way_finds(
    session_factory: sessionmaker[Session], network: Network, who: str
) -> None:
    with session_factory() as orm:
        expected = people_reached_on(orm, Platform.SLACK, who)
        expected_columns = [(_columns(m), _columns(m.network)) for m in expected]
        picked = pick_member(expected, SEASON_NOW)
        langs, zones = [m.lang for m in expected], [m.zone for m in expected]
    with _hot(session_factory) as hot, session_factory() as s:
        seen, rows = hot.seen_and_people(KEYS, Platform.SLACK, who)
        assert not seen
        people = people_of_rows(s, rows)
        assert [(_columns(m), _columns(m.network)) for m in people] == expected_columns
        facts = [person_of_row(row) for row in rows]
        # Read as the driver gave them (SQLite: dates as text), the facts are the same.
        assert [person_of_row(row) for row in rows.raw] == facts
        chosen = pick_person(facts, SEASON_NOW)
        assert (chosen.member_id if chosen else None) == (picked.id if picked else None)
        assert [p.language for p in facts] == langs
        assert [p.zone for p in facts] == zones


def _stored(session_factory: sessionmaker[Session], entry_id: int) -> dict[str, object]:
    with session_factory() as s:
        entry = s.get(SparringEntry, entry_id)
        assert entry is not None
        columns = _columns(entry)
        del columns["id"], columns["giver_id"]
        return columns


def test_a_plain_entry_is_stored_as_the_orm_way_stores_it(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    note = "  went through\x01 her survey \u00e6\u00f8\u00e5 "
    now = datetime(2015, 10, 5, 8, 0, 1, 123456, tzinfo=UTC)
    keys = [{"key": key, "seen_at": now} for key in KEYS]
    with _hot(session_factory) as hot:
        logged = hot.log_plain_entry(_anna(hot, now), 90, date(2015, 10, 2), note, now, keys)
        assert logged is not None
        hot_entry, hot_total = logged
    with session_factory() as s:
        orm_entry, orm_total = log_sparring_with_total(
            session=s,
            member=person(s, BO),
            minutes=90,
            given_on=date(2015, 10, 2),
            receiver_ids=[],
            note=note,
            now=now,
        )
        s.commit()
        orm_id = orm_entry.id
    assert _stored(session_factory, hot_entry.id) == _stored(session_factory, orm_id)
    assert _stored(session_factory, hot_entry.id)["note"] == "went through her survey æøå"
    assert hot_total == orm_total
    assert (hot_entry.minutes, hot_entry.given_on, hot_entry.receiver_members) == (
        90,
        date(2015, 10, 2),
        [],
    )
    with session_factory() as s:
        assert set(s.scalars(select(SeenRequest.key))) == set(KEYS)
    with _hot(session_factory) as hot:  # the next one sums what is stored
        again = hot.log_plain_entry(_anna(hot), 30, date(2015, 10, 3), "", now)
        assert again is not None and again[1].given_minutes == 120
        seen, _rows = hot.seen_and_people(["sig:other", KEYS[1]], Platform.SLACK, ANNA)
        assert seen


@pytest.mark.parametrize(
    ("minutes", "day", "note"),
    [
        (0, date(2015, 10, 2), ""),
        (12 * 60 + 1, date(2015, 10, 2), ""),
        (60, date(2015, 10, 6), ""),  # the future
        (60, date(2014, 10, 2), ""),  # outside the season
        (60, date(2015, 10, 2), "x" * (MAX_NOTE_LENGTH + 1)),
    ],
)
def test_bad_input_is_left_to_the_orm_way(
    session_factory: sessionmaker[Session],
    network: Network,
    minutes: int,
    day: date,
    note: str,
) -> None:
    with _hot(session_factory) as hot:
        assert hot.log_plain_entry(_anna(hot), minutes, day, note, SEASON_NOW) is None
    assert _count(session_factory) == 0


def test_a_repeat_stores_nothing_and_the_next_write_goes_through(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory.begin() as s:
        s.add(SeenRequest(key=KEYS[1], seen_at=SEASON_NOW))
    keys = [{"key": key, "seen_at": SEASON_NOW} for key in KEYS]
    # a repeat that raced its original
    with _hot(session_factory) as hot, pytest.raises(AlreadyHandledError):
        hot.log_plain_entry(_anna(hot), 60, date(2015, 10, 2), "", SEASON_NOW, keys)
    assert _count(session_factory) == 0
    with session_factory() as s:
        assert set(s.scalars(select(SeenRequest.key))) == {KEYS[1]}
    with session_factory() as s:  # the write lock was let go
        member = s.scalars(select(Member)).first()
        assert member is not None
        member.name = member.name + "."
        s.commit()


def test_a_write_of_several_statements_is_one_transaction(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    """More keys than the one-statement write takes (on PostgreSQL the server thread's
    connection runs each statement as its own transaction): the entry and the keys still go
    in together, so a repeat found at the third key leaves no entry behind."""
    with session_factory.begin() as s:
        s.add(SeenRequest(key="third", seen_at=SEASON_NOW))
    keys = [{"key": key, "seen_at": SEASON_NOW} for key in [*KEYS, "third"]]
    with _hot(session_factory) as hot, pytest.raises(AlreadyHandledError):
        hot.log_plain_entry(_anna(hot), 60, date(2015, 10, 2), "", SEASON_NOW, keys)
    assert _count(session_factory) == 0
    with session_factory() as s:
        assert set(s.scalars(select(SeenRequest.key))) == {"third"}
    with _hot(session_factory) as hot:  # and without the repeat, all of it is stored
        logged = hot.log_plain_entry(_anna(hot), 60, date(2015, 10, 2), "", SEASON_NOW, keys[:2])
        assert logged is not None
        hot.log_plain_entry(
            _anna(hot),
            30,
            date(2015, 10, 3),
            "",
            SEASON_NOW,
            [{"key": k, "seen_at": SEASON_NOW} for k in ("x", "y", "z")],
        )
    assert _count(session_factory) == 2
    with session_factory() as s:
        assert set(s.scalars(select(SeenRequest.key))) == {"third", *KEYS, "x", "y", "z"}


def test_a_pooled_stand_in_goes_back_to_the_pool_as_it_came(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    """A request within a request borrows a pooled connection: it is never switched to
    autocommit, so the sessions that get it next still run in transactions."""
    engine = session_factory.kw["bind"]
    hot = HotConnection(engine)
    driver = hot.driver
    assert not hot.autocommit
    hot.log_plain_entry(_anna(hot), 60, date(2015, 10, 2), "", SEASON_NOW, [])
    hot.release()
    if engine.dialect.driver == "psycopg":
        assert driver.autocommit is False  # this very connection, back in the pool
    assert _count(session_factory) == 1
    resident = hot_connection(engine)
    try:
        assert resident.autocommit is (engine.dialect.driver == "psycopg")
    finally:
        resident.release()


def test_a_broken_entry_is_not_taken_for_a_repeat(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    """Only a replay key's unique violation is a repeat (PostgreSQL inserts the entry and the
    keys in one statement); anything else is the handler's error, and nothing is stored."""
    keys = [{"key": key, "seen_at": SEASON_NOW} for key in KEYS]
    with _hot(session_factory) as hot:
        gone = replace(_anna(hot), member_id=10**9)  # no such member: a foreign key breaks
        with pytest.raises(hot.statements.integrity_error) as raised:
            hot.log_plain_entry(gone, 60, date(2015, 10, 2), "", SEASON_NOW, keys)
        assert not isinstance(raised.value, AlreadyHandledError)
    assert _count(session_factory) == 0
    with session_factory() as s:
        assert set(s.scalars(select(SeenRequest.key))) == set()


def test_the_meeting_times_come_with_who_is_asking_and_give_the_same_period(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        expected = [m.starts_at for m in s.get(Network, network.id).meetings]  # type: ignore[union-attr]
    assert len(expected) == 4
    with _hot(session_factory) as hot:
        _seen, rows = hot.seen_and_people(KEYS, Platform.SLACK, ANNA)
        anna = pick_person([person_of_row(r) for r in rows], SEASON_NOW)
        assert anna is not None
        assert hot.meeting_starts[anna.network_id] == tuple(expected)  # in order, in UTC
        folded = [hot.period_of(anna, date(2015, 9, 1) + timedelta(days=d)) for d in range(280)]
        hot.meeting_starts.clear()  # the statement of its own, as without them
        queried = [hot.period_of(anna, date(2015, 9, 1) + timedelta(days=d)) for d in range(280)]
    assert folded == queried and len({p.index for p in folded if p}) == 5
    with _hot(session_factory) as hot:  # nobody asking: nothing kept
        hot.seen_and_people(KEYS, Platform.SLACK, "U0NOBODY99")
        assert hot.meeting_starts == {}


def test_a_moved_meeting_moves_the_period_on_the_hot_path_at_once(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    """The meeting times are memoised by what was read, so a move is seen by the next request."""
    day = date(2015, 11, 18)  # the day after meeting 2
    with _hot(session_factory) as hot:
        _seen, rows = hot.seen_and_people(KEYS, Platform.SLACK, ANNA)
        anna = pick_person([person_of_row(r) for r in rows], SEASON_NOW)
        assert anna is not None
        before = hot.period_of(anna, day)
    assert before is not None and before.index == 2
    with session_factory() as s:
        meeting = s.get(Network, network.id).meetings[1]  # type: ignore[union-attr]
        meeting.ends_at += timedelta(days=7)
        s.flush()
        meeting.starts_at += timedelta(days=7)
        s.commit()
    with _hot(session_factory) as hot:
        _seen, rows = hot.seen_and_people(KEYS, Platform.SLACK, ANNA)
        after = hot.period_of(anna, day)
    assert after is not None and after.index == 1  # meeting 2 is now a week later


def test_server_threads_log_at_once_on_the_hot_path_and_lose_nothing(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    """Eight threads, as the server's, each on its own hot connection, logging with its own
    replay key while a repeat of one key races from every thread: every entry is stored
    once, each thread sees its own totals grow, and the raced key is handled exactly once."""
    engine = session_factory.kw["bind"]
    people = {}
    with session_factory() as s:
        for slack_id in (ANNA, BO):
            found = pick_member(people_reached_on(s, Platform.SLACK, slack_id), SEASON_NOW)
            assert found is not None
            people[slack_id] = found.id
    per_thread, threads = 20, 8
    totals: dict[int, list[int]] = {}
    repeats: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def serve(index: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                hot = hot_connection(engine)
                try:
                    who = _anna(hot) if index % 2 else _person(hot, BO)
                    key = {"key": f"sig:{index}:{i}", "seen_at": SEASON_NOW}
                    logged = hot.log_plain_entry(who, 1, date(2015, 10, 2), "", SEASON_NOW, [key])
                    assert logged is not None
                    totals.setdefault(index, []).append(logged[1].given_minutes)
                    raced = {"key": "sig:the-same-request", "seen_at": SEASON_NOW}
                    try:
                        hot.log_plain_entry(who, 1, date(2015, 10, 2), "", SEASON_NOW, [raced])
                    except AlreadyHandledError:
                        repeats.append("refused")
                finally:
                    hot.release()
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=serve, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert _count(session_factory) == threads * per_thread + 1  # the raced key: once
    assert len(repeats) == threads * per_thread - 1
    for seen in totals.values():
        assert seen == sorted(seen) and len(set(seen)) == per_thread  # each saw its own grow
    with session_factory() as s:
        given = dict(
            s.execute(
                select(SparringEntry.giver_id, func.sum(SparringEntry.minutes)).group_by(
                    SparringEntry.giver_id
                )
            ).all()
        )
    assert sum(given.values()) == threads * per_thread + 1
    assert set(given) == set(people.values())


def _person(hot: HotConnection, slack_id: str) -> Person:
    found = pick_person(
        [person_of_row(r) for r in hot.people(Platform.SLACK, slack_id)], SEASON_NOW
    )
    assert found is not None
    return found
