"""Calendar invitations on Teams: `netværk kalender` and "Føj til kalender" offer the file with
a consent card, built again on the member's yes; the nudge pass offers a moved meeting's
invitation after its notice. Files read back with icalendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from handlers.ids import Action
from handlers.teams.files import CONSENT_TYPE
from models.network_admin import move_meeting
from tests.calendar_files import events
from tests.conftest import FACILITATOR, SEASON_NOW, person
from tests.teams.conftest import ANNA_TEAMS, STRANGER, TeamsBot, personal_conversation
from tests.teams.test_teams_messenger import anna_on_teams_only, run, teams, teams_messenger
from tests.teams.test_teams_network_e2e import _consents, card_text, consent_answer, say
from tests.teams_standin import TeamsStandIn

__all__ = ["anna_on_teams_only", "teams"]  # fixtures


def test_the_season_calendar_through_file_consent(teams_bot: TeamsBot) -> None:
    (consent,) = _consents(say(teams_bot, ANNA_TEAMS, "netværk kalender"))
    assert consent["name"] == "coi-spredning-2015-16.ics"
    assert teams_bot.teams.uploads == {}  # nothing before she says yes
    assert consent_answer(teams_bot, ANNA_TEAMS, consent).status == 200
    season = events(teams_bot.teams.uploads["coi-spredning-2015-16.ics"])
    assert [e.decoded("DTSTART").astimezone(UTC).hour for e in season] == [8, 9, 9, 8]
    (nothing,) = say(teams_bot, STRANGER, "network calendar")
    assert card_text(nothing).startswith("Du er ikke med i et netværk")


def test_add_to_calendar_button_on_teams(teams_bot: TeamsBot) -> None:
    value = '{"meeting": %d}'
    with teams_bot.session_factory() as s:
        meeting = next(m for m in person(s, FACILITATOR).network.meetings if m.number == 3)
        value = value % meeting.id
    before = len(teams_bot.teams.messages(personal_conversation(ANNA_TEAMS)))
    pressed = teams_bot.activity(
        ANNA_TEAMS, value={"action": Action.ADD_TO_CALENDAR, "value": value}
    )
    assert teams_bot.send(pressed).status == 200
    sent = teams_bot.teams.messages(personal_conversation(ANNA_TEAMS))[before:]
    (consent,) = _consents(sent)
    assert consent_answer(teams_bot, ANNA_TEAMS, consent).status == 200
    (event,) = events(teams_bot.teams.uploads["coi-spredning-2015-16-3.ics"])
    assert event.decoded("DTSTART") == datetime(2016, 3, 3, 9, 0, tzinfo=UTC)


def test_a_moved_meeting_is_offered_again_after_its_notice(
    teams: TeamsStandIn, session_factory: sessionmaker[Session], anna_on_teams_only: int
) -> None:
    with session_factory() as s:
        facilitator = person(s, FACILITATOR)
        move_meeting(
            session=s,
            network=facilitator.network,
            by=facilitator,
            number=2,
            day=date(2015, 10, 27),
            start=time(10, 0),
            end=time(13, 0),
            place=None,
            host=None,
            now=SEASON_NOW,
        )
        s.commit()
    run(teams_messenger(teams, session_factory), session_factory, SEASON_NOW)
    (consent,) = [c for c in _offered(teams) if c["name"] == "coi-spredning-2015-16-2.ics"]
    context = consent["content"]["acceptContext"]
    with session_factory() as s:
        meeting = next(m for m in person(s, FACILITATOR).network.meetings if m.number == 2)
        assert context == {
            "file": "calendar",
            "network": meeting.network_id,
            "meeting": meeting.id,
            "name": "coi-spredning-2015-16-2.ics",
        }
    run(teams_messenger(teams, session_factory), session_factory, SEASON_NOW)
    assert len(_offered(teams)) == 1  # exactly once


def _offered(teams: TeamsStandIn) -> list[dict[str, Any]]:
    return [
        a
        for m in teams.messages()
        for a in m.get("attachments", [])
        if a["contentType"] == CONSENT_TYPE
    ]
