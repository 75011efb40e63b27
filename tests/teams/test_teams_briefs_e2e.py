"""Briefs on Teams, through the real server: `prep brief` and `opfølgning brief` answer with
the same briefs as Slack's commands, and the colleague question's dialog saves what the
colleague brought back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from handlers.ids import Action
from models.attendance import Attendance, SubstituteField
from tests.conftest import ANNA, person
from tests.e2e.test_briefs_e2e import prepare
from tests.teams.conftest import ANNA_TEAMS, BO_AAD, TeamsBot
from tests.teams.test_teams_actions_e2e import _dialog_card, _errors, _invoke, _submit_data
from tests.teams.test_teams_network_e2e import card_text, say

DAY_AFTER = datetime(2015, 11, 18, 8, 0, tzinfo=UTC)


@pytest.fixture
def prepared(teams_bot: TeamsBot) -> None:
    prepare(teams_bot.session_factory)


def test_prep_brief_on_teams(teams_bot: TeamsBot, prepared: None) -> None:
    brief = "\n".join(card_text(m) for m in say(teams_bot, ANNA_TEAMS, "prep brief"))
    assert "Til din leder: møde 2" in brief
    assert "Til Lise Holm, der tager til møde 2 i mit sted" in brief
    assert "Bo Kjær: Hvordan måler I klager?" in brief


def test_colleague_dialog_and_followup_brief_on_teams(
    teams_bot: TeamsBot, prepared: None, session_factory: sessionmaker[Session]
) -> None:
    teams_bot.clock.now = DAY_AFTER
    with session_factory() as s:
        meeting = next(m for m in person(s, ANNA).network.meetings if m.number == 2)
        value = json.dumps({"meeting": meeting.id})
    data: dict[str, Any] = {
        "action": Action.OPEN_COLLEAGUE_REPORT,
        "value": value,
        "msteams": {"type": "task/fetch"},
    }
    card = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": data}))
    too_long = {SubstituteField.REPORT: "x" * 3001}
    again = _dialog_card(
        _invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": _submit_data(card, too_long)})
    )
    assert _errors(again) == ["Skriv, hvad din kollega fik med hjem, højst 3000 tegn."]
    typed = {SubstituteField.REPORT: "Tre idéer fra Gribskov"}
    _dialog_card(
        _invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": _submit_data(again, typed)})
    )
    with session_factory() as s:
        (row,) = s.query(Attendance).filter_by(member_id=person(s, ANNA).id).all()
        assert row.substitute_report == "Tre idéer fra Gribskov"
    brief = "\n".join(card_text(m) for m in say(teams_bot, ANNA_TEAMS, "opfølgning brief"))
    assert "Min kollega Lise Holm tog afsted i mit sted og bragte med hjem: Tre idéer" in brief
    # Bo sent nobody: the form is not his to open.
    bo = _invoke(teams_bot, BO_AAD, "task/fetch", {"data": data})
    assert bo["task"]["type"] == "message"
