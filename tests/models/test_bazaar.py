"""The idea bazaar: the network file names its meeting; items go on it before that meeting
(from an example or new text; errors on the field, nothing kept); a claim is a spreading
action linked to the giver, made once, with follow-ups to both 30 and 90 days on at 09:00
in each one's zone; the facilitator's results; erasure."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.bazaar import results_parts
from handlers.catalogue import surface
from jobs.nudges import MESSAGE_BUILDERS
from models.bazaar import (
    BazaarClaim,
    BazaarField,
    BazaarInput,
    BazaarItem,
    GiverInput,
    add_item,
    bazaar_items,
    bazaar_meeting,
    claim_item,
    record_giver_view,
)
from models.errors import FieldErrors, InputError
from models.network import Network
from models.nudges import Nudge, NudgeKind, NudgeStatus
from models.privacy import forget_member, personal_data
from models.spread import SpreadAction, SpreadStatus, update_spread
from tests.conftest import ANNA, BO, CAMILLA, FACILITATOR, SEASON_NOW, person
from tests.models.test_library import bring

BEFORE = datetime(2016, 4, 1, 12, 0, tzinfo=UTC)  # before meeting 4 (28 April 2016)
CPH = ZoneInfo("Europe/Copenhagen")


def anna_offers(s: Session) -> BazaarItem:
    item = add_item(
        session=s,
        member=person(s, ANNA),
        data=BazaarInput("solution", None, "Borgerpanel på en uge", "Sådan gjorde vi"),
        now=BEFORE,
    )
    s.commit()
    return item


def test_the_bazaar_is_the_network_files_meeting_and_takes_items_before_it(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        anna = person(s, ANNA)
        meeting = bazaar_meeting(anna.network)
        assert meeting is not None and meeting.number == 4
        example_id = bring(s, ANNA, 2, "Klageportal", "Online klager", None)
        from_example = add_item(
            session=s,
            member=anna,
            data=BazaarInput("idea", str(example_id), "", ""),
            now=BEFORE,
        )
        assert (from_example.title, from_example.text) == ("Klageportal", "Online klager")
        with pytest.raises(FieldErrors) as caught:
            add_item(
                session=s,
                member=person(s, BO),
                data=BazaarInput("cake", str(example_id), "", ""),
                now=BEFORE,
            )
        fields = set(caught.value.errors)
        assert fields == {BazaarField.KIND, BazaarField.EXAMPLE, BazaarField.TITLE}
        with pytest.raises(InputError) as closed:
            add_item(
                session=s,
                member=anna,
                data=BazaarInput("idea", None, "For sent", ""),
                now=meeting.starts_at,
            )
        assert closed.value.key == "bazaar.error.closed"
        s.commit()
        assert [i.title for i in bazaar_items(session=s, network=anna.network)] == ["Klageportal"]


def test_a_claim_is_a_spreading_action_told_once_and_followed_up_twice(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        item = anna_offers(s)
        bo = person(s, BO)
        claim, new = claim_item(session=s, member=bo, item_id=str(item.id), now=BEFORE)
        again, new_again = claim_item(session=s, member=bo, item_id=item.id, now=BEFORE)
        s.commit()
        assert (new, new_again, again.id) == (True, False, claim.id)
        action = s.scalars(select(SpreadAction)).one()
        assert (action.solution, action.source_member_id) == (
            "Borgerpanel på en uge",
            item.member_id,
        )
        with pytest.raises(InputError):
            claim_item(session=s, member=person(s, ANNA), item_id=item.id, now=BEFORE)
        rows = s.scalars(select(Nudge).order_by(Nudge.member_id, Nudge.due_at)).all()
        anna_id = item.member_id
        told = [(n.member_id, n.kind) for n in rows if n.kind is NudgeKind.SPREAD_NOTICE]
        assert told == [(anna_id, NudgeKind.SPREAD_NOTICE)]
        follow_ups = [
            (n.member_id, n.kind, n.due_at.astimezone(CPH).replace(tzinfo=None))
            for n in rows
            if n.kind in (NudgeKind.BAZAAR_FOLLOWUP_30, NudgeKind.BAZAAR_FOLLOWUP_90)
        ]
        assert sorted(follow_ups) == sorted(
            [
                (who, kind, datetime(2016, month, day, 9, 0))
                for who in (anna_id, bo.id)
                for kind, month, day in (
                    (NudgeKind.BAZAAR_FOLLOWUP_30, 5, 1),
                    (NudgeKind.BAZAAR_FOLLOWUP_90, 6, 30),
                )
            ]
        )
        update_spread(
            session=s,
            member=bo,
            action_id=action.id,
            status=SpreadStatus.IN_USE,
            effect="Halv tid",
            now=BEFORE,
        )
        s.commit()
        giver_nudge = next(
            n for n in rows if n.member_id == anna_id and n.kind is NudgeKind.BAZAAR_FOLLOWUP_30
        )
        claimer_nudge = next(
            n for n in rows if n.member_id == bo.id and n.kind is NudgeKind.BAZAAR_FOLLOWUP_90
        )
        with surface("slack"):
            to_giver = str(MESSAGE_BUILDERS[giver_nudge.kind](s, giver_nudge, BEFORE))
            to_claimer = str(MESSAGE_BUILDERS[claimer_nudge.kind](s, claimer_nudge, BEFORE))
            results = str(results_parts(s, "da", person(s, FACILITATOR).network))
        assert "For 30 dage siden" in to_giver and "Halv tid" in to_giver and BO in to_giver
        assert "For 90 dage siden" in to_claimer and "spread_update" in to_claimer
        assert "1 ting, 1 krav" in results and "Halv tid" in results


def test_erasure_takes_the_bazaar_items_claims_and_follow_ups(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    with session_factory() as s:
        item = anna_offers(s)
        claim_item(session=s, member=person(s, BO), item_id=item.id, now=BEFORE)
        claim_item(session=s, member=person(s, CAMILLA), item_id=item.id, now=BEFORE)
        s.commit()
        mine = personal_data(session=s, member=person(s, ANNA))["bazaar"]
        assert mine["items"][0]["title"] == "Borgerpanel på en uge"
        assert mine["items"][0]["claimed_by"] == 2
        assert personal_data(session=s, member=person(s, BO))["bazaar"]["claimed"][0]["item"] == (
            "Borgerpanel på en uge"
        )
        forget_member(session=s, member=person(s, ANNA), by=person(s, FACILITATOR), now=SEASON_NOW)
        s.commit()
        assert s.scalars(select(BazaarItem)).all() == []
        assert s.scalars(select(BazaarClaim)).all() == []
        pending = s.scalars(
            select(Nudge).where(
                Nudge.status == NudgeStatus.PENDING,
                Nudge.kind.in_([NudgeKind.BAZAAR_FOLLOWUP_30, NudgeKind.BAZAAR_FOLLOWUP_90]),
            )
        ).all()
        assert pending == []


def test_the_follow_ups_and_the_sparring_ask_are_cards_teams_accepts(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    from handlers import teams_render
    from models.library import ask_for_sparring
    from tests.handlers.test_teams_render import check_card
    from tests.models.test_library import AFTER_M2

    with session_factory() as s:
        example_id = bring(s, ANNA, 2, "Borgerpanel", "Klager <b>som</b> kilde", None)
        ask_for_sparring(session=s, member=person(s, BO), example_id=example_id, now=AFTER_M2)
        item = anna_offers(s)
        claim_item(session=s, member=person(s, BO), item_id=item.id, now=BEFORE)
        s.commit()
        rows = s.scalars(select(Nudge).where(Nudge.kind != NudgeKind.SPREAD_NOTICE)).all()
        assert len(rows) == 5  # the ask, and 2 × 2 follow-ups
        for nudge in rows:
            with surface("teams"):
                message = MESSAGE_BUILDERS[nudge.kind](s, nudge, BEFORE)
            assert message is not None
            for card in teams_render.message_cards(message):
                assert check_card(card) == [], nudge.kind
                assert "<@" not in json.dumps(card)  # no Slack markup on Teams


LATER = datetime(2016, 5, 31, 9, 0, tzinfo=UTC)  # after the 30-day follow-up


def test_the_giver_records_how_they_see_a_claim_beside_the_claimers_answer(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    """The giver's status and note are kept on the claim (only the giver may), shown in the
    facilitator's results beside the claimer's, in the giver's `mydata`, and gone with erasure."""
    with session_factory() as s:
        item = anna_offers(s)
        claim, _ = claim_item(session=s, member=person(s, BO), item_id=item.id, now=BEFORE)
        s.commit()
        with pytest.raises(InputError) as not_giver:
            record_giver_view(
                session=s,
                member=person(s, BO),
                claim_id=claim.id,
                data=GiverInput("in_use", ""),
                now=LATER,
            )
        assert not_giver.value.key == "bazaar.error.unknown_claim"
        with pytest.raises(FieldErrors) as wrong:
            record_giver_view(
                session=s,
                member=person(s, ANNA),
                claim_id=str(claim.id),
                data=GiverInput("cake", "x" * 2001),
                now=LATER,
            )
        assert set(wrong.value.errors) == {"spread_status", "spread_effect"}
        record_giver_view(
            session=s,
            member=person(s, ANNA),
            claim_id=str(claim.id),
            data=GiverInput("adapting", "  Bo har kortet den til tre dage  "),
            now=LATER,
        )
        s.commit()
        kept = s.get(BazaarClaim, claim.id)
        assert kept is not None
        assert (kept.giver_status, kept.giver_effect, kept.giver_answered_at) == (
            SpreadStatus.ADAPTING,
            "Bo har kortet den til tre dage",
            LATER,
        )
        with surface("slack"):
            results = str(results_parts(s, "da", person(s, FACILITATOR).network))
        assert "(giver): Tilpasses — effekt: Bo har kortet den til tre dage" in results
        assert "Planlagt — effekt: —" in results  # the claimer's own answer, beside it
        mine = personal_data(session=s, member=person(s, ANNA))["bazaar"]["items"][0]
        assert mine["your_view_of_claims"] == [
            {
                "status": "adapting",
                "effect": "Bo har kortet den til tre dage",
                "answered_at": LATER.isoformat(),
            }
        ]
        forget_member(session=s, member=person(s, ANNA), by=person(s, FACILITATOR), now=LATER)
        s.commit()
        assert s.scalars(select(BazaarClaim)).all() == []


