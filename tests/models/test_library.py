"""The example library: examples have a kind of experience; members search their network's
examples (words, kind, meeting, workplace, member); asking an example's owner for sparring
tells them once; taking an example home makes a spreading action, its owner told once; an
erased person is never named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.catalogue import surface
from jobs.nudges import MESSAGE_BUILDERS
from models.errors import InputError
from models.library import (
    ExampleSparringAsk,
    LibraryQuery,
    ask_for_sparring,
    parse_query,
    search_library,
    take_home,
)
from models.network import Network
from models.nudges import Nudge, NudgeKind
from models.prep import ExampleInput, ExampleKind, ExampleSource, PrepExample, save_examples
from models.privacy import forget_member, personal_data
from models.spread import SpreadAction
from tests.conftest import ANNA, BO, CAMILLA, FACILITATOR, SEASON_NOW, person

AFTER_M2 = datetime(2015, 11, 18, 9, 0, tzinfo=UTC)


def bring(
    s: Session, who: str, number: int, title: str, idea: str, kind: ExampleKind | None
) -> int:
    member = person(s, who)
    meeting = next(m for m in member.network.meetings if m.number == number)
    (example,) = save_examples(
        session=s,
        member=member,
        meeting=meeting,
        now=SEASON_NOW,
        examples=[
            ExampleInput("new", title, idea, "", "", ExampleSource.OWN, False, kind),
        ],
    )
    s.commit()
    return example.id


def stocked(s: Session) -> dict[str, int]:
    """Anna's and Bo's examples for meeting 2 (held by AFTER_M2), Camilla's for meeting 3."""
    return {
        "panel": bring(s, ANNA, 2, "Borgerpanel", "Klager som kilde", ExampleKind.RECIPE),
        "fejl": bring(s, BO, 2, "Chatbot der floppede", "Vi lærte meget", ExampleKind.FAILURE),
        "later": bring(s, CAMILLA, 3, "Designsprint", "Kommer i marts", ExampleKind.IDEA),
    }


def titles(s: Session, who: str, words: list[str]) -> list[str]:
    query = parse_query(words)
    found = search_library(session=s, member=person(s, who), query=query, now=AFTER_M2)
    return [e.title for e in found]


def test_search_by_words_and_filters(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        stocked(s)
        kinds = {e.title: e.kind for e in s.scalars(select(PrepExample))}
        assert kinds["Borgerpanel"] is ExampleKind.RECIPE
        # All the held meetings' examples; meeting 3 has not been held.
        assert sorted(titles(s, CAMILLA, [])) == ["Borgerpanel", "Chatbot der floppede"]
        assert titles(s, CAMILLA, ["klager"]) == ["Borgerpanel"]  # the idea's text
        assert titles(s, CAMILLA, ["klagedrevet"]) != []  # the meeting's theme
        assert titles(s, CAMILLA, ["type=fejl"]) == ["Chatbot der floppede"]
        assert titles(s, CAMILLA, ["kind=failure"]) == ["Chatbot der floppede"]
        assert titles(s, CAMILLA, ["møde=1"]) == []
        assert sorted(titles(s, CAMILLA, ["meeting=2"])) == ["Borgerpanel", "Chatbot der floppede"]
        assert titles(s, CAMILLA, ["medlem=anna"]) == ["Borgerpanel"]
        assert len(titles(s, CAMILLA, ["arbejdsplads=roskilde"])) == 2  # Anna and Bo
        assert titles(s, ANNA, ["org=gribskov"]) == []
        assert len(titles(s, ANNA, ['arbejdsplads="Roskilde', 'Kommune"'])) == 2
        assert titles(s, ANNA, ["arbejdsplads=“Roskilde", "Kommune”", "panel"]) == ["Borgerpanel"]
        assert parse_query(["panel", "2"]) == LibraryQuery(["panel"], page=2)
        assert parse_query(["a"]) == LibraryQuery([])  # too short to search on: everything


@pytest.mark.parametrize(
    ("words", "key"),
    [
        (["farve=rød"], "library.error.bad_filter"),
        (["type=kage"], "library.error.unknown_kind"),
        (["møde=fire"], "library.error.bad_meeting"),
        (["type="], "library.error.bad_filter"),
    ],
)
def test_bad_filters_say_what_was_wrong(words: list[str], key: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_query(words)
    assert caught.value.key == key


def test_asking_for_sparring_tells_the_owner_once(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        ids = stocked(s)
        camilla = person(s, CAMILLA)
        ask, new = ask_for_sparring(
            session=s, member=camilla, example_id=ids["panel"], now=AFTER_M2
        )
        again, new_again = ask_for_sparring(
            session=s, member=camilla, example_id=str(ids["panel"]), now=AFTER_M2
        )
        s.commit()
        assert (new, new_again, again.id) == (True, False, ask.id)
        anna = person(s, ANNA)
        (nudge,) = s.scalars(select(Nudge).where(Nudge.member_id == anna.id)).all()
        assert (nudge.kind, nudge.seq) == (NudgeKind.EXAMPLE_SPARRING, ask.id)
        with surface("slack"):
            message = MESSAGE_BUILDERS[nudge.kind](s, nudge, AFTER_M2)
        assert message is not None and "Borgerpanel" in str(message)
        assert "U0CAMILLA3" in str(message)  # who asks, named
        with pytest.raises(InputError):  # her own example
            ask_for_sparring(session=s, member=anna, example_id=ids["panel"], now=AFTER_M2)
        with pytest.raises(InputError):  # not held yet: not in the library
            ask_for_sparring(session=s, member=anna, example_id=ids["later"], now=AFTER_M2)
        with pytest.raises(InputError):
            ask_for_sparring(session=s, member=anna, example_id="x1", now=AFTER_M2)


def test_taking_an_example_home_makes_one_spreading_action(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        ids = stocked(s)
        camilla = person(s, CAMILLA)
        action = take_home(session=s, member=camilla, example_id=ids["fejl"], now=AFTER_M2)
        twice = take_home(session=s, member=camilla, example_id=ids["fejl"], now=AFTER_M2)
        s.commit()
        assert twice.id == action.id
        assert (action.solution, action.example_id) == ("Chatbot der floppede", ids["fejl"])
        assert action.source_member_id == person(s, BO).id
        assert len(s.scalars(select(SpreadAction)).all()) == 1
        kinds = [
            n.kind
            for n in s.scalars(select(Nudge).where(Nudge.member_id == action.source_member_id))
        ]
        assert kinds == [NudgeKind.SPREAD_NOTICE]


def test_an_erased_person_is_never_named(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        ids = stocked(s)
        camilla, bo = person(s, CAMILLA), person(s, BO)
        ask_for_sparring(session=s, member=camilla, example_id=ids["panel"], now=AFTER_M2)
        s.commit()
        assert personal_data(session=s, member=camilla)["sparring_asked"][0]["example"] == (
            "Borgerpanel"
        )
        forget_member(session=s, member=camilla, by=person(s, FACILITATOR), now=AFTER_M2)
        forget_member(session=s, member=bo, by=person(s, FACILITATOR), now=AFTER_M2)
        s.commit()
        # Bo's example is gone from the library; the ask Camilla made, and its notice, too.
        assert titles(s, ANNA, []) == ["Borgerpanel"]
        assert s.scalars(select(ExampleSparringAsk)).all() == []
        anna = person(s, ANNA)
        pending = s.scalars(
            select(Nudge).where(Nudge.member_id == anna.id, Nudge.status == "pending")
        ).all()
        assert pending == []
