"""Applications: saving and editing until the deadline, every problem at once, the fee with
the colleague discount, the review (accept, wait-list, decline), free seats to the wait list
in order, each outcome into the outbox once; on SQLite and PostgreSQL."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.applications import (
    HALF_PAGE,
    Applicant,
    Application,
    ApplicationField,
    ApplicationInput,
    ApplicationStatus,
    decide,
    fee_for_new,
    fee_of,
    fill_free_seats,
    move_on_wait_list,
    outcome_of,
    review,
    save_application,
)
from models.errors import FieldErrors, InputError
from models.export import export_tables
from models.network import Member, Network, Platform, Role
from models.network_import import NetworkFileError, import_network_file, parse_network
from models.nudges import Nudge, NudgeKind
from tests.conftest import ANNA, EXAMPLE_NETWORK, FACILITATOR, person

# 20 August 2015: before the deadline (31 August 13:00 in Copenhagen).
APPLY_NOW = datetime(2015, 8, 20, 8, 0, tzinfo=UTC)
DEADLINE = datetime(2015, 8, 31, 11, 0, tzinfo=UTC)


def values(
    name: str = "Ida Holm", email: str = "ida@aarhus.dk", workplace: str = "Aarhus Kommune"
) -> ApplicationInput:
    return ApplicationInput(
        name=name,
        email=email,
        workplace=workplace,
        about="Projektleder i ældreplejen.",
        tasks="Velfærdsteknologi og borgerinddragelse.",
        competencies="design, borgerinddragelse, velfærdsteknologi",
        wants="Stjæle gode ideer.",
        contributes="Erfaringer med skærmbesøg.",
        confirmed_time=True,
        confirmed_binding=True,
    )


def open_network(s: Session, seats: int | None = 2) -> Network:
    network = s.scalars(select(Network)).one()
    network.applications_open, network.application_deadline, network.seats = True, DEADLINE, seats
    s.flush()
    return network


def apply(s: Session, network: Network, slack_id: str, **given: str) -> Application:
    return save_application(
        session=s,
        network=network,
        applicant=Applicant(Platform.SLACK, slack_id, "da"),
        values=values(**given),
        now=APPLY_NOW,
    )


def test_an_application_is_saved_and_edited_until_the_deadline(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        net = open_network(s)
        row = apply(s, net, "U0IDA00001")
        s.commit()
        applicant = row.member
        assert (applicant.role, applicant.slack_user_id, applicant.active) == (
            Role.APPLICANT,
            "U0IDA00001",
            True,
        )
        assert row.competencies == ["design", "borgerinddragelse", "velfærdsteknologi"]
        again = apply(s, net, "U0IDA00001", workplace="Aarhus  Kommune ")
        assert again.id == row.id and again.workplace == "Aarhus Kommune"
        with pytest.raises(InputError) as closed:
            save_application(
                session=s,
                network=net,
                applicant=Applicant(Platform.SLACK, "U0IDA00001"),
                values=values(),
                now=DEADLINE,
            )
        assert closed.value.key == "applications.closed"


def test_every_problem_is_named_at_once(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        net = open_network(s)
        bad = replace(
            values(email="ida@"),
            name="",
            about="x" * HALF_PAGE,
            confirmed_binding=False,
        )
        with pytest.raises(FieldErrors) as caught:
            save_application(
                session=s,
                network=net,
                applicant=Applicant(Platform.SLACK, "U0IDA00001"),
                values=bad,
                now=APPLY_NOW,
            )
        errors = caught.value.errors
        assert errors[ApplicationField.NAME][0] == "applications.error.required"
        assert errors[ApplicationField.EMAIL][0] == "applications.error.email"
        assert errors[ApplicationField.ABOUT][0] == "applications.error.too_long"
        assert errors[ApplicationField.CONFIRM][0] == "applications.error.confirm"
        assert s.scalars(select(Application)).all() == []


def test_fee_with_the_colleague_discount_for_the_second_and_third(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        net = open_network(s)
        rows = [
            apply(s, net, f"U0AARHUS0{i}", name=f"Kollega {i}", email=f"k{i}@aarhus.dk")
            for i in range(4)
        ]
        assert [fee_of(s, r) for r in rows] == [6000, 5500, 5500, 6000]
        assert fee_for_new(s, net, "aarhus kommune") == 6000
        assert fee_for_new(s, net, "Lejre Kommune") == 6000
        assert review(s, net).crowded == {"Aarhus Kommune": 4}


def test_review_seats_wait_list_and_outcomes_told_once(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        net = open_network(s, seats=1)
        fac = person(s, FACILITATOR)
        ida = apply(s, net, "U0IDA00001")
        ole = apply(s, net, "U0OLE00002", name="Ole", email="ole@roskilde.dk", workplace="Roskilde")
        eva = apply(s, net, "U0EVA00003", name="Eva", email="eva@gribskov.dk", workplace="Gribskov")
        now = DEADLINE
        decide(
            session=s,
            by=fac,
            application_id=ida.id,
            status=ApplicationStatus.ACCEPTED,
            message="Velkommen!",
            now=now,
        )
        with pytest.raises(InputError) as full:
            decide(
                session=s,
                by=fac,
                application_id=ole.id,
                status=ApplicationStatus.ACCEPTED,
                message=None,
                now=now,
            )
        assert full.value.key == "applications.error.full"
        for row in (eva, ole):  # Eva first: she is first on the wait list
            decide(
                session=s,
                by=fac,
                application_id=row.id,
                status=ApplicationStatus.WAITLISTED,
                message=None,
                now=now,
            )
        assert (eva.position, ole.position) == (1, 2)
        member = s.get(Member, ida.member_id)
        assert member is not None and member.role is Role.MEMBER
        assert member.competencies == ["design", "borgerinddragelse", "velfærdsteknologi"]
        assert member.contributes == "Erfaringer med skærmbesøg."
        # Ida declines after all: her seat goes to Eva, who is told once.
        decide(
            session=s,
            by=fac,
            application_id=ida.id,
            status=ApplicationStatus.DECLINED,
            message=None,
            now=now,
        )
        assert (eva.status, ole.status, ole.position) == (
            ApplicationStatus.ACCEPTED,
            ApplicationStatus.WAITLISTED,
            2,
        )
        assert fill_free_seats(s, net, now) == []  # no seat free any more
        s.commit()
        told = s.scalars(select(Nudge).where(Nudge.kind == NudgeKind.APPLICATION_OUTCOME)).all()
        by_app = sorted((n.seq // 8, n.seq % 8) for n in told)
        assert by_app == sorted([(ida.id, 1), (ida.id, 3), (ole.id, 2), (eva.id, 2), (eva.id, 1)])
        # Ida's acceptance changed before it went out: it says nothing; her decline does.
        assert outcome_of(s, ida.id * 8 + 1) is None
        assert outcome_of(s, ida.id * 8 + 3) is ida
        assert s.get(Member, ida.member_id).role is Role.APPLICANT  # type: ignore[union-attr]
        assert all(r.told_at == now for r in (ida, ole, eva))


def test_only_the_networks_facilitator_decides(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        net = open_network(s)
        row = apply(s, net, "U0IDA00001")
        with pytest.raises(InputError) as caught:
            decide(
                session=s,
                by=person(s, ANNA),
                application_id=row.id,
                status=ApplicationStatus.ACCEPTED,
                message=None,
                now=APPLY_NOW,
            )
        assert caught.value.key == "network.not_allowed"
        assert row.status is ApplicationStatus.PENDING


def test_a_reimport_keeps_applicants_and_who_came_in_by_application(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        net = open_network(s)
        row = apply(s, net, "U0IDA00001")
        other = apply(s, net, "U0OLE00002", name="Ole", email="ole@roskilde.dk")
        decide(
            session=s,
            by=person(s, FACILITATOR),
            application_id=row.id,
            status=ApplicationStatus.ACCEPTED,
            message=None,
            now=APPLY_NOW,
        )
        s.commit()
    with session_factory.begin() as s:
        report = import_network_file(s, EXAMPLE_NETWORK, now=APPLY_NOW)
        assert report.removed["person"] == 0
    with session_factory() as s:
        for app_id in (row.id, other.id):
            found = s.get(Application, app_id)
            assert found is not None and found.member.active


def test_the_network_file_sets_deadline_seats_and_open() -> None:
    data = tomllib.loads(EXAMPLE_NETWORK.read_text(encoding="utf-8"))
    data["network"].update(
        applications_open=True,
        application_deadline=datetime(2015, 8, 31, 13, 0),  # local time, as in the file
        seats=20,
    )
    spec = parse_network(data)
    assert spec.applications.open and spec.applications.seats == 20
    assert spec.applications.deadline == DEADLINE
    data["network"].update(applications_open="ja", seats=0, application_deadline="31/8")
    with pytest.raises(NetworkFileError) as caught:
        parse_network(data)
    problems = "\n".join(caught.value.problems)
    for name in ("applications_open", "seats", "application_deadline"):
        assert f'"{name}"' in problems


def test_the_export_has_an_applications_sheet_with_fees(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        net = open_network(s)
        apply(s, net, "U0IDA00001")
        apply(s, net, "U0OLE00002", name="Ole", email="ole@aarhus.dk")
        s.commit()
        sheet = export_tables(session=s, network=net)["applications"]
    header, *rows = sheet
    column = {name: i for i, name in enumerate(header)}
    assert [(r[column["name"]], r[column["fee"]], r[column["from_workplace"]]) for r in rows] == [
        ("Ida Holm", 6000, 2),
        ("Ole", 5500, 2),
    ]
    assert rows[0][column["competencies"]] == "design, borgerinddragelse, velfærdsteknologi"
    assert rows[0][column["status"]] == "pending"


def test_the_facilitator_sets_the_wait_lists_order(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        net = open_network(s, seats=1)
        fac = person(s, FACILITATOR)
        rows = [
            apply(s, net, f"U0WAIT000{i}", name=f"Venter {i}", email=f"v{i}@x.dk") for i in range(4)
        ]
        for row in rows:
            status = ApplicationStatus.ACCEPTED if row is rows[0] else ApplicationStatus.WAITLISTED
            decide(
                session=s, by=fac, application_id=row.id, status=status, message=None, now=DEADLINE
            )
        moved = move_on_wait_list(
            session=s, by=fac, application_id=rows[3].id, position=1, now=DEADLINE
        )
        assert [r.position for r in rows[1:]] == [2, 3, 1] and moved is rows[3]
        with pytest.raises(InputError) as caught:
            move_on_wait_list(
                session=s, by=fac, application_id=rows[0].id, position=1, now=DEADLINE
            )
        assert caught.value.key == "applications.error.not_waitlisted"
        decide(
            session=s,
            by=fac,
            application_id=rows[0].id,
            status=ApplicationStatus.DECLINED,
            message=None,
            now=DEADLINE,
        )
        assert rows[3].status is ApplicationStatus.ACCEPTED  # first in the order set
        assert [r.position for r in rows[1:3]] == [2, 3]
