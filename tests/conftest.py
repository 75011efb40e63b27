"""Shared fixtures: a database per backend (SQLite always, PostgreSQL when configured),
the example network, a fixed clock and the local Slack stand-in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, delete, event, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from handlers import charts
from models.base import Base
from models.db import make_engine, make_session_factory, upgrade_schema
from models.network import Meeting, Member, Network, Role
from models.network_import import import_network_file
from tests.pgtemp import temporary_database
from tests.slack_standin import SlackStandIn

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_NETWORK = ROOT / "examples" / "network-2015-16.toml"
POSTGRES_ENV = "TOVHOLDER_TEST_POSTGRES_URL"
POSTGRES_SKIP_REASON = (
    f"PostgreSQL tests need {POSTGRES_ENV}, e.g. "
    "postgresql+psycopg://postgres@127.0.0.1:5432/test (.ci/run sets it)"
)

# 5 Oct 2015, 10:00 in Copenhagen: between meeting 1 (21 Sep) and meeting 2 (17 Nov).
SEASON_NOW = datetime(2015, 10, 5, 8, 0, tzinfo=UTC)

ANNA, BO, CAMILLA, FREDERIK, JENS = (
    "U0ANNA0001",
    "U0BO000002",
    "U0CAMILLA3",
    "U0FREDE006",
    "U0JENS0010",
)
FACILITATOR = "U0FACIL001"


# The longest tests (by name), with their seconds on SQLite on two shared cores
# (`--durations`). They start first, dealt over the workers: pytest-xdist's worksteal hands
# each worker a contiguous share of the collection and steals from the end of a queue, so a
# long test that starts last keeps one worker busy while the others have nothing left.
LONGEST = {
    "test_walk_the_season": 26,
    "test_two_processes_send_each_nudge_once": 55,  # PostgreSQL only (an earlier measure)
    "test_every_message_of_a_season_is_a_card_teams_accepts": 12,
    "test_teams_beside_slack_in_socket_mode_answers_on_the_health_port": 10,
    "test_kill_9_at_random_points_and_restart": 8,
    "test_no_network_to_slack_is_one_line_and_exit_5": 8,
    "test_socket_mode_that_cannot_connect_is_unhealthy_then_exits": 7,
    "test_network_import_shows_the_diff_and_applies_deletions_only_with_apply": 6,
    "test_a_second_process_waits_or_is_refused_clearly": 5,
    "test_nudges_preview_prints_the_plan": 5,
    "test_health_server_closes_in_its_own_thread_without_a_traceback": 5,
    "test_each_message_once_whatever_slack_does": 5,
    "test_network_example_for_this_season_imports_cleanly": 5,
    "test_teams_only_serves_api_messages_and_health": 5,
    "test_network_import_twice_then_a_bad_file": 4,
    "test_who_could_not_be_reached_is_named_in_the_digest": 4,
    "test_the_bot_upgrades_its_schema_in_a_child_and_never_imports_alembic": 4,
    "test_a_good_file_twice_then_as_xlsx": 4,
    "test_from_the_last_meeting_to_the_next_season": 4,
    "test_hostile_text_reaches_no_one_as_markup": 4,
    "test_sigterm_finishes_the_request_in_flight_and_exits_0": 4,
    "test_socket_mode_with_a_token_slack_refuses_exits_3_with_one_line": 3,
    "test_a_bad_file_names_every_problem_and_imports_nothing": 3,
    "test_run_serves_http_with_the_sqlite_default": 3,
    "test_a_long_outage_delays_nudges_but_loses_none": 3,
    "test_network_import_refuses_a_second_key_for_the_same_people": 3,
    "test_online_backup_and_postgres_advice": 3,
    "test_run_reads_dotenv_and_reports_a_rejected_token": 3,
}


def _seconds(item: pytest.Item) -> int:
    fixtures = getattr(item, "fixturenames", ())
    on_postgres = item.get_closest_marker("postgres") or "postgres_url" in fixtures
    if on_postgres and not os.environ.get(POSTGRES_ENV):
        return 0  # skipped
    return LONGEST.get(getattr(item, "originalname", item.name), 0)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each worker's share of the collection starts with its part of the longest tests, each
    dealt to the share with the fewest seconds so far. The order is the same on every
    worker, as pytest-xdist requires."""
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    long = sorted((item for item in items if _seconds(item)), key=_seconds, reverse=True)
    rest = [item for item in items if not _seconds(item)]
    shares: list[list[pytest.Item]] = [[] for _ in range(workers)]
    for item in long:
        min(shares, key=lambda share: sum(map(_seconds, share))).append(item)
    left = len(items)
    for i, share in enumerate(shares):  # the sizes of worksteal's first distribution
        size = left // (workers - i)
        left -= size
        take = max(0, size - len(share))
        share += rest[:take]
        del rest[:take]
    items[:] = [item for share in shares for item in share] + rest


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(POSTGRES_SKIP_REASON)
    with temporary_database(base) as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'tovholder.db'}"


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return str(request.getfixturevalue("sqlite_url"))


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The schema is built by the migrations, as in production."""
    eng = make_engine(database_url)
    upgrade_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    yield make_session_factory(engine)
    delete_rows(engine)


def delete_rows(engine: Engine) -> None:
    """Every row of every table, deleted (children first)."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s


Rows = dict[str, list[dict[str, Any]]]


