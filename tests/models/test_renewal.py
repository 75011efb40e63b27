"""The renewal vote, the next season and the seats of last season's members (models/renewal.py),
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers import conversation as c
from handlers.renewal import rollover_report
from models.applications import (
    Applicant,
    ApplicationInput,
    ApplicationStatus,
    decide,
    save_application,
    seats_taken,
)
from models.db import core_connection
from models.errors import InputError
from models.export import export_tables, to_xlsx
from models.hot_path import person_of_row, pick_person
from models.network import (
    _PEOPLE_ROWS,
    Member,
    Network,
    Platform,
    Role,
    find_people,
    pick_member,
)
from models.network_import import NetworkFileError, apply_network, parse_network
from models.nudges import Nudge, NudgeKind, plan_member, schedule
from models.privacy import personal_data
from models.renewal import (
    RenewalChoice,
    SeasonPlan,
    active_members,
    cast_vote,
    claim_seat,
    claim_status,
    free_seats,
    open_next_season,
    renewal_tally,
    set_renewal_deadline,
    settle_claims,
    settle_due_claims,
)
from tests.conftest import ANNA, BO, CAMILLA, FACILITATOR, JENS, person

CPH = ZoneInfo("Europe/Copenhagen")
AFTER_LAST = datetime(2016, 5, 2, 8, 0, tzinfo=UTC)  # the last meeting was 28 April
PLAN = SeasonPlan(
    key="coi-spredning-2016-17",
    name="Spredningsnetværk 2016–17",
    season_start=date(2016, 9, 1),
    season_end=date(2017, 5, 31),
    meeting_days=[date(2016, 9, 20), date(2016, 11, 15), date(2017, 2, 28), date(2017, 4, 25)],
    claim_deadline=date(2016, 6, 15),
)


def test_the_vote_follows_the_last_meeting_and_its_reminder_the_deadline(
    session: Session, network: Network
) -> None:
    net = session.get(Network, network.id)
    assert net is not None
    last = net.meetings[-1]
    window = schedule(NudgeKind.RENEWAL_VOTE, last, None, net, CPH)
    assert window is not None  # the working day after 28 April (a Thursday), 09:00
    assert window.due == datetime(2016, 4, 29, 9, 0, tzinfo=CPH)
    assert window.stale_at == datetime(2016, 6, 1, 0, 0, tzinfo=CPH)  # the season's end
    assert schedule(NudgeKind.RENEWAL_VOTE, net.meetings[0], net.meetings[1], net, CPH) is None
    assert schedule(NudgeKind.RENEWAL_REMINDER, last, None, net, CPH) is None  # no deadline
    set_renewal_deadline(session=session, network=net, day=date(2016, 5, 20), now=AFTER_LAST)
    reminder = schedule(NudgeKind.RENEWAL_REMINDER, last, None, net, CPH)
    assert reminder is not None  # the working day before Friday 20 May
    assert reminder.due == datetime(2016, 5, 19, 9, 0, tzinfo=CPH)
    assert reminder.stale_at == datetime(2016, 5, 21, 0, 0, tzinfo=CPH)
    anna = person(session, ANNA)
    kinds = [
        p.kind
        for p in plan_member(anna, net.meetings)
        if p.kind in {NudgeKind.RENEWAL_VOTE, NudgeKind.RENEWAL_REMINDER}
    ]
    assert kinds == [NudgeKind.RENEWAL_VOTE, NudgeKind.RENEWAL_REMINDER]


def test_one_vote_each_changeable_until_the_deadline(session: Session, network: Network) -> None:
    anna, bo = person(session, ANNA), person(session, BO)
    before = datetime(2016, 4, 1, 8, 0, tzinfo=UTC)
    with pytest.raises(InputError) as closed:
        cast_vote(session=session, member=anna, choice=RenewalChoice.YES, now=before)
    assert closed.value.key == "renewal.error.closed"
    cast_vote(session=session, member=anna, choice=RenewalChoice.NO, now=AFTER_LAST)
    cast_vote(session=session, member=anna, choice=RenewalChoice.YES, now=AFTER_LAST)  # changed
    cast_vote(session=session, member=bo, choice=RenewalChoice.UNSURE, now=AFTER_LAST)
    tally = renewal_tally(session, anna.network, AFTER_LAST)
    assert (tally.yes, tally.no, tally.unsure, tally.open) == (1, 0, 1, True)
    assert anna not in tally.not_voted and bo not in tally.not_voted
    assert person(session, CAMILLA) in tally.not_voted
    facilitator = person(session, FACILITATOR)
    with pytest.raises(InputError) as not_member:
        cast_vote(session=session, member=facilitator, choice=RenewalChoice.YES, now=AFTER_LAST)
    assert not_member.value.key == "renewal.error.not_member"
    set_renewal_deadline(
        session=session, network=anna.network, day=date(2016, 5, 20), now=AFTER_LAST
    )
    late = datetime(2016, 5, 20, 22, 0, tzinfo=UTC)  # 21 May, 00:00 in Copenhagen
    with pytest.raises(InputError):
        cast_vote(session=session, member=anna, choice=RenewalChoice.NO, now=late)
    assert renewal_tally(session, anna.network, late).yes == 1
    assert personal_data(session=session, member=anna)["renewal_vote"]["choice"] == "yes"


@pytest.mark.parametrize(
    ("day", "key"),
    [
        (date(2016, 4, 28), "renewal.error.deadline_before_last"),
        (date(2016, 6, 1), "renewal.error.deadline_after_season"),
        (date(2016, 5, 1), "renewal.error.deadline_past"),
    ],
)
def test_a_deadline_must_fit(session: Session, network: Network, day: date, key: str) -> None:
    net = session.get(Network, network.id)
    assert net is not None
    with pytest.raises(InputError) as error:
        set_renewal_deadline(session=session, network=net, day=day, now=AFTER_LAST)
    assert error.value.key == key
    assert net.renewal_deadline is None


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"key": "Not A Key"}, "season.error.key"),
        ({"key": "coi-spredning-2015-16"}, "season.error.key_taken"),
        ({"season_start": date(2016, 5, 1)}, "season.error.dates"),
        ({"meeting_days": [date(2016, 11, 15), date(2016, 9, 20)]}, "season.error.meetings"),
        ({"meeting_days": [date(2017, 6, 20)]}, "season.error.meetings"),
        ({"meeting_days": []}, "season.error.meetings"),
        ({"claim_deadline": date(2016, 4, 1)}, "season.error.claim_deadline"),
        ({"claim_deadline": date(2016, 9, 1)}, "season.error.claim_deadline"),
    ],
)
def test_bad_next_season_stores_nothing(
    session_factory: sessionmaker[Session], network: Network, change: dict[str, object], key: str
) -> None:
    with session_factory() as s:
        net = s.get(Network, network.id)
        assert net is not None
        plan = SeasonPlan(**{**PLAN.__dict__, **change})  # type: ignore[arg-type]
        with pytest.raises(InputError) as error:
            open_next_season(session=s, previous=net, plan=plan, now=AFTER_LAST)
        assert error.value.key == key
        s.rollback()
    with session_factory() as s:
        assert s.scalars(select(Network)).all() == [s.get(Network, network.id)]
        assert s.scalars(select(Nudge).where(Nudge.kind == NudgeKind.SEAT_CLAIM)).all() == []


def open_season(s: Session, network: Network, now: datetime = AFTER_LAST) -> Network:
    previous = s.get(Network, network.id)
    assert previous is not None
    new = open_next_season(session=s, previous=previous, plan=PLAN, now=now)
    s.commit()
    return new


def test_open_the_next_season_asks_every_member_to_claim_their_seat(
    session: Session, network: Network
) -> None:
    new = open_season(session, network)
    assert new.previous_id == network.id
    assert [m.starts_at.astimezone(CPH).date() for m in new.meetings] == PLAN.meeting_days
    assert new.meetings[0].starts_at == datetime(2016, 9, 20, 10, 0, tzinfo=CPH)
    assert new.claim_deadline == datetime(2016, 6, 16, 0, 0, tzinfo=CPH)
    # The facilitators come along, reachable as before; the members are asked, once each.
    facilitators = [p for p in new.people if p.role is Role.FACILITATOR]
    old_facilitators = [
        p
        for p in session.get(Network, network.id).people  # type: ignore[union-attr]
        if p.role is Role.FACILITATOR
    ]
    assert FACILITATOR in {f.slack_user_id for f in facilitators}
    assert sorted(f.previous_member_id or 0 for f in facilitators) == sorted(
        f.id for f in old_facilitators
    )
    asked = session.scalars(select(Nudge).where(Nudge.kind == NudgeKind.SEAT_CLAIM)).all()
    members = session.scalars(
        select(Member).where(
            Member.network_id == network.id, Member.role == Role.MEMBER, Member.active.is_(True)
        )
    ).all()
    assert sorted(n.member_id for n in asked) == sorted(m.id for m in members)
    assert {n.seq for n in asked} == {new.id}
    with pytest.raises(InputError) as twice:
        open_next_season(
            session=session,
            previous=session.get(Network, network.id),  # type: ignore[arg-type]
            plan=SeasonPlan(**{**PLAN.__dict__, "key": "another"}),  # type: ignore[arg-type]
            now=AFTER_LAST,
        )
    assert twice.value.key == "season.error.already_opened"


def test_claims_then_rollover_the_claimants_become_the_new_season(
    session: Session, network: Network
) -> None:
    new = open_season(session, network)
    anna, bo, camilla, jens = (person(session, x) for x in (ANNA, BO, CAMILLA, JENS))
    claim_seat(session=session, member=anna, new=new, takes_seat=True, now=AFTER_LAST)
    claim_seat(session=session, member=bo, new=new, takes_seat=True, now=AFTER_LAST)
    claim_seat(session=session, member=bo, new=new, takes_seat=False, now=AFTER_LAST)  # changed
    claim_seat(session=session, member=camilla, new=new, takes_seat=True, now=AFTER_LAST)
    facilitator = session.scalars(
        select(Member).where(Member.network_id == network.id, Member.role == Role.FACILITATOR)
    ).first()
    assert facilitator is not None
    with pytest.raises(InputError) as not_yours:
        claim_seat(session=session, member=facilitator, new=new, takes_seat=True, now=AFTER_LAST)
    assert not_yours.value.key == "season.claim.error.not_yours"
    status = claim_status(session, new)
    assert (status.taken, status.declined) == ([anna, camilla], [bo])
    assert jens in status.no_answer
    # Before the deadline nothing rolls over.
    assert settle_claims(session=session, new=new, now=AFTER_LAST) is None
    after = datetime(2016, 6, 15, 22, 0, tzinfo=UTC)  # 16 June, 00:00 in Copenhagen
    with pytest.raises(InputError) as late:
        claim_seat(session=session, member=jens, new=new, takes_seat=True, now=after)
    assert late.value.key == "season.claim.error.closed"
    (rollover,) = settle_due_claims(session=session, networks=[new], now=after)
    session.commit()
    assert sorted(m.name for m in rollover.claimed) == sorted([anna.name, camilla.name])
    assert rollover.free is None  # no number of seats given
    new_anna = next(m for m in rollover.claimed if m.previous_member_id == anna.id)
    assert new_anna.network_id == new.id and new_anna.slack_user_id == ANNA
    assert new_anna.organisation == anna.organisation and new_anna.role is Role.MEMBER
    old = session.get(Network, network.id)
    assert old is not None and old.closed_at == after
    assert settle_due_claims(session=session, networks=[new], now=after) == []  # once
    # Anna is in both seasons: between them (and in the new one) she acts in the new one.
    summer = datetime(2016, 8, 1, 8, 0, tzinfo=UTC)
    acting = pick_member(find_people(session, ANNA), summer)
    assert acting is not None and acting.network_id == new.id
    assert [p.network_id for p in find_people(session, BO)] == [network.id]
    claims = personal_data(session=session, member=anna)["seat_claims"]
    assert claims == [
        {"season": new.name, "takes_seat": True, "updated_at": AFTER_LAST.isoformat()}
    ]


def test_seats_nobody_claimed_go_to_the_wait_list_in_order(
    session: Session, network: Network
) -> None:
    new = open_season(session, network)
    new.seats = 3
    facilitator = session.scalars(
        select(Member).where(Member.network_id == new.id, Member.role == Role.FACILITATOR)
    ).first()
    assert facilitator is not None
    waiting = []
    for user, name in (("U0APPLY001", "Ulla Ansøger"), ("U0APPLY002", "Vagn Ansøger")):
        values = ApplicationInput(
            name,
            f"{user.lower()}@example.org",
            "Lejre Kommune",
            "Om mig",
            "Opgaver",
            "design",
            "Ideer",
            "Erfaring",
            True,
            True,
        )
        row = save_application(
            session=session,
            network=new,
            applicant=Applicant(Platform.SLACK, user),
            values=values,
            now=AFTER_LAST,
            check_deadline=False,
        )
        waiting.append(
            decide(
                session=session,
                by=facilitator,
                application_id=row.id,
                status=ApplicationStatus.WAITLISTED,
                message=None,
                now=AFTER_LAST,
            )
        )
    for who in (ANNA, CAMILLA):
        claim_seat(
            session=session, member=person(session, who), new=new, takes_seat=True, now=AFTER_LAST
        )
    after = datetime(2016, 6, 15, 22, 0, tzinfo=UTC)
    (rollover,) = settle_due_claims(session=session, networks=[new], now=after)
    session.commit()
    # Three seats, two claimed: the first on the wait list gets the third, the second waits.
    assert len(rollover.claimed) == 2 and rollover.free == 1
    assert rollover.seated == [waiting[0]]
    assert waiting[0].status is ApplicationStatus.ACCEPTED
    assert waiting[1].status is ApplicationStatus.WAITLISTED
    assert seats_taken(session, new.id) == 3
    told = session.scalars(select(Nudge).where(Nudge.kind == NudgeKind.APPLICATION_OUTCOME)).all()
    assert sorted(n.member_id for n in told).count(waiting[0].member_id) == 2  # wait-listed, seated
    # The facilitator hears once how the seats were settled; each claimant that theirs is
    # confirmed (the outbox, built when sent).
    notices = session.scalars(
        select(Nudge).where(Nudge.kind.in_([NudgeKind.ROLLOVER_REPORT, NudgeKind.SEAT_CONFIRMED]))
    ).all()
    assert sorted((n.kind.value, n.member_id, n.seq) for n in notices) == sorted(
        [("rollover_report", p.id, new.id) for p in new.people if p.role is Role.FACILITATOR]
        + [("seat_confirmed", m.id, new.id) for m in rollover.claimed]
    )
    to_facilitator = next(n for n in notices if n.kind is NudgeKind.ROLLOVER_REPORT)
    report = rollover_report(session=session, nudge=to_facilitator, now=after)
    assert report is not None
    text = "\n".join(p.text for p in report.parts if isinstance(p, c.Paragraph))
    assert "2 medlemmer tog sin plads" in text and f"<@{ANNA}>" in text
    assert "0 pladser er ledige" in text
    assert "Fra ventelisten fik 1 ansøger en plads: <@U0APPLY001>." in text
    assert "U0APPLY002" not in text


def test_free_seats() -> None:
    assert free_seats(None, 12) is None
    assert free_seats(20, 12) == 8
    assert free_seats(10, 12) == 0


def test_a_person_listed_in_the_new_file_is_linked_not_doubled(
    session: Session, network: Network
) -> None:
    new = open_season(session, network)
    anna = person(session, ANNA)
    listed = Member(role=Role.MEMBER, name="Anna Lund", active=True)
    listed.set_identity(Platform.SLACK, ANNA)
    new.people.append(listed)
    session.flush()
    claim_seat(session=session, member=anna, new=new, takes_seat=True, now=AFTER_LAST)
    after = datetime(2016, 6, 16, 8, 0, tzinfo=UTC)
    rollover = settle_claims(session=session, new=new, now=after)
    assert rollover is not None and rollover.claimed == [listed]
    assert listed.previous_member_id == anna.id
    assert len([p for p in new.people if p.slack_user_id == ANNA]) == 1


NEXT_FILE = {
    "network": {
        "key": "coi-spredning-2016-17",
        "name": "Spredningsnetværk 2016–17",
        "season_start": date(2016, 9, 1),
        "season_end": date(2017, 5, 31),
        "previous": "coi-spredning-2015-16",
        "claim_deadline": date(2016, 6, 15),
    },
    "meetings": [
        {
            "number": 1,
            "theme": "Opstart",
            "starts": datetime(2016, 9, 20, 10, 0),
            "ends": datetime(2016, 9, 20, 13, 0),
            "host": "COI",
            "place": "København",
        }
    ],
    "facilitators": [{"slack_id": FACILITATOR, "name": "Tovholder"}],
    "members": [
        {"slack_id": "U0NEWBIE01", "name": "Nina Ny", "organisation": "Vejle", "manager": "Lone"}
    ],
}


def test_the_next_season_from_a_network_file(session: Session, network: Network) -> None:
    spec = parse_network(NEXT_FILE)
    apply_network(session, spec, AFTER_LAST)
    new = session.scalars(select(Network).where(Network.key == spec.key)).one()
    assert new.previous_id == network.id
    assert new.claim_deadline == datetime(2016, 6, 16, 0, 0, tzinfo=CPH)
    asked = session.scalars(select(Nudge).where(Nudge.kind == NudgeKind.SEAT_CLAIM)).all()
    assert len(asked) == len(active_members(session, session.get(Network, network.id)))  # type: ignore[arg-type]
    apply_network(session, parse_network(NEXT_FILE), AFTER_LAST)  # again: asked once each
    again = session.scalars(select(Nudge).where(Nudge.kind == NudgeKind.SEAT_CLAIM)).all()
    assert len(again) == len(asked)
    # After the rollover, a claimant missing from the file stays (the file lists newcomers).
    anna = person(session, ANNA)
    claim_seat(session=session, member=anna, new=new, takes_seat=True, now=AFTER_LAST)
    settle_claims(session=session, new=new, now=datetime(2016, 6, 16, 8, tzinfo=UTC))
    report = apply_network(session, parse_network(NEXT_FILE), datetime(2016, 6, 17, tzinfo=UTC))
    assert report.removed["person"] == 0
    assert sorted((m.previous_member_id or 0) for m in active_members(session, new)) == [
        0,
        anna.id,
    ]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"previous": None}, 'claim_deadline needs "previous"'),
        ({"claim_deadline": date(2016, 9, 1)}, "claim_deadline must be before season_start"),
        ({"previous": "Coi!"}, '"previous" must be the key of another network'),
        ({"renewal_deadline": date(2017, 6, 1)}, "renewal_deadline must be within the season"),
        ({"renewal_deadline": date(2016, 9, 20)}, "renewal_deadline must be after the day of"),
    ],
)
def test_a_bad_season_link_in_a_file_is_named(change: dict[str, object], problem: str) -> None:
    net = {k: v for k, v in {**NEXT_FILE["network"], **change}.items() if v is not None}  # type: ignore[dict-item]
    with pytest.raises(NetworkFileError) as error:
        parse_network({**NEXT_FILE, "network": net})
    assert any(problem in p for p in error.value.problems)


def test_a_previous_season_that_is_not_loaded_stores_nothing(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    data = {**NEXT_FILE, "network": {**NEXT_FILE["network"], "previous": "no-such-season"}}  # type: ignore[dict-item]
    with session_factory() as s:
        with pytest.raises(NetworkFileError) as error:
            apply_network(s, parse_network(data), AFTER_LAST)
        assert error.value.problems == [
            '[network]: "previous" names no network loaded: "no-such-season"'
        ]
        s.rollback()
    with session_factory() as s:
        assert len(s.scalars(select(Network)).all()) == 1


def test_after_a_rollover_within_the_old_season_commands_act_on_the_new_one(
    session: Session, network: Network
) -> None:
    early = SeasonPlan(**{**PLAN.__dict__, "claim_deadline": date(2016, 5, 20)})  # type: ignore[arg-type]
    previous = session.get(Network, network.id)
    assert previous is not None
    new = open_next_season(session=session, previous=previous, plan=early, now=AFTER_LAST)
    anna = person(session, ANNA)
    claim_seat(session=session, member=anna, new=new, takes_seat=True, now=AFTER_LAST)
    settle_claims(session=session, new=new, now=datetime(2016, 5, 21, 8, tzinfo=UTC))
    session.commit()
    may = datetime(2016, 5, 25, 8, tzinfo=UTC)  # the old season still runs, but is closed
    acting = pick_member(find_people(session, ANNA), may)
    assert acting is not None and acting.network_id == new.id
    rows = core_connection(session).execute(
        _PEOPLE_ROWS, {"platform": Platform.SLACK, "external_id": ANNA}
    )
    fast = pick_person([person_of_row(row) for row in rows], may)
    assert fast is not None and fast.network_id == new.id  # the hot path agrees


def test_the_export_has_the_vote_as_counts_and_the_seat_claims_by_name(
    session: Session, network: Network
) -> None:
    import io

    import openpyxl

    anna, bo, camilla = (person(session, x) for x in (ANNA, BO, CAMILLA))
    cast_vote(session=session, member=anna, choice=RenewalChoice.YES, now=AFTER_LAST)
    cast_vote(session=session, member=bo, choice=RenewalChoice.NO, now=AFTER_LAST)
    cast_vote(session=session, member=camilla, choice=RenewalChoice.YES, now=AFTER_LAST)
    new = open_season(session, network)
    claim_seat(session=session, member=anna, new=new, takes_seat=True, now=AFTER_LAST)
    claim_seat(session=session, member=bo, new=new, takes_seat=False, now=AFTER_LAST)
    session.commit()
    not_voted = len(renewal_tally(session, anna.network, AFTER_LAST).not_voted)
    for season in (anna.network, new):  # the old season's export, and the new one's
        book = openpyxl.load_workbook(
            io.BytesIO(to_xlsx(export_tables(session=session, network=season))), read_only=True
        )
        assert {"renewal", "seat_claims"} <= set(book.sheetnames)
        claims = list(book["seat_claims"].iter_rows(values_only=True))
        assert claims == [
            ("season", "member", "takes_seat", "answered"),
            (PLAN.name, "Anna Lund", True, "2016-05-02 10:00"),
            (PLAN.name, "Bo Kjær", False, "2016-05-02 10:00"),
        ]
    book = openpyxl.load_workbook(
        io.BytesIO(to_xlsx(export_tables(session=session, network=anna.network))), read_only=True
    )
    # Counts only: the vote is secret, so no name is in the sheet.
    assert list(book["renewal"].iter_rows(values_only=True)) == [
        ("answer", "members"),
        ("yes", 2),
        ("no", 1),
        ("unsure", 0),
        ("not_voted", not_voted),
    ]
