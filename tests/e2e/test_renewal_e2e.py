"""The renewal vote and the next season on Slack, end to end: the vote's buttons, the
facilitator's `/network fornyelse` (and its deadline), `/network ny-sæson` and the seat claim's
buttons — signed requests to the real server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers import conversation as c
from handlers.ids import Action
from handlers.network import build_digest
from models.network import Network
from models.nudges import Nudge, NudgeKind
from models.renewal import RenewalChoice, RenewalVote, SeatClaim
from tests.conftest import ANNA, BO, FACILITATOR, SEASON_NOW, person
from tests.e2e.test_network_e2e import text_of

AFTER_LAST = datetime(2016, 5, 2, 8, 0, tzinfo=UTC)  # the last meeting was 28 April
NEW_SEASON = (
    "ny-sæson nøgle=coi-2016-17 navn=“Spredning 2016–17” start=2016-09-01 slut=2017-05-31 "
    "møder=2016-09-20,2016-11-15,2017-02-28,2017-04-25 frist=2016-06-15"
)


def told(bot: Any, count: int = 1) -> str:
    return str(bot.slack.wait_for("/response/action", count)[count - 1].params["text"])


def network_value(session_factory: sessionmaker[Session], key: str | None = None) -> str:
    with session_factory() as s:
        network = (
            person(s, ANNA).network
            if key is None
            else s.scalars(select(Network).where(Network.key == key)).one()
        )
        return json.dumps({"network": network.id})


def reply_text(reply: Any) -> str:
    body = reply.json()
    return text_of(reply) if "blocks" in body else str(body["text"])


def test_a_member_votes_and_changes_their_vote(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    value = network_value(session_factory)
    bot.click(ANNA, Action.RENEWAL_YES, value)  # before the last meeting: not open yet
    assert told(bot).startswith("Afstemningen om at fortsætte er ikke åben")
    bot.clock.now = AFTER_LAST
    bot.click(ANNA, Action.RENEWAL_YES, value)
    assert told(bot, 2) == (
        "Tak — din stemme: *ja*, netværket skal fortsætte. "
        "Du kan ændre den til og med 31. maj 2016."
    )
    bot.click(ANNA, Action.RENEWAL_UNSURE, value)
    assert told(bot, 3).startswith("Tak — din stemme: *ved ikke*.")
    bot.click("U0OUTSIDER", Action.RENEWAL_NO, value)  # nobody's vote but a member's
    with session_factory() as s:
        (vote,) = s.scalars(select(RenewalVote)).all()
        assert (vote.member_id, vote.choice) == (person(s, ANNA).id, RenewalChoice.UNSURE)


def test_the_facilitator_sees_counts_and_who_has_not_voted(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    bot.clock.now = AFTER_LAST
    value = network_value(session_factory)
    bot.click(ANNA, Action.RENEWAL_YES, value)
    bot.click(BO, Action.RENEWAL_NO, value)
    bot.slack.wait_for("/response/action", 2)
    report = reply_text(bot.command("/network", "fornyelse", user=FACILITATOR))
    assert "*Skal Spredningsnetværk for offentlig innovation 2015–16 fortsætte?*" in report
    assert "Afstemningen er åben til og med 31. maj 2016." in report
    assert "Ja: 1 · Nej: 1 · Ved ikke: 0" in report
    assert "8 medlemmer har ikke stemt:" in report
    assert f"<@{ANNA}>" not in report and f"<@{BO}>" not in report  # who voted what: nobody
    bad = reply_text(bot.command("/network", "fornyelse frist 20-05", user=FACILITATOR))
    assert bad.startswith(
        "“20-05” er ikke en dato. Skriv den sådan: `/network fornyelse frist ÅÅÅÅ-MM-DD`."
    )
    assert bad.endswith("`/network fornyelse frist 20-05`")  # what was typed is kept
    set_ = reply_text(bot.command("/network", "fornyelse frist 2016-05-20", user=FACILITATOR))
    assert set_.startswith("Afstemningen om at fortsætte lukker efter 20. maj 2016.")
    late = reply_text(bot.command("/network", "fornyelse frist 2016-06-20", user=FACILITATOR))
    assert late.startswith("Fristen skal ligge inden for sæsonen")
    member = reply_text(bot.command("/network", "fornyelse", user=ANNA))
    assert member == "Kun netværkets tovholdere kan bruge `/network`."


def test_open_the_next_season_and_claim_a_seat(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    bot.clock.now = AFTER_LAST
    wrong = reply_text(bot.command("/network", "ny-sæson nøgle=x", user=FACILITATOR))
    assert wrong.startswith("Skriv det sådan: `/network ny-sæson nøgle=")
    early = NEW_SEASON.replace("start=2016-09-01", "start=2016-05-01")
    assert reply_text(bot.command("/network", early, user=FACILITATOR)).startswith(
        "Den nye sæson skal starte efter denne sæsons slutning"
    )
    with session_factory() as s:
        assert len(s.scalars(select(Network)).all()) == 1  # nothing stored
    opened = reply_text(bot.command("/network", NEW_SEASON, user=FACILITATOR))
    assert opened.startswith("*Spredning 2016–17* er åbnet: 4 møder")
    assert "10 medlemmer bliver spurgt, om de tager deres plads, senest 15. juni 2016." in opened
    with session_factory() as s:
        asked = s.scalars(select(Nudge).where(Nudge.kind == NudgeKind.SEAT_CLAIM)).all()
        assert len(asked) == 10
    value = network_value(session_factory, "coi-2016-17")
    bot.click(ANNA, Action.CLAIM_SEAT, value)
    assert told(bot).startswith("Din plads i *Spredning 2016–17* er din.")
    bot.click(BO, Action.CLAIM_DECLINE, value)
    assert told(bot, 2).startswith("Noteret — du tager ikke en plads i *Spredning 2016–17*.")
    with session_factory() as s:
        claims = {c.member_id: c.takes_seat for c in s.scalars(select(SeatClaim))}
        assert claims == {person(s, ANNA).id: True, person(s, BO).id: False}
    # The facilitator (now in the new season too) sees the vote and the seats.
    report = reply_text(bot.command("/network", "fornyelse", user=FACILITATOR))
    assert "*Pladser i Spredning 2016–17* (svar til og med 15. juni 2016)" in report
    assert "Tager deres plads: 1 · Fortsætter ikke: 1 · Har ikke svaret: 8" in report
    again = reply_text(bot.command("/network", NEW_SEASON, user=FACILITATOR))
    assert again.startswith("Der er allerede et netværk med nøglen")


def test_the_previous_season_stays_readable(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    bot.clock.now = AFTER_LAST
    none = reply_text(bot.command("/network", "forrige medlemmer", user=FACILITATOR))
    assert none.startswith("Netværket har ingen forrige sæson.")
    bot.command("/network", NEW_SEASON, user=FACILITATOR)
    # The facilitator now acts in the new season; the old one is read with `forrige`.
    members = reply_text(bot.command("/network", "medlemmer", user=FACILITATOR))
    assert members.startswith("*Medlemmer af Spredning 2016–17* (0)")
    old = reply_text(bot.command("/network", "forrige medlemmer", user=FACILITATOR))
    assert old.startswith("*Medlemmer af Spredningsnetværk for offentlig innovation 2015–16* (10)")
    summary = reply_text(bot.command("/network", "forrige overblik sæson", user=FACILITATOR))
    assert "Møde 4" in summary
    change = reply_text(bot.command("/network", f"forrige fjern <@{BO}>", user=FACILITATOR))
    assert change.startswith("Den forrige sæson kan kun læses")
    with session_factory() as s:
        assert person(s, BO).active  # nothing changed
    bot.command("/network", "forrige eksport", user=FACILITATOR)
    bot.slack.wait_for("files.completeUploadExternal", 3)  # the season summary's chart too
    asked = [c.params["filename"] for c in bot.slack.calls_to("files.getUploadURLExternal")]
    assert sorted(asked) == [
        "coi-spredning-2015-16-2016-05-02-csv.zip",
        "coi-spredning-2015-16-2016-05-02.xlsx",
        "sparring-coi-spredning-2015-16.png",
    ]


def test_the_weekly_digest_shows_the_vote_while_it_runs(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        facilitator = person(s, FACILITATOR)
        before = build_digest(session=s, member=facilitator, meeting=None, now=SEASON_NOW)
        assert before is not None and "fortsætte?" not in str(before.parts)
    bot.clock.now = AFTER_LAST
    bot.click(ANNA, Action.RENEWAL_YES, network_value(session_factory))
    bot.slack.wait_for("/response/action")
    with session_factory() as s:
        digest = build_digest(
            session=s, member=person(s, FACILITATOR), meeting=None, now=AFTER_LAST
        )
        assert digest is not None
        texts = [p.text for p in digest.parts if isinstance(p, c.Paragraph)]
        vote = next(t for t in texts if t.startswith("*Skal Spredningsnetværk"))
        assert "Ja: 1 · Nej: 0 · Ved ikke: 0" in vote
        assert "9 medlemmer har ikke stemt:" in vote
