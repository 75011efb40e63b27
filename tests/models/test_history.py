"""The change history follows a record's identity: a deleted record's id is never given to a
new one (SQLite reused it; PostgreSQL's sequences never do)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.history import ChangeRecord
from models.prep import ExampleInput, ExampleSource, PrepExample, save_examples
from tests.conftest import ANNA, SEASON_NOW, person


def _example(key: str, title: str) -> ExampleInput:
    return ExampleInput(key, title, "Idé", "", "", ExampleSource.OWN, False)


def test_a_new_example_never_takes_a_deleted_examples_id_or_history(
    session_factory: sessionmaker[Session], network: object
) -> None:
    with session_factory() as s:
        anna = person(s, ANNA)
        meeting = next(m for m in anna.network.meetings if m.number == 2)
        (old,) = save_examples(
            session=s,
            member=anna,
            meeting=meeting,
            examples=[_example("new", "Først")],
            now=SEASON_NOW,
        )
        old_id = old.id
        save_examples(  # edited, then emptied: deleted, its words kept in the history
            session=s,
            member=anna,
            meeting=meeting,
            examples=[_example(str(old_id), "Rettet")],
            now=SEASON_NOW,
        )
        save_examples(
            session=s,
            member=anna,
            meeting=meeting,
            examples=[ExampleInput(str(old_id), "", "", "", "", ExampleSource.OWN, False)],
            now=SEASON_NOW,
        )
        s.commit()
        assert s.scalars(select(PrepExample)).all() == []
        (new,) = save_examples(
            session=s,
            member=anna,
            meeting=meeting,
            examples=[_example("new", "Nyt")],
            now=SEASON_NOW,
        )
        s.commit()
        assert new.id != old_id
        history = s.scalars(
            select(ChangeRecord).where(
                ChangeRecord.entity == "example", ChangeRecord.entity_id == new.id
            )
        ).all()
        assert history == []  # the old example's edits stay with the old example
        kept = s.scalars(
            select(ChangeRecord.old_value).where(
                ChangeRecord.entity == "example", ChangeRecord.entity_id == old_id
            )
        ).all()
        assert "Først" in kept and "Rettet" in kept
