import tomllib
from copy import deepcopy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from models.base import Base
from models.network import Identity, Meeting, Member, Network, Role
from models.network_import import (
    ImportNotApplied,
    NetworkFileError,
    apply_network,
    import_network_file,
    parse_network,
)
from tests.conftest import EXAMPLE_NETWORK, SEASON_NOW, Rows, insert_rows, table_rows


def example() -> dict[str, Any]:
    with EXAMPLE_NETWORK.open("rb") as fh:
        return tomllib.load(fh)


def snapshot(session: Session) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for model in (Network, Meeting, Member, Identity):
        for obj in session.scalars(select(model).order_by(model.id)):
            rows.append(  # columns only (a loaded relationship holds objects)
                tuple(
                    sorted(
                        (k, v)
                        for k, v in vars(obj).items()
                        if not k.startswith("_") and not isinstance(v, list | Base)
                    )
                )
            )
    return rows


def _clear(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(delete(table))


# Filled from the wall clock, not the import's `now` (nothing reads it): left out below.
WALL_CLOCK = {("identity", "created_at")}


def _renumbered(rows: Rows) -> dict[str, list[str]]:
    """`rows` with each table's ids counted from 0 in their order (references too), sorted."""
    ids = {
        name: {old: new for new, old in enumerate(sorted(r["id"] for r in table))}
        for name, table in rows.items()
        if table and "id" in table[0]
    }
    out: dict[str, list[str]] = {}
    for table in Base.metadata.sorted_tables:
        refs = {fk.parent.name: fk.column.table.name for fk in table.foreign_keys}
        renamed = []
        for row in rows[table.name]:
            new = {k: v for k, v in row.items() if (table.name, k) not in WALL_CLOCK}
            if "id" in new:
                new["id"] = ids[table.name][new["id"]]
            for column, target in refs.items():
                if new[column] is not None:
                    new[column] = ids[target][new[column]]
            renamed.append(repr(sorted(new.items())))
        out[table.name] = sorted(renamed)
    return out


def test_the_network_fixture_puts_back_what_a_fresh_import_makes(
    engine: Engine,
    session_factory: sessionmaker[Session],
    network: Network,
    imported_rows: dict[str, Rows],
) -> None:
    """The `network` fixture imports once per test database and then inserts the rows that
    import made: they are the rows a fresh import makes, every column (ids renumbered) but the
    identities' wall-clock creation time."""
    copied = imported_rows[engine.url.render_as_string(hide_password=True)]
    _clear(engine)
    insert_rows(engine, copied)
    put_back = table_rows(engine)
    _clear(engine)
    with session_factory.begin() as s:
        import_network_file(s, EXAMPLE_NETWORK, now=SEASON_NOW)
    fresh = table_rows(engine)
    assert sum(len(table) for table in fresh.values()) > 20
    assert _renumbered(put_back) == _renumbered(fresh)
    assert put_back == copied


def test_example_network_has_the_seed_season() -> None:
    spec = parse_network(example())
    assert spec.timezone == "Europe/Copenhagen"
    assert [(m.number, m.starts_at, m.ends_at) for m in spec.meetings] == [
        (1, datetime(2015, 9, 21, 8, tzinfo=UTC), datetime(2015, 9, 21, 11, tzinfo=UTC)),
        (2, datetime(2015, 11, 17, 9, tzinfo=UTC), datetime(2015, 11, 17, 12, tzinfo=UTC)),
        (3, datetime(2016, 3, 3, 9, tzinfo=UTC), datetime(2016, 3, 3, 12, tzinfo=UTC)),
        (4, datetime(2016, 4, 28, 8, tzinfo=UTC), datetime(2016, 4, 28, 11, tzinfo=UTC)),
    ]
    assert spec.meetings[1].theme == "Klagedrevet innovation"
    assert spec.meetings[2].place == "Dansk Design Center, Frederiksholms Kanal 30, København K"
    members = [p for p in spec.people if p.role is Role.MEMBER]
    facilitators = [p for p in spec.people if p.role is Role.FACILITATOR]
    assert len(facilitators) >= 2 and len(members) >= 8
    workplaces = [m.organisation for m in members]
    assert len(set(workplaces)) >= 4
    assert any(workplaces.count(w) >= 2 for w in workplaces)
    assert all(m.manager_name and m.slack_user_id for m in members)
    assert spec.sparring_target_minutes == 120


def test_import_twice_gives_the_same_state(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as s:
        first = import_network_file(s, EXAMPLE_NETWORK, now=SEASON_NOW)
    with session_factory() as s:
        before = snapshot(s)
    with session_factory.begin() as s:
        second = import_network_file(s, EXAMPLE_NETWORK, now=datetime(2015, 12, 1, tzinfo=UTC))
    with session_factory() as s:
        after = snapshot(s)
    assert first.created and first.added == {"meeting": 4, "person": 13}
    assert second.unchanged
    assert before == after


def test_update_changes_moves_and_deactivates(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with session_factory.begin() as s:
        import_network_file(s, EXAMPLE_NETWORK, now=SEASON_NOW)
    data = example()
    data["meetings"][3]["place"] = "Aarhus Rådhus"
    data["meetings"] = data["meetings"][:4]
    gone = data["members"].pop()
    with session_factory() as s:  # taking a person out needs a confirmation
        with pytest.raises(ImportNotApplied) as refused:
            apply_network(s, parse_network(data), now=SEASON_NOW)
        assert refused.value.reason == ImportNotApplied.NEEDS_CONFIRMATION
    with session_factory.begin() as s:
        report = apply_network(s, parse_network(data), now=SEASON_NOW, confirmed=True)
    assert report.changed["meeting"] == 1
    assert report.removed["person"] == 1
    with session_factory() as s:
        left = s.scalars(select(Member).where(Member.slack_user_id == gone["slack_id"])).one()
        assert not left.active  # history stays, nudges stop
        m4 = s.scalars(select(Meeting).where(Meeting.number == 4)).one()
        assert m4.place == "Aarhus Rådhus"


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(NetworkFileError) as err:
        parse_network(data, "net.toml")
    return err.value.problems


def test_unknown_field_names_entry_and_field() -> None:
    data = example()
    data["members"][2]["manger"] = "typo"
    assert _problems(data) == [
        'members[3] (slack_id "U0CAMILLA3", "Camilla Østergaard"): unknown field "manger" '
        "(allowed: bidrag, competencies, contributes, email, kompetencer, language, manager, "
        "name, organisation, slack_id, teams_id, timezone)"
    ]


def test_competencies_in_the_file_are_tidied_and_checked() -> None:
    data = example()
    data["members"][0]["kompetencer"] = [" jura ", "GDPR", "gdpr", "Service  design"]
    data["members"][0]["bidrag"] = "  Sparring om persondata  "
    data["members"][1]["competencies"] = "jura, økonomi"
    spec = parse_network(data, "net.toml")
    by_id = {p.slack_user_id: p for p in spec.people}
    anna, bo, camilla = by_id["U0ANNA0001"], by_id["U0BO000002"], by_id["U0CAMILLA3"]
    assert anna.competencies == ("jura", "GDPR", "Service design")
    assert anna.contributes == "Sparring om persondata"
    assert bo.competencies == ("jura", "økonomi")
    assert camilla.competencies is None and camilla.contributes is None  # not in the file
    data["members"][1]["kompetencer"] = ["x"]  # both spellings
    data["members"][2]["kompetencer"] = [f"ord{i}" for i in range(16)]
    data["members"][3]["kompetencer"] = ["a" * 41]
    data["members"][4]["bidrag"] = 3
    problems = _problems(data)
    assert len(problems) == 4
    assert 'give "competencies" or "kompetencer", not both' in problems[0]
    assert '"kompetencer": at most 15 keywords, got 16' in problems[1]
    assert "longer than 40 characters" in problems[2]
    assert '"bidrag" must be a text' in problems[3]


def test_missing_date_is_named() -> None:
    data = example()
    del data["meetings"][1]["starts"]
    assert _problems(data) == ['meetings[2] (number 2): missing field "starts"']


def test_quoted_date_is_explained() -> None:
    data = example()
    data["meetings"][0]["ends"] = "2015-09-21 13:00"
    (problem,) = _problems(data)
    assert problem.startswith('meetings[1] (number 1): "ends" must be a date and time')


def test_meeting_times_out_of_order() -> None:
    data = example()
    data["meetings"][2]["starts"], data["meetings"][2]["ends"] = (
        data["meetings"][2]["ends"],
        data["meetings"][2]["starts"],
    )
    data["meetings"][1]["starts"] = data["meetings"][0]["starts"].replace(hour=9)
    data["meetings"][1]["ends"] = data["meetings"][0]["ends"]
    assert _problems(data) == [
        'meetings[3] (number 3): "ends" must be after "starts"',
        "meetings[2] (number 2): starts before meeting 1 ends: meetings must be in time order",
    ]


def test_duplicate_member_is_named_with_both_entries() -> None:
    data = example()
    dup = deepcopy(data["members"][0])
    dup["name"] = "Anna Lund (again)"
    data["members"].append(dup)
    (problem,) = _problems(data)
    assert problem == (
        'members[11] (slack_id "U0ANNA0001", "Anna Lund (again)"): duplicate: slack_id '
        '"U0ANNA0001" is already used by members[1] (slack_id "U0ANNA0001", "Anna Lund")'
    )


def test_several_problems_are_reported_together() -> None:
    data = example()
    data["network"]["timezone"] = "Europe/Kobenhavn"
    data["members"][0]["language"] = "sv"
    data["facilitators"][0]["slack_id"] = "mette"
    data["extra"] = {}
    problems = _problems(data)
    assert len(problems) == 4
    assert any("not a known time zone" in p for p in problems)
    assert any('"language" must be one of da, en' in p for p in problems)
    assert any('"slack_id" must be a Slack user id' in p for p in problems)
    assert any('unknown table "extra"' in p for p in problems)


def test_meeting_outside_the_season() -> None:
    data = example()
    data["network"]["season_end"] = data["network"]["season_end"].replace(month=4, day=1)
    assert _problems(data) == [
        "meetings[4] (number 4): is on 2016-04-28, outside the season 2015-09-01 – 2016-04-01"
    ]


def test_bad_file_changes_nothing(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    with session_factory.begin() as s:
        import_network_file(s, EXAMPLE_NETWORK, now=SEASON_NOW)
    with session_factory() as s:
        before = snapshot(s)
    bad = tmp_path / "bad.toml"
    text = EXAMPLE_NETWORK.read_text(encoding="utf-8")
    bad.write_text(
        text.replace('place = "Aarhus', 'place = "X').replace("number = 4", "number = 5"),
        encoding="utf-8",
    )
    with pytest.raises(NetworkFileError) as err, session_factory.begin() as s:
        import_network_file(s, bad)
    assert "meetings[4] (number 5)" in str(err.value)
    with session_factory() as s:
        assert snapshot(s) == before


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(NetworkFileError, match="file not found"):
        import_network_file(None, tmp_path / "missing.toml")  # type: ignore[arg-type]
    broken = tmp_path / "broken.toml"
    broken.write_text("[network\n", encoding="utf-8")
    with pytest.raises(NetworkFileError, match="not valid TOML"):
        import_network_file(None, broken)  # type: ignore[arg-type]


def _season_with_records(session_factory: sessionmaker[Session]) -> None:
    """The example network, with Anna's preparation for meetings 3 and 4 and her answer."""
    from models.attendance import AttendanceStatus, set_attendance
    from models.prep import (
        ExampleInput,
        ExampleSource,
        QuestionInput,
        save_examples,
        save_questions,
    )

    with session_factory.begin() as s:
        import_network_file(s, EXAMPLE_NETWORK, now=SEASON_NOW)
    with session_factory.begin() as s:
        anna = s.scalars(select(Member).where(Member.slack_user_id == "U0ANNA0001")).one()
        m3, m4 = (m for m in anna.network.meetings if m.number in (3, 4))
        save_questions(
            session=s,
            member=anna,
            meeting=m3,
            now=SEASON_NOW,
            questions=[QuestionInput(1, "Q", "U0BO000002", "U0CAMILLA3")],
        )
        save_examples(
            session=s,
            member=anna,
            meeting=m4,
            now=SEASON_NOW,
            examples=[ExampleInput("new", "E", "I", "", "", ExampleSource.OWN, False)],
        )
        set_attendance(
            session=s, member=anna, meeting=m4, status=AttendanceStatus.YES, now=SEASON_NOW
        )


def full_snapshot(session: Session) -> list[tuple[Any, ...]]:
    from models.attendance import Attendance
    from models.prep import PrepExample, PrepQuestion

    rows = snapshot(session)
    for model in (PrepQuestion, PrepExample, Attendance):
        rows += [(model.__name__, obj.id) for obj in session.scalars(select(model))]
    return rows


def test_destructive_import_shows_what_hangs_on_it_and_waits_for_confirmation(
    session_factory: sessionmaker[Session],
) -> None:
    _season_with_records(session_factory)
    data = example()
    data["meetings"] = data["meetings"][:2]  # a file without meetings 3–4
    data["members"] = data["members"][:3]  # a truncated member list
    with session_factory() as s:
        before = full_snapshot(s)
        with pytest.raises(ImportNotApplied) as refused:
            apply_network(s, parse_network(data), now=SEASON_NOW)
        s.rollback()
        assert full_snapshot(s) == before  # nothing changed
    plan = refused.value.plan
    assert refused.value.reason == ImportNotApplied.NEEDS_CONFIRMATION and plan.destructive
    assert [c.label for c in plan.deleted] == [
        'meeting 3 "Design som problemløsning" (2016-03-03)',
        'meeting 4 "Krydsbestøvning – din, min, vores idé" (2016-04-28)',
    ]
    assert dict(plan.deleted[0].records)["questions"] == 1
    assert dict(plan.deleted[1].records)["examples"] == 1
    assert dict(plan.deleted[1].records)["attendance answers"] == 1
    assert len(plan.deactivated) == 7
    lines = plan.lines()
    assert any(
        line.startswith('- meeting 4 "Krydsbestøvning') and "DELETED with" in line for line in lines
    )
    assert sum("DEACTIVATED" in line for line in lines) == 7
    with session_factory.begin() as s:
        report = apply_network(s, parse_network(data), now=SEASON_NOW, confirmed=True)
    assert report.removed == {"meeting": 2, "person": 7}
    with session_factory() as s:
        assert len(s.scalars(select(Meeting)).all()) == 2


def test_additions_and_changes_apply_without_confirmation(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        import_network_file(s, EXAMPLE_NETWORK, now=SEASON_NOW)
    data = example()
    data["members"].append(dict(data["members"][0], slack_id="U0NEWBIE01", name="Kim Ny"))
    data["meetings"][3]["place"] = "Aarhus Rådhus"
    with session_factory.begin() as s:
        report = apply_network(s, parse_network(data), now=SEASON_NOW)
    assert report.plan is not None and not report.plan.destructive
    assert report.plan.lines() == [
        '+ person U0NEWBIE01 "Kim Ny" (member)',
        '~ meeting 4 "Krydsbestøvning – din, min, vores idé" (2016-04-28): place',
    ]
    assert report.added["person"] == 1 and report.changed["meeting"] == 1


def test_a_new_key_with_the_same_members_is_refused_unless_intended(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as s:
        import_network_file(s, EXAMPLE_NETWORK, now=SEASON_NOW)
    data = example()
    data["network"]["key"] = "coi-spredning-2015-61"  # a typo
    with session_factory() as s, pytest.raises(ImportNotApplied) as refused:
        apply_network(s, parse_network(data), now=SEASON_NOW)
    assert refused.value.reason == ImportNotApplied.SHARED_MEMBERS
    assert set(refused.value.plan.shared.values()) == {"coi-spredning-2015-16"}
    assert len(refused.value.plan.shared) == len(data["members"])
    with session_factory() as s:
        assert len(s.scalars(select(Network)).all()) == 1
    with session_factory.begin() as s:
        apply_network(s, parse_network(data), now=SEASON_NOW, allow_shared_members=True)
    with session_factory() as s:
        assert len(s.scalars(select(Network)).all()) == 2


def test_meeting_speakers_and_description_load_and_stay_when_a_file_omits_them(
    session_factory: sessionmaker[Session],
) -> None:
    data = example()
    data["meetings"][1]["speakers"] = ["Mette Holm, innovationsleder", "Ole Berg, KL"]
    data["meetings"][1]["description"] = "  Sådan bliver klager til idéer  "
    with session_factory() as s:
        apply_network(s, parse_network(data), SEASON_NOW)
        s.commit()
        m2 = s.scalars(select(Meeting).where(Meeting.number == 2)).one()
        assert m2.speaker_list == ["Mette Holm, innovationsleder", "Ole Berg, KL"]
        assert m2.description == "Sådan bliver klager til idéer"
        assert m2.calendar_sequence == 0  # details are no move
        apply_network(s, parse_network(example()), SEASON_NOW)  # a file without them
        s.commit()
        assert m2.speaker_list and m2.description  # what was set stays


def test_bad_speakers_are_named() -> None:
    data = example()
    data["meetings"][0]["speakers"] = "Mette Holm"
    data["meetings"][1]["description"] = 42
    assert _problems(data) == [
        'meetings[1] (number 1): "speakers" must be a list of texts, e.g. ["Name, title"]',
        'meetings[2] (number 2): "description" must be a text',
    ]