def table_rows(engine: Engine) -> Rows:
    """Every row of every table (parents first), each table's in the order of its primary
    key: without an ORDER BY, PostgreSQL returns rows as they lie on disk, and a row updated
    after it was inserted (a meeting's host, set once the members are in) moves."""
    with engine.connect() as conn:
        return {
            table.name: [
                dict(row)
                for row in conn.execute(
                    select(table).order_by(*table.primary_key.columns)
                ).mappings()
            ]
            for table in Base.metadata.sorted_tables
        }


def insert_rows(engine: Engine, rows: Rows) -> None:
    """Put `rows` (from table_rows) back. A reference to a table not yet filled (the meeting's
    host contact, a member) or to its own table is set once every row is in."""
    done: set[str] = set()
    later: list[tuple[Table, str, list[dict[str, Any]]]] = []
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            done.add(table.name)
            if not rows[table.name]:
                continue
            ahead = [
                fk.parent.name
                for fk in table.foreign_keys
                if fk.column.table.name not in done or fk.column.table is table
            ]
            conn.execute(
                insert(table), [{**row, **dict.fromkeys(ahead)} for row in rows[table.name]]
            )
            later += [(table, column, rows[table.name]) for column in ahead]
        for table, column, table_rows_ in later:
            for row in table_rows_:
                if row[column] is not None:
                    conn.execute(
                        update(table).where(table.c.id == row["id"]).values({column: row[column]})
                    )


@pytest.fixture(scope="session")
def imported_rows() -> dict[str, Rows]:
    """The rows the real import of the example network made, per database (filled on first
    use): importing takes far longer than inserting the same rows again."""
    return {}


@pytest.fixture
def network(
    engine: Engine, session_factory: sessionmaker[Session], imported_rows: dict[str, Rows]
) -> Network:
    """The example network (season 2015–16), loaded through the real import: in each test
    database once, then the rows it made are put back as they were (ids included; both
    backends hand out only higher ids afterwards). tests/models/test_network_import.py holds
    the copy to a fresh import."""
    key = engine.url.render_as_string(hide_password=True)
    if key in imported_rows:
        insert_rows(engine, imported_rows[key])
    else:
        with session_factory.begin() as s:
            import_network_file(s, EXAMPLE_NETWORK, now=SEASON_NOW)
        imported_rows[key] = table_rows(engine)
    with session_factory() as s:
        net = s.query(Network).one()
        s.expunge_all()
        return net


@contextmanager
def statements_on(engine: Engine, *, commits: bool = False) -> Iterator[list[str]]:
    """The SQL statements run on `engine` inside the block, in order (with "COMMIT" for each
    commit when `commits`)."""
    seen: list[str] = []

    def statement(_conn: object, _cursor: object, sql: str, *_rest: object) -> None:
        seen.append(sql)

    def commit(_conn: object) -> None:
        seen.append("COMMIT")

    event.listen(engine, "before_cursor_execute", statement)
    if commits:
        event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        if commits:
            event.remove(engine, "commit", commit)


def person(session: Session, slack_user_id: str) -> Member:
    return session.query(Member).filter_by(slack_user_id=slack_user_id).one()


# One cache of drawn charts per test process, for every test but those of the drawing itself.
_DRAWN = cache(charts.draw)


@pytest.fixture(autouse=True)
def each_chart_drawn_once(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every distinct chart is drawn through matplotlib once per test process; the same chart
    again (the two facilitators' digest, a week whose numbers did not move, the same week in
    another season walk or chaos run) gets that drawing back. Drawing is deterministic, and
    the tests marked `real_drawing` (tests/handlers/test_charts.py) draw every time and hold
    it to that."""
    if request.node.get_closest_marker("real_drawing") is not None:
        return

    def draw(chart: charts.Chart) -> tuple[bytes, dict[str, tuple[float, ...]]]:
        png, plotted = _DRAWN(chart)
        return png, dict(plotted)

    monkeypatch.setattr(charts, "draw", draw)


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    standin = SlackStandIn().start()
    yield standin
    standin.stop()


def add_second_network(
    session: Session,
    *,
    key: str,
    name: str,
    people: list[tuple[str, Role, str]],
    theme: str,
    sister_key: str | None = None,
) -> Network:
    """Another network in the same season with one meeting on meeting 2's date, for
    cross-network tests. `people` are (Slack id, role, name)."""
    home = session.query(Network).filter(Network.key != key).first()
    assert home is not None
    other = Network(
        key=key,
        name=name,
        timezone="Europe/Copenhagen",
        country="DK",
        language="da",
        season_start=home.season_start,
        season_end=home.season_end,
        sparring_target_minutes=120,
        sister_key=sister_key,
        created_at=SEASON_NOW,
        updated_at=SEASON_NOW,
    )
    other.people = [
        Member(
            slack_user_id=sid,
            role=role,
            name=person_name,
            organisation="Aarhus",
            manager_name="M",
            created_at=SEASON_NOW,
            updated_at=SEASON_NOW,
        )
        for sid, role, person_name in people
    ]
    meeting2 = next(m for m in home.meetings if m.number == 2)
    other.meetings = [
        Meeting(
            number=1,
            theme=theme,
            starts_at=meeting2.starts_at,
            ends_at=meeting2.ends_at,
            host="V",
            place="Aarhus",
        )
    ]
    session.add(other)
    session.commit()
    return other
