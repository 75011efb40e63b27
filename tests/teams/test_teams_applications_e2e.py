"""Applications on Teams, through the real server: someone in no network types `ansøg`, opens
the form as a dialog, gets the errors under the fields with what they typed kept, saves; the
facilitator types `netværk ansøgninger` and declines with a message — the same cores as
Slack's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.ids import Action
from models.applications import Application, ApplicationStatus
from models.network import Platform, Role
from models.nudges import Nudge, NudgeKind
from tests.conftest import FACILITATOR, person
from tests.e2e.test_applications_e2e import open_applications
from tests.teams.conftest import STRANGER, TeamsBot, personal_conversation
from tests.teams.test_teams_actions_e2e import (
    _button,
    _dialog_card,
    _errors,
    _inputs,
    _invoke,
    _replies,
    _submit_data,
    _under,
)

FACILITATOR_TEAMS = "29:1facilitator-teams-id"
GOOD = {
    "app_name": "Ida Holm",
    "app_email": "ida@aarhus.dk",
    "app_workplace": "Aarhus Kommune",
    "app_about": "Projektleder.",
    "app_tasks": "Velfærdsteknologi.",
    "app_competencies": "design, data",
    "app_wants": "Ideer.",
    "app_contributes": "Erfaringer.",
    "app_confirm": "time,binding",
}


def _say(teams_bot: TeamsBot, user: str, text: str) -> dict[str, Any]:
    """Type `text`; the card the bot answers with."""
    before = len(teams_bot.teams.messages(personal_conversation(user)))
    assert teams_bot.send(teams_bot.activity(user, text=text)).status == 200
    sent = teams_bot.teams.messages(personal_conversation(user))[before:]
    assert len(sent) == 1
    card: dict[str, Any] = sent[0]["attachments"][0]["content"]
    return card


def _fetch(teams_bot: TeamsBot, user: str, data: dict[str, Any]) -> dict[str, Any]:
    return _dialog_card(_invoke(teams_bot, user, "task/fetch", {"data": data}))


def test_someone_in_no_network_applies_on_teams(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    _say(teams_bot, STRANGER, "ansøg")
    assert _replies(teams_bot, STRANGER) == ["Intet netværk tager imod ansøgninger lige nu."]
    open_applications(session_factory)
    card = _say(teams_bot, STRANGER, "ansøg")
    opener = _button(card, Action.OPEN_APPLICATION)
    assert opener["msteams"] == {"type": "task/fetch"}
    form = _fetch(teams_bot, STRANGER, opener)
    assert set(GOOD) <= set(_inputs(form))

    bad = _submit_data(form, GOOD | {"app_email": "ida@", "app_confirm": "time"})
    again = _dialog_card(_invoke(teams_bot, STRANGER, "task/submit", {"data": bad}))
    assert _inputs(again)["app_email"]["value"] == "ida@"
    assert _inputs(again)["app_about"]["value"] == "Projektleder."
    assert len(_errors(again)) == 2
    assert "e-mailadresse" in " ".join(_under(again, "app_email"))
    with session_factory() as s:
        assert s.scalars(select(Application)).all() == []

    good = _submit_data(again, GOOD)
    done = _dialog_card(_invoke(teams_bot, STRANGER, "task/submit", {"data": good}))
    assert _errors(done) == []
    with session_factory() as s:
        row = s.scalars(select(Application)).one()
        assert row.competencies == ["design", "data"]
        assert (row.member.role, row.member.identity(Platform.TEAMS).external_id) == (  # type: ignore[union-attr]
            Role.APPLICANT,
            STRANGER,
        )
    # Opened again: what was saved.
    reopened = _fetch(teams_bot, STRANGER, opener)
    assert _inputs(reopened)["app_wants"]["value"] == "Ideer."


def test_the_facilitator_declines_on_teams(
    teams_bot: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    open_applications(session_factory)
    opener = {"action": Action.OPEN_APPLICATION, "value": "", "msteams": {"type": "task/fetch"}}
    form = _fetch(teams_bot, STRANGER, opener)
    _invoke(teams_bot, STRANGER, "task/submit", {"data": _submit_data(form, GOOD)})
    with session_factory() as s:
        person(s, FACILITATOR).teams_user_id = FACILITATOR_TEAMS
        s.commit()

    listing = _say(teams_bot, FACILITATOR_TEAMS, "netværk ansøgninger")
    decline = _button(listing, Action.APPLICATION_DECLINE)
    # Someone else cannot open the decision.
    refused = _invoke(teams_bot, STRANGER, "task/fetch", {"data": decline})
    assert refused["task"]["type"] == "message"
    decision = _fetch(teams_bot, FACILITATOR_TEAMS, decline)
    data = _submit_data(decision, {"app_message": "Prøv igen næste år."})
    saved = _dialog_card(_invoke(teams_bot, FACILITATOR_TEAMS, "task/submit", {"data": data}))
    assert _errors(saved) == []
    with session_factory() as s:
        row = s.scalars(select(Application)).one()
        assert (row.status, row.outcome_message) == (
            ApplicationStatus.DECLINED,
            "Prøv igen næste år.",
        )
        told = s.scalars(select(Nudge).where(Nudge.kind == NudgeKind.APPLICATION_OUTCOME)).one()
        assert told.member_id == row.member_id
