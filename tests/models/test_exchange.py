"""East and west: sharing an example or a question with the sister network, item by item;
withdrawing; what the sister sees; the week's exchange; an erased author's items vanish."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.errors import InputError
from models.exchange import (
    ItemKind,
    SisterShare,
    own_items,
    set_shared,
    sister_shared,
    week_exchange,
)
from models.network import Network, Role
from models.prep import (
    ExampleInput,
    ExampleSource,
    PrepExample,
    PrepQuestion,
    QuestionInput,
    save_examples,
    save_questions,
)
from models.privacy import forget_member
from tests.conftest import ANNA, BO, CAMILLA, FACILITATOR, SEASON_NOW, add_second_network, person

VERA = "U0VEST0001"


def link_sister(s: Session) -> Network:
    """A sister network (vest) linked both ways, with one member, Vera."""
    home = s.query(Network).one()
    vest = add_second_network(
        s,
        key="vest",
        name="Netværk Vest",
        theme="Vest 1",
        people=[(VERA, Role.MEMBER, "Vera Vest")],
        sister_key=home.key,
    )
    home.sister_key = "vest"
    s.commit()
    return vest


def anna_prepares(s: Session) -> tuple[int, int]:
    """Anna's example and question for meeting 2: their ids."""
    anna = person(s, ANNA)
    m2 = next(m for m in anna.network.meetings if m.number == 2)
    save_examples(
        session=s,
        member=anna,
        meeting=m2,
        now=SEASON_NOW,
        examples=[
            ExampleInput("new", "Borgerpanel", "Idé", "Effekt", "", ExampleSource.OWN, False)
        ],
    )
    save_questions(
        session=s,
        member=anna,
        meeting=m2,
        now=SEASON_NOW,
        questions=[QuestionInput(1, "Hvordan måler I effekt?", BO, CAMILLA)],
    )
    s.commit()
    example = s.scalars(select(PrepExample)).one()
    question = s.scalars(select(PrepQuestion)).one()
    return example.id, question.id


def test_sharing_is_per_item_can_be_withdrawn_and_reaches_the_sister(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        link_sister(s)
        example_id, question_id = anna_prepares(s)
        anna = person(s, ANNA)
        assert [(i.kind, i.shared) for i in own_items(session=s, member=anna)] == [
            (ItemKind.EXAMPLE, False),
            (ItemKind.QUESTION, False),
        ]
        later = SEASON_NOW + timedelta(hours=1)
        set_shared(session=s, member=anna, ref=f"example:{example_id}", shared=True, now=SEASON_NOW)
        set_shared(session=s, member=anna, ref=f"question:{question_id}", shared=True, now=later)
        set_shared(session=s, member=anna, ref=f"example:{example_id}", shared=True, now=later)
        s.commit()
        assert len(s.scalars(select(SisterShare)).all()) == 2  # sharing twice is once
        vera = person(s, VERA)
        sister, shared = sister_shared(session=s, member=vera)
        assert sister is not None and sister.key != "vest"
        assert [(x.kind, x.title, x.author.name, x.meeting.number) for x in shared] == [
            (ItemKind.QUESTION, "Hvordan måler I effekt?", "Anna Lund", 2),
            (ItemKind.EXAMPLE, "Borgerpanel", "Anna Lund", 2),
        ]
        week = week_exchange(session=s, network=anna.network, since=SEASON_NOW - timedelta(days=7))
        assert week is not None and (len(week.given), len(week.received)) == (2, 0)
        # Withdrawn, it is gone from the sister's view; withdrawing again changes nothing.
        for _ in range(2):
            set_shared(session=s, member=anna, ref=f"example:{example_id}", shared=False, now=later)
        s.commit()
        assert [x.kind for x in sister_shared(session=s, member=vera)[1]] == [ItemKind.QUESTION]


def test_only_the_author_shares_and_only_with_a_sister(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        example_id, _ = anna_prepares(s)
        anna, bo = person(s, ANNA), person(s, BO)
        with pytest.raises(InputError) as no_sister:
            set_shared(
                session=s, member=anna, ref=f"example:{example_id}", shared=True, now=SEASON_NOW
            )
        assert no_sister.value.key == "exchange.error.no_sister"
        link_sister(s)
        for member, ref in ((bo, f"example:{example_id}"), (anna, "example:x"), (anna, "nope:1")):
            with pytest.raises(InputError) as refused:
                set_shared(session=s, member=member, ref=ref, shared=True, now=SEASON_NOW)
            assert refused.value.key == "exchange.error.not_yours"
        assert s.scalars(select(SisterShare)).all() == []


def test_an_erased_authors_items_vanish_from_the_sister(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        link_sister(s)
        example_id, _ = anna_prepares(s)
        anna = person(s, ANNA)
        set_shared(session=s, member=anna, ref=f"example:{example_id}", shared=True, now=SEASON_NOW)
        s.commit()
        forget_member(session=s, member=anna, by=person(s, FACILITATOR), now=SEASON_NOW)
        s.commit()
        assert sister_shared(session=s, member=person(s, VERA))[1] == []
        assert s.scalars(select(SisterShare)).all() == []
