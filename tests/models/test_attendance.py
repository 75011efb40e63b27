"""Attendance answers: a substitute needs a real e-mail address."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.attendance import (
    Attendance,
    AttendanceStatus,
    save_substitute_report,
    set_attendance,
)
from models.errors import InputError
from models.network import is_email_address
from tests.conftest import ANNA, BO, SEASON_NOW, person

NOT_ADDRESSES = [
    "@.",
    "a@b",
    "a@.dk",
    "a@b.",
    "a@b..dk",
    "a..b@x.dk",
    ".a@x.dk",
    "a.@x.dk",
    "a b@x.dk",
    "a@x_y.dk",
    "a@-x.dk",
    "a@x.d",
    "a@x.123",
    "ib@holm@x.dk",
    "<@U123>@x.dk",
    "x" * 65 + "@x.dk",
]
ADDRESSES = [
    "ib.holm@roskilde.dk",
    "anne-marie+netvaerk@kommune.dk",
    "søren@københavn.dk",
    "A.B@Sub.Domain.Example.ORG",
    "x@xn--kbenhavn-54a.dk",
]


@pytest.mark.parametrize("text", NOT_ADDRESSES)
def test_not_an_email_address(text: str) -> None:
    assert not is_email_address(text)


@pytest.mark.parametrize("text", ADDRESSES)
def test_an_email_address(text: str) -> None:
    assert is_email_address(text)


def test_a_substitute_with_a_bad_address_is_refused_and_nothing_stored(
    session_factory: sessionmaker[Session], network: object
) -> None:
    with session_factory() as s:
        anna = person(s, ANNA)
        meeting = next(m for m in anna.network.meetings if m.number == 2)
        with pytest.raises(InputError) as err:
            set_attendance(
                session=s,
                member=anna,
                meeting=meeting,
                status=AttendanceStatus.SUBSTITUTE,
                substitute_name="Ib Holm",
                substitute_email="@.",
                now=SEASON_NOW,
            )
        assert err.value.key == "attendance.error.bad_email"
        assert s.scalars(select(Attendance)).all() == []
        row = set_attendance(
            session=s,
            member=anna,
            meeting=meeting,
            status=AttendanceStatus.SUBSTITUTE,
            substitute_name="Ib Holm",
            substitute_email=" ib.holm@roskilde.dk ",
            now=SEASON_NOW,
        )
        assert row.substitute_email == "ib.holm@roskilde.dk"


def test_what_a_colleague_brought_back_is_the_members_after_the_meeting(
    session_factory: sessionmaker[Session], network: object
) -> None:
    after = datetime(2015, 11, 18, 9, 0, tzinfo=UTC)
    with session_factory() as s:
        anna, bo = person(s, ANNA), person(s, BO)
        m2 = next(m for m in anna.network.meetings if m.number == 2)
        set_attendance(
            session=s,
            member=anna,
            meeting=m2,
            status=AttendanceStatus.SUBSTITUTE,
            substitute_name="Lise Holm",
            substitute_email="lise@example.org",
            now=SEASON_NOW,
        )
        set_attendance(session=s, member=bo, meeting=m2, status=AttendanceStatus.NO, now=SEASON_NOW)
        keys = []
        for who, text, now in ((anna, "x", SEASON_NOW), (bo, "x", after), (anna, " ", after)):
            with pytest.raises(InputError) as raised:
                save_substitute_report(session=s, member=who, meeting=m2, text=text, now=now)
            keys.append(raised.value.key)
        assert keys == ["brief.error.not_yet", "brief.error.no_substitute", "brief.error.report"]
        row = save_substitute_report(
            session=s, member=anna, meeting=m2, text=" Tre idéer ", now=after
        )
        assert (row.substitute_report, row.substitute_reported_at) == ("Tre idéer", after)
