"""The renewal vote and the seat claim on Teams, through the real server: the cards as the
Teams messenger sends them (each checked), their buttons pressed as Teams reports them, and
the facilitator's `netværk fornyelse` / `netværk ny-sæson` in the personal chat — the same
cores as Slack's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers import teams_render
from handlers.catalogue import surface
from handlers.ids import Action
from handlers.renewal import claim_message, renewal_message, rollover_report, seat_confirmed
from handlers.teams.files import CONSENT_TYPE
from models.network import Network
from models.nudges import Nudge, NudgeKind
from models.renewal import RenewalChoice, RenewalVote, SeatClaim, claim_seat, settle_due_claims
from tests.conftest import ANNA, FACILITATOR, person
from tests.handlers.test_teams_render import check_card
from tests.teams.conftest import ANNA_TEAMS, TeamsBot
from tests.teams.test_teams_actions_e2e import _button, _press, _replies
from tests.teams.test_teams_network_e2e import card_text, say

AFTER_LAST = datetime(2016, 5, 2, 8, 0, tzinfo=UTC)
FACIL_TEAMS = "29:1facilitator-teams-id"
NEW_SEASON = (
    "netværk ny-sæson nøgle=coi-2016-17 navn=“Spredning 2016–17” start=2016-09-01 "
    "slut=2017-05-31 møder=2016-09-20,2016-11-15,2017-02-28,2017-04-25 frist=2016-06-15"
)


def _card(session_factory: sessionmaker[Session], kind: NudgeKind, seq: int = 0) -> Any:
    """The card the Teams messenger posts to Anna for a renewal nudge of `kind`."""
    with session_factory() as s, surface("teams"):
        anna = person(s, ANNA)
        nudge = s.scalars(  # the claim was queued when the season opened
            select(Nudge).where(Nudge.member_id == anna.id, Nudge.kind == kind, Nudge.seq == seq)
        ).first() or Nudge(
            member_id=anna.id,
            meeting_id=anna.network.meetings[-1].id,
            kind=kind,
            seq=seq,
            due_at=AFTER_LAST,
            created_at=AFTER_LAST,
        )
        s.add(nudge)
        s.flush()
        build = renewal_message if kind is NudgeKind.RENEWAL_VOTE else claim_message
        message = build(session=s, nudge=nudge, now=AFTER_LAST)
        s.rollback()
        assert message is not None
        (card,) = teams_render.message_cards(message)
        assert check_card(card) == []
        return card


def test_a_member_votes_from_the_card(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    teams_bot.clock.now = AFTER_LAST
    card = _card(session_factory, NudgeKind.RENEWAL_VOTE)
    assert "**Skal Spredningsnetværk for offentlig innovation 2015–16 fortsætte" in str(card)
    _press(teams_bot, ANNA_TEAMS, _button(card, Action.RENEWAL_YES))
    _press(teams_bot, ANNA_TEAMS, _button(card, Action.RENEWAL_NO))
    assert _replies(teams_bot, ANNA_TEAMS) == [
        "Tak — din stemme: **ja**, netværket skal fortsætte. "
        "Du kan ændre den til og med 31. maj 2016.",
        "Tak — din stemme: **nej**. Du kan ændre den til og med 31. maj 2016.",
    ]
    with session_factory() as s:
        (vote,) = s.scalars(select(RenewalVote)).all()
        assert (vote.member_id, vote.choice) == (person(s, ANNA).id, RenewalChoice.NO)


def test_the_facilitator_opens_the_next_season_and_a_member_claims_a_seat(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    teams_bot.clock.now = AFTER_LAST
    with teams_bot.session_factory.begin() as s:
        person(s, FACILITATOR).teams_user_id = FACIL_TEAMS
    (bad,) = say(teams_bot, FACIL_TEAMS, "netværk ny-sæson nøgle=x")
    assert card_text(bad).replace("`", "").startswith("Skriv det sådan: netværk ny-sæson nøgle=")
    (opened,) = say(teams_bot, FACIL_TEAMS, NEW_SEASON)
    assert card_text(opened).startswith("**Spredning 2016–17** er åbnet: 4 møder")
    with session_factory() as s:
        new = s.scalars(select(Network).where(Network.key == "coi-2016-17")).one()
        new_id = new.id
    card = _card(session_factory, NudgeKind.SEAT_CLAIM, seq=new_id)
    assert "Ja, jeg tager min plads" in str(card)
    _press(teams_bot, ANNA_TEAMS, _button(card, Action.CLAIM_SEAT))
    (told,) = _replies(teams_bot, ANNA_TEAMS)
    assert told.startswith("Din plads i **Spredning 2016–17** er din.")
    with session_factory() as s:
        (claim,) = s.scalars(select(SeatClaim)).all()
        assert (claim.network_id, claim.member_id, claim.takes_seat) == (
            new_id,
            person(s, ANNA).id,
            True,
        )
    (report,) = say(teams_bot, FACIL_TEAMS, "netværk fornyelse")
    text = card_text(report)
    assert "Ja: 0 · Nej: 0 · Ved ikke: 0" in text
    assert "Tager deres plads: 1 · Fortsætter ikke: 0 · Har ikke svaret: 9" in text


def test_the_previous_season_is_exported_on_teams(teams_bot: TeamsBot) -> None:
    teams_bot.clock.now = AFTER_LAST
    with teams_bot.session_factory.begin() as s:
        person(s, FACILITATOR).teams_user_id = FACIL_TEAMS
    say(teams_bot, FACIL_TEAMS, NEW_SEASON)
    answers = say(teams_bot, FACIL_TEAMS, "netværk forrige eksport")
    offered = [
        a["name"]
        for message in answers
        for a in message.get("attachments", [])
        if a["contentType"] == CONSENT_TYPE
    ]
    assert sorted(offered) == [
        "coi-spredning-2015-16-2016-05-02-csv.zip",
        "coi-spredning-2015-16-2016-05-02.xlsx",
    ]
    (members,) = say(teams_bot, FACIL_TEAMS, "netværk forrige medlemmer")
    assert card_text(members).startswith("**Medlemmer af Spredningsnetværk for offentlig")


def test_the_rollover_is_told_on_teams(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    teams_bot.clock.now = AFTER_LAST
    with teams_bot.session_factory.begin() as s:
        person(s, FACILITATOR).teams_user_id = FACIL_TEAMS
    say(teams_bot, FACIL_TEAMS, NEW_SEASON)
    after = datetime(2016, 6, 15, 22, 0, tzinfo=UTC)
    with session_factory() as s:
        new = s.scalars(select(Network).where(Network.key == "coi-2016-17")).one()
        claim_seat(session=s, member=person(s, ANNA), new=new, takes_seat=True, now=AFTER_LAST)
        settle_due_claims(session=s, networks=[new], now=after)
        s.commit()
        notices = s.scalars(
            select(Nudge).where(
                Nudge.kind.in_([NudgeKind.ROLLOVER_REPORT, NudgeKind.SEAT_CONFIRMED])
            )
        ).all()
        texts = {}
        with surface("teams"):
            for nudge in notices:
                build = (
                    rollover_report if nudge.kind is NudgeKind.ROLLOVER_REPORT else seat_confirmed
                )
                message = build(session=s, nudge=nudge, now=after)
                assert message is not None
                (card,) = teams_render.message_cards(message)
                assert check_card(card) == []
                texts[nudge.kind, nudge.member.teams_user_id] = str(card)
    assert {k for k, _ in texts} == {NudgeKind.ROLLOVER_REPORT, NudgeKind.SEAT_CONFIRMED}
    report = texts[NudgeKind.ROLLOVER_REPORT, FACIL_TEAMS]
    assert "1 medlem tog sin plads" in report and "Anna Lund" in report
    confirmed = texts[NudgeKind.SEAT_CONFIRMED, ANNA_TEAMS]
    assert "Din plads i **Spredning 2016–17** er bekræftet" in confirmed
