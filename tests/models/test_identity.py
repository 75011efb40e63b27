"""People reach platforms through identities: Slack ids (and Teams ids, for the surface to
come) live in their own table, unique within a network; the network file stays compatible;
migration 0010 moves the old column's data there and back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models.db import alembic_config, make_engine, make_session_factory
from models.network import (
    Identity,
    Member,
    Network,
    Platform,
    Role,
    find_people,
    find_people_by_email,
    find_people_on,
    people_reached_on,
)
from models.network_import import NetworkFileError, apply_network, parse_network
from tests.conftest import ANNA, BO, SEASON_NOW, add_second_network, person, statements_on
from tests.models.test_network_import import example
from tests.pgtemp import temporary_database

TEAMS_ANNA = "29:1AnnaLundTeams"


def test_slack_id_is_an_identity_and_reads_as_before(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        anna = person(s, ANNA)
        (identity,) = anna.identities
        assert (identity.platform, identity.external_id) == (Platform.SLACK, ANNA)
        assert identity.network_id == anna.network_id
        assert anna.slack_user_id == ANNA and anna.teams_user_id is None
        assert [p.id for p in find_people(s, ANNA)] == [anna.id]
        assert find_people_on(s, Platform.SLACK, ANNA)[0].slack_user_id == ANNA
        assert find_people_on(s, Platform.TEAMS, ANNA) == []
        assert find_people(s, "U0NOBODY01") == []


def test_a_person_on_two_platforms_is_found_on_each(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        anna = person(s, ANNA)
        anna.teams_user_id = TEAMS_ANNA
        anna.identity(Platform.TEAMS).conversation = {"id": "a:1x", "serviceUrl": "https://x"}  # type: ignore[union-attr]
        s.commit()
    with session_factory() as s:
        (by_teams,) = find_people_on(s, Platform.TEAMS, TEAMS_ANNA)
        (by_slack,) = find_people(s, ANNA)
        assert by_teams is by_slack
        # Both identities come with the one query, in the order they were made.
        assert [(i.platform, i.external_id) for i in by_slack.identities] == [
            (Platform.SLACK, ANNA),
            (Platform.TEAMS, TEAMS_ANNA),
        ]
        assert by_teams.identity(Platform.TEAMS).conversation == {  # type: ignore[union-attr]
            "id": "a:1x",
            "serviceUrl": "https://x",
        }
        by_teams.slack_user_id = None  # no longer on Slack
        s.commit()
    with session_factory() as s:
        assert find_people(s, ANNA) == []
        (only_teams,) = find_people_on(s, Platform.TEAMS, TEAMS_ANNA)
        assert only_teams.slack_user_id is None


def test_an_id_is_one_persons_within_a_network_but_may_recur_in_another(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        other = add_second_network(
            s,
            key="aarhus",
            name="Aarhus",
            people=[(ANNA, Role.FACILITATOR, "Anna Lund")],
            theme="T",
        )
        # The same Slack user in two networks: two roles, both found.
        assert {p.network.key for p in find_people(s, ANNA)} == {network.key, other.key}
        bo = person(s, BO)
        bo.slack_user_id = ANNA  # but never two people of one network with one id
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()
    with session_factory() as s:
        bo = person(s, BO)
        s.add(
            Identity(
                member_id=bo.id,
                network_id=bo.network_id,
                platform=Platform.SLACK,
                external_id="U0SECOND01",
            )
        )
        with pytest.raises(IntegrityError):  # and one identity per platform per person
            s.flush()


def test_lookup_by_email_ignores_case_and_inactive_rows(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        anna = person(s, ANNA)
        assert anna.email == "anna.lund@example.org"
        assert [p.id for p in find_people_by_email(s, " Anna.Lund@EXAMPLE.org ")] == [anna.id]
        anna.active = False
        s.commit()
        assert find_people_by_email(s, "anna.lund@example.org") == []
        assert find_people_by_email(s, "nobody@example.org") == []


def test_network_file_keeps_slack_ids_and_takes_teams_ids(
    session_factory: sessionmaker[Session],
) -> None:
    data = example()  # the file as it has always been: slack_id only
    with session_factory.begin() as s:
        apply_network(s, parse_network(data), now=SEASON_NOW)
    data["members"][0]["teams_id"] = TEAMS_ANNA
    with session_factory.begin() as s:
        report = apply_network(s, parse_network(data), now=SEASON_NOW)
        assert report.changed["person"] == 1
        assert report.plan is not None
        assert any("teams_user_id" in c.fields for c in report.plan.changed)
    with session_factory() as s:
        (anna,) = find_people_on(s, Platform.TEAMS, TEAMS_ANNA)
        assert anna.slack_user_id == data["members"][0]["slack_id"]
    with session_factory.begin() as s:  # the same file again changes nothing
        assert apply_network(s, parse_network(data), now=SEASON_NOW).unchanged
    del data["members"][0]["teams_id"]
    with session_factory.begin() as s:
        apply_network(s, parse_network(data), now=SEASON_NOW)
    with session_factory() as s:
        assert find_people_on(s, Platform.TEAMS, TEAMS_ANNA) == []


def test_bad_or_duplicate_teams_id_is_named() -> None:
    data = example()
    data["members"][0]["teams_id"] = "anna"
    data["members"][1]["teams_id"] = TEAMS_ANNA
    data["members"][2]["teams_id"] = TEAMS_ANNA
    with pytest.raises(NetworkFileError) as err:
        parse_network(data, "net.toml")
    problems = err.value.problems
    assert len(problems) == 2
    assert '"teams_id" must be a Teams user id' in problems[0] and 'got "anna"' in problems[0]
    assert problems[1].startswith("members[3]")
    assert f'duplicate: teams_id "{TEAMS_ANNA}" is already used by members[2]' in problems[1]


# --- migration 0010 -------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database of its own, with no schema yet."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    server = request.getfixturevalue("postgres_url")
    with temporary_database(server, prefix="tovholder_mig") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


OLD_PEOPLE = [  # (network, slack id, role): one Slack user in both networks
    (1, "U0ANNA0001", "member"),
    (1, "U0BO000002", "facilitator"),
    (2, "U0ANNA0001", "facilitator"),
]


def test_migration_moves_slack_ids_into_identities_and_back(empty_engine: Engine) -> None:
    config = alembic_config(empty_engine)
    command.upgrade(config, "0009")
    with empty_engine.begin() as conn:
        for key in ("one", "two"):
            conn.execute(
                text(
                    "INSERT INTO network (key, name, timezone, country, language, season_start,"
                    " season_end, sparring_target_minutes, fee_per_member, colleague_discount,"
                    " created_at, updated_at) VALUES (:k, :k, 'Europe/Copenhagen', 'DK', 'da',"
                    " '2015-09-01', '2016-05-31', 120, 6000, 500, :t, :t)"
                ),
                {"k": key, "t": SEASON_NOW},
            )
        nets = dict(conn.execute(text("SELECT key, id FROM network")).all())
        for net, sid, role in OLD_PEOPLE:
            conn.execute(
                text(
                    "INSERT INTO member (network_id, slack_user_id, role, name, active,"
                    " notify_spread, created_at, updated_at) VALUES (:net, :sid, :role,"
                    " :name, true, true, :t, :t)"
                ),
                {
                    "net": nets[("one", "two")[net - 1]],
                    "sid": sid,
                    "role": role,
                    "name": sid,
                    "t": SEASON_NOW,
                },
            )
        old = conn.execute(
            text("SELECT id, network_id, slack_user_id FROM member ORDER BY id")
        ).all()
        # A person since deleted had the highest id: it is not to be given out again.
        conn.execute(
            text(
                "INSERT INTO member (network_id, slack_user_id, role, name, active,"
                " notify_spread, created_at, updated_at) VALUES (:net, 'U0GONE0009', 'member',"
                " 'Gone', true, true, :t, :t)"
            ),
            {"net": old[0][1], "t": SEASON_NOW},
        )
        gone = conn.execute(text("SELECT max(id) FROM member")).scalar_one()
        conn.execute(text("DELETE FROM member WHERE id = :id"), {"id": gone})
    command.upgrade(config, "head")
    assert "slack_user_id" not in {c["name"] for c in inspect(empty_engine).get_columns("member")}
    factory = make_session_factory(empty_engine)
    with factory() as s:
        rows = s.execute(
            select(
                Identity.member_id, Identity.network_id, Identity.platform, Identity.external_id
            ).order_by(Identity.member_id)
        ).all()
        assert rows == [(mid, net, Platform.SLACK, sid) for mid, net, sid in old]
        anna_rows = [mid for mid, _, sid in old if sid == "U0ANNA0001"]
        assert sorted(p.id for p in find_people(s, "U0ANNA0001")) == anna_rows
        new = Member(
            network_id=old[0][1],
            slack_user_id="U0NEW00003",
            role=Role.MEMBER,
            name="Ny",
            created_at=SEASON_NOW,
            updated_at=SEASON_NOW,
        )
        s.add(new)
        s.commit()
        assert new.id > gone  # ids are not given out again after the rebuild
    command.downgrade(config, "0009")
    with empty_engine.connect() as conn:
        back = conn.execute(text("SELECT id, slack_user_id FROM member ORDER BY id")).all()
        assert "identity" not in inspect(conn).get_table_names()
    assert back == [(mid, sid) for mid, _, sid in old] + [(new.id, "U0NEW00003")]
    command.upgrade(config, "head")
    command.check(config)


def test_people_reached_on_are_find_people_on_from_one_plain_query(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    """The request path's lookup gives the same people as `find_people_on`, as entities of
    the session with nothing pending, their networks loaded, in one statement."""
    with session_factory() as s:
        other = add_second_network(
            s,
            key="aarhus",
            name="Aarhus",
            people=[(ANNA, Role.FACILITATOR, "Anna Lund")],
            theme="T",
        )
        s.commit()
        expected = [
            (p.id, p.role, p.network.key, p.name) for p in find_people_on(s, Platform.SLACK, ANNA)
        ]
        assert {key for _, _, key, _ in expected} == {network.key, other.key}
    engine = session_factory.kw["bind"]
    with session_factory() as s:
        with statements_on(engine) as seen:
            people = people_reached_on(s, Platform.SLACK, ANNA)
            found = [(p.id, p.role, p.network.key, p.name) for p in people]
        assert len(seen) == 1  # the networks came with the people
        assert found == expected
        assert all(p in s and not s.is_modified(p) for p in people)
        assert not (s.new or s.dirty)
        assert people[0].slack_user_id == ANNA  # identities load when read
        assert people_reached_on(s, Platform.SLACK, ANNA)[0] is people[0]  # the session's own
        assert people_reached_on(s, Platform.TEAMS, ANNA) == []
        people[0].name = "Anna L."  # and they change as loaded entities do
        s.commit()
    with session_factory() as s:
        assert {p.name for p in find_people(s, ANNA)} == {"Anna L.", "Anna Lund"}
