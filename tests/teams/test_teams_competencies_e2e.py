"""Competencies and the east/west exchange on Teams, through the real server: `netværk hvem
kan …` in the chat, the competencies dialog (errors under the field, what was typed kept),
the question picker's search on competencies, and sharing with the sister network by a
card's button — the same cores as Slack's."""

from __future__ import annotations

from typing import Any

from microsoft_teams.api.models.search import SearchResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.ids import Action, Field
from models.competencies import CompetenciesField
from models.exchange import SisterShare
from models.people import member_ref
from tests.conftest import ANNA, BO, CAMILLA, person
from tests.models.test_exchange import anna_prepares, link_sister
from tests.teams.cards import card_text, cards
from tests.teams.conftest import ANNA_TEAMS, TeamsBot, personal_conversation
from tests.teams.test_teams_actions_e2e import (
    _button,
    _dialog_card,
    _errors,
    _inputs,
    _invoke,
    _press,
    _replies,
    _submit_data,
)
from tests.teams.test_teams_commands_e2e import say

KEYWORDS = CompetenciesField.KEYWORDS


def _give(session_factory: sessionmaker[Session], who: str, keywords: list[str]) -> None:
    with session_factory.begin() as s:
        person(s, who).competencies = keywords


def test_who_knows_in_the_teams_chat(teams_bot: TeamsBot) -> None:
    _give(teams_bot.session_factory, BO, ["Jura", "GDPR"])
    _give(teams_bot.session_factory, CAMILLA, ["jurist"])
    found = card_text(say(teams_bot, ANNA_TEAMS, "netværk hvem kan jur"))
    assert "Hvem kan “jur”" in found and "2 personer" in found
    assert "Bo Kjær (Roskilde Kommune) — Jura" in found
    assert found.index("Bo Kjær") < found.index("Camilla Østergaard")
    assert "<@" not in found and "U0BO" not in found  # a Slack id never shows on Teams
    english = card_text(say(teams_bot, ANNA_TEAMS, "network who knows gdpr"))
    assert "Bo Kjær" in english and "Camilla" not in english


def test_the_competencies_dialog_keeps_what_was_typed_and_saves(teams_bot: TeamsBot) -> None:
    answer = say(teams_bot, ANNA_TEAMS, "netværk kompetencer")
    assert "Dine kompetencer:" in card_text(answer)
    (card,) = cards(answer)
    opener = _button(card, Action.OPEN_COMPETENCIES)
    assert opener["msteams"] == {"type": "task/fetch"}
    dialog = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/fetch", {"data": opener}))
    assert KEYWORDS in _inputs(dialog)
    typed = ", ".join(f"ord{i}" for i in range(16))
    bad = _submit_data(dialog, {KEYWORDS: typed})
    again = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": bad}))
    assert _inputs(again)[KEYWORDS]["value"] == typed
    assert _errors(again) == ["Det er 16 nøgleord; højst 15. Behold dem, der siger mest om dig."]
    with teams_bot.session_factory() as s:
        assert person(s, ANNA).competencies == []
    good = _submit_data(again, {KEYWORDS: "jura; GDPR"})
    done = _dialog_card(_invoke(teams_bot, ANNA_TEAMS, "task/submit", {"data": good}))
    assert _errors(done) == []
    with teams_bot.session_factory() as s:
        assert person(s, ANNA).competencies == ["jura", "GDPR"]


def test_the_question_picker_searches_competencies(teams_bot: TeamsBot) -> None:
    _give(teams_bot.session_factory, BO, ["Jura", "GDPR"])
    query = {"dataset": Field.PERSON_SEARCH, "queryText": "gdpr"}
    answer = _invoke(teams_bot, ANNA_TEAMS, "application/search", query)
    SearchResponse.model_validate(answer)
    with teams_bot.session_factory() as s:
        bo = member_ref(person(s, BO))
    assert answer["value"]["results"] == [
        {"title": "Bo Kjær (Roskilde Kommune) — Jura, GDPR", "value": bo}
    ]


def test_sharing_with_the_sister_network_by_a_button(teams_bot: TeamsBot) -> None:
    with teams_bot.session_factory() as s:
        link_sister(s)
        example_id, _ = anna_prepares(s)
    (card,) = cards(say(teams_bot, ANNA_TEAMS, "netværk del"))
    share = _button(card, Action.SISTER_SHARE)
    assert share["value"] == f"example:{example_id}" and "msteams" not in share
    _press(teams_bot, ANNA_TEAMS, share)
    assert _replies(teams_bot, ANNA_TEAMS)[-1].startswith(
        "Dit eksempel er delt med søsternetværket."
    )
    with teams_bot.session_factory() as s:
        (row,) = s.scalars(select(SisterShare)).all()
        assert row.member_id == person(s, ANNA).id
    teams_bot.teams.reset()
    listed: Any = say(teams_bot, ANNA_TEAMS, "netværk share")
    withdraw = _button(cards(listed)[0], Action.SISTER_WITHDRAW)
    _press(teams_bot, ANNA_TEAMS, withdraw)
    assert _replies(teams_bot, ANNA_TEAMS)[-1] == (
        "Dit eksempel er ikke længere delt med søsternetværket."
    )
    assert teams_bot.teams.messages(personal_conversation(ANNA_TEAMS))