def test_the_export_has_the_library_and_the_bazaar_read_back_with_openpyxl(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    import io

    import openpyxl

    from models.export import export_tables, to_xlsx
    from models.prep import ExampleKind

    with session_factory() as s:
        bring(s, CAMILLA, 2, "Klageportal", "Online klager", ExampleKind.FAILURE)
        item = anna_offers(s)
        claim, _ = claim_item(session=s, member=person(s, BO), item_id=item.id, now=BEFORE)
        add_item(
            session=s,
            member=person(s, BO),
            data=BazaarInput("idea", None, "=Ingen har taget den", ""),
            now=BEFORE,
        )
        update_spread(
            session=s,
            member=person(s, BO),
            action_id=claim.spread_action_id or 0,
            status=SpreadStatus.IN_USE,
            effect="Halv tid",
            now=LATER,
        )
        record_giver_view(
            session=s,
            member=person(s, ANNA),
            claim_id=claim.id,
            data=GiverInput("in_use", "Godt brugt"),
            now=LATER,
        )
        s.commit()
        network_ = person(s, FACILITATOR).network
        content = to_xlsx(export_tables(session=s, network=network_))
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    assert workbook.sheetnames[-2:] == ["library", "bazaar"]
    library = list(workbook["library"].iter_rows(values_only=True))
    assert library[0][:5] == ("meeting", "kind", "title", "owner", "workplace")
    assert (2, "failure", "Klageportal", "Camilla Østergaard", "Gribskov Kommune") in [
        r[:5] for r in library
    ]
    bazaar = list(workbook["bazaar"].iter_rows(values_only=True))
    assert bazaar[0] == (
        "item",
        "kind",
        "title",
        "giver",
        "claimed_by",
        "claimed",
        "claimer_status",
        "claimer_effect",
        "giver_status",
        "giver_effect",
    )
    claimed, unclaimed = bazaar[1:]
    assert claimed[1:5] == ("solution", "Borgerpanel på en uge", "Anna Lund", "Bo Kjær")
    assert claimed[6:] == ("in_use", "Halv tid", "in_use", "Godt brugt")
    # typed text stays text, never a formula
    assert unclaimed[1:5] == ("idea", "=Ingen har taget den", "Bo Kjær", None)
