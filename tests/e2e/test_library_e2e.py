"""The example library on Slack, end to end: an example's kind chosen in /prep, `/network
eksempler` with words and filters (a friendly error for a bad one), the Open button showing
the example in full, asking its owner for sparring (told once, through the outbox) and
taking it home (a spreading action)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import make_web_client
from handlers.ids import Action
from jobs.nudges import run_nudge_pass
from jobs.slack_messenger import SlackMessenger
from models.prep import ExampleKind, PrepExample
from models.spread import SpreadAction
from tests.blockkit import check_view
from tests.conftest import ANNA, BO
from tests.e2e.test_between_e2e import told
from tests.e2e.test_network_e2e import text_of
from tests.e2e.test_prep_e2e import opened_view, pick, text
from tests.slack_standin import explode, standin_settings

HELD = datetime(2015, 11, 18, 9, 0, tzinfo=UTC)  # meeting 2 has been held


def bo_brings_a_failure(bot: Any) -> None:
    bot.command("/prep", "", user=BO)
    view = opened_view(bot)
    assert check_view(view, "modal") == []
    kind = next(b for b in view["blocks"] if b.get("block_id") == "p3_new_kind")
    assert kind["element"]["type"] == "static_select"
    form = (
        text("p3_new_title", "Chatbot der floppede")
        | text("p3_new_idea", "En chatbot til klager")
        | text("p3_new_learning", "Start med brugerne")
        | pick("p3_new_kind", "failure")
    )
    assert bot.submit(BO, view, form).json()["response_action"] == "update"


def test_browse_search_open_ask_and_take_home(
    bot: Any, session_factory: sessionmaker[Session]
) -> None:
    bo_brings_a_failure(bot)
    with session_factory() as s:
        example = s.scalars(select(PrepExample)).one()
        assert example.kind is ExampleKind.FAILURE
        example_id = example.id
    # Before meeting 2 the example is not shared yet.
    assert "Intet eksempel" in text_of(bot.command("/network", "eksempler", user=ANNA))
    bot.clock.now = HELD
    listed = bot.command("/network", "eksempler chatbot type=fejl", user=ANNA).json()
    shown = text_of_reply(listed)
    assert "*Netværkets eksempler* — 1 eksempel" in shown
    assert f"*Chatbot der floppede* (En fejl og læringen af den) — <@{BO}>" in shown
    (button,) = [b["accessory"] for b in listed["blocks"] if b.get("accessory")]
    assert (button["action_id"], button["value"]) == (Action.LIBRARY_OPEN, str(example_id))
    bad = text_of_reply(bot.command("/network", "examples kind=cake", user=ANNA).json())
    assert "“cake” er ikke en type eksempel." in bad and "/network eksempler [ord]" in bad

    bot.click(ANNA, Action.LIBRARY_OPEN, str(example_id))
    opened = bot.slack.wait_for("/response/action")[0].params
    blocks = json.loads(opened["blocks"]) if isinstance(opened["blocks"], str) else opened["blocks"]
    whole = json.dumps(blocks, ensure_ascii=False)
    assert "Start med brugerne" in whole and "Klagedrevet innovation" in whole
    actions = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert actions == [Action.LIBRARY_SPARRING, Action.LIBRARY_TAKE_HOME]

    bot.click(ANNA, Action.LIBRARY_SPARRING, str(example_id))
    assert told(bot, 2) == (
        f"<@{BO}> får besked om, at du gerne vil have sparring om “Chatbot der floppede”."
    )
    bot.click(ANNA, Action.LIBRARY_SPARRING, str(example_id))  # twice: told once
    assert "allerede" in told(bot, 3)
    bot.click(ANNA, Action.LIBRARY_TAKE_HOME, str(example_id))
    assert told(bot, 4).startswith("“Chatbot der floppede” står på din spredningsliste")
    bot.click(BO, Action.LIBRARY_TAKE_HOME, str(example_id))  # his own
    assert told(bot, 5) == "Det er dit eget eksempel."
    with session_factory() as s:
        action = s.scalars(select(SpreadAction)).one()
        assert (action.example_id, action.source is not None) == (example_id, True)

    client = make_web_client(
        standin_settings(bot.slack.url, slack_bot_token="xoxb-e2e"), retry_ambiguous=False
    )
    for _ in range(2):  # a second pass sends nothing again
        run_nudge_pass(
            session_factory=session_factory,
            messenger=SlackMessenger(client),
            now=bot.clock.now,
            refresh_zones=False,
        )
    to_bo = [
        json.dumps(part, ensure_ascii=False)
        for c in bot.slack.calls_to("chat.postMessage")
        if c.params["channel"] == "D0BO000002"
        for part in explode(c.params)
    ]
    asks = [t for t in to_bo if "gerne have sparring" in t]
    assert len(asks) == 1 and f"<@{ANNA}> (Roskilde Kommune)" in asks[0]
    assert len([t for t in to_bo if "taget din løsning" in t]) == 1


def text_of_reply(reply: dict[str, Any]) -> str:
    blocks = reply.get("blocks", [])
    return (
        reply.get("text", "")
        + "\n"
        + "\n".join(b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict))
    )
