"""Attendance answers: a substitute needs a real e-mail address."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.attendance import Attendance, AttendanceStatus, set_attendance
from models.errors import InputError
from models.network import is_email_address
from tests.conftest import ANNA, SEASON_NOW, person

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
