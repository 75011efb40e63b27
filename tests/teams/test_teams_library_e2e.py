"""The example library on Teams, through the real server: `netværk eksempler` in the chat
(filters, a friendly error), the Open button answering with the example in full and its two
buttons, asking for sparring and taking it home — the same cores as Slack's."""

from __future__ import annotations

from sqlalchemy import select

from handlers.ids import Action
from models.prep import ExampleKind
from models.spread import SpreadAction
from tests.conftest import ANNA, BO
from tests.models.test_library import AFTER_M2, bring
from tests.teams.cards import card_text, cards
from tests.teams.conftest import ANNA_TEAMS, TeamsBot, personal_conversation
from tests.teams.test_teams_actions_e2e import _button, _press, _replies
from tests.teams.test_teams_commands_e2e import say


def test_browse_open_ask_and_take_home_on_teams(teams_bot: TeamsBot) -> None:
    with teams_bot.session_factory() as s:
        example_id = bring(s, BO, 2, "Chatbot der floppede", "Klager i chat", ExampleKind.FAILURE)
        bring(s, ANNA, 2, "Borgerpanel", "Klager som kilde", ExampleKind.RECIPE)
    teams_bot.clock.now = AFTER_M2
    answer = say(teams_bot, ANNA_TEAMS, "netværk eksempler type=fejl")
    found = card_text(answer)
    assert "Netværkets eksempler" in found and "1 eksempel" in found
    assert "Chatbot der floppede" in found and "Bo Kjær" in found and "Borgerpanel" not in found
    assert "<@" not in found  # a Slack mention never shows on Teams
    (card,) = cards(answer)
    opener = _button(card, Action.LIBRARY_OPEN)
    assert opener["value"] == str(example_id)
    bad = card_text(say(teams_bot, ANNA_TEAMS, "network examples meeting=four"))
    assert "“four” er ikke et mødenummer" in bad

    teams_bot.teams.reset()
    _press(teams_bot, ANNA_TEAMS, opener)
    assert "Klager i chat" in _replies(teams_bot, ANNA_TEAMS)[-1]
    last = teams_bot.teams.messages(personal_conversation(ANNA_TEAMS))[-1]
    shown = last["attachments"][0]["content"]
    assert _button(shown, Action.LIBRARY_SPARRING)["value"] == str(example_id)
    assert _button(shown, Action.LIBRARY_TAKE_HOME)["value"] == str(example_id)
    _press(teams_bot, ANNA_TEAMS, {"action": Action.LIBRARY_SPARRING, "value": str(example_id)})
    assert _replies(teams_bot, ANNA_TEAMS)[-1] == (
        "<at>Bo Kjær</at> får besked om, at du gerne vil have sparring om “Chatbot der floppede”."
    )
    _press(teams_bot, ANNA_TEAMS, {"action": Action.LIBRARY_TAKE_HOME, "value": str(example_id)})
    assert _replies(teams_bot, ANNA_TEAMS)[-1].startswith(
        "“Chatbot der floppede” står på din spredningsliste"
    )
    with teams_bot.session_factory() as s:
        action = s.scalars(select(SpreadAction)).one()
        assert action.example_id == example_id
