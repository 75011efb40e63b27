"""Text is stored the same on SQLite and PostgreSQL: control characters (PostgreSQL refuses
NUL) are taken out in one place, tabs and newlines stay."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from models.base import clean_text
from models.followup import ManagerFollowUp, log_followup
from models.sparring import SparringEntry, log_sparring
from tests.conftest import ANNA, BO, SEASON_NOW, person

TYPED = "Før\x00 mødet\x07:\r\n\t- punkt\x1b[31m\x7f\x85 ét\ud800"
STORED = "Før mødet:\r\n\t- punkt[31m ét"


def test_clean_text_keeps_what_a_person_meant() -> None:
    assert clean_text(TYPED) == STORED
    assert clean_text("æøå 👍 <@U1>\n") == "æøå 👍 <@U1>\n"


def test_control_characters_are_stored_alike_on_both_backends(
    session_factory: sessionmaker[Session], network: object
) -> None:
    with session_factory() as s:
        log_sparring(
            session=s,
            member=person(s, ANNA),
            minutes=30,
            given_on=date(2015, 10, 2),
            receiver_ids=[BO],
            note=TYPED,
            now=SEASON_NOW,
        )
        followup = log_followup(
            session=s,
            member=person(s, ANNA),
            on=date(2015, 10, 1),
            agreed="ok",
            next_step="",
            now=SEASON_NOW,
        )
        s.commit()
        # A Core statement goes through the same place.
        s.execute(
            update(ManagerFollowUp)
            .where(ManagerFollowUp.id == followup.id)
            .values(next_step="\x00næste\x00")
        )
        s.commit()
    with session_factory() as s:
        assert s.scalars(select(SparringEntry.note)).one() == STORED
        assert s.scalars(select(ManagerFollowUp.next_step)).one() == "næste"
