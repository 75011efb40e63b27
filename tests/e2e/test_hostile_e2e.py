"""Hostile text through every entry point: stored as the member typed it, never live markup in
what anyone receives (DMs, replies, forms, Home tabs), and never a crash."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.app import make_web_client
from handlers.ids import Action
from jobs.nudges import run_nudge_pass
from jobs.slack_messenger import SlackMessenger
from models.attendance import Attendance
from models.followup import ManagerFollowUp
from models.network import Member
from models.prep import PrepExample, PrepQuestion
from models.sparring import SparringEntry
from models.spread import SpreadAction
from tests.conftest import ANNA, BO, CAMILLA, FACILITATOR, person
from tests.e2e.conftest import BotUnderTest
from tests.e2e.test_followup_spread_e2e import radio
from tests.e2e.test_prep_e2e import full_form, opened_view, pick, text
from tests.slack_standin import standin_settings

HOSTILE = "<!channel> <https://evil.example/login|Tovholder: log ind her> & <!subteam^S1|@alle>"
# What Slack sends for the same text in a slash command (`should_escape`).
HOSTILE_AS_SLACK_SENDS = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
HOSTILE_SHOWN = "&lt;!channel&gt; &lt;https://evil.example/login|Tovholder: log ind her&gt; &amp;"
TOKEN_RE = re.compile(r"<[^<>]*>")
MENTION_RE = re.compile(r"<@(?P<id>[UW][A-Z0-9]+)>")


def mrkdwn_texts(payload: Any) -> list[str]:
    """Every text in a Slack payload that Slack reads as mrkdwn (plain_text is never markup)."""
    found: list[str] = []
    if isinstance(payload, dict):
        if payload.get("type") == "plain_text":
            return []
        if isinstance(payload.get("text"), str):  # mrkdwn objects, and a message's `text`
            found.append(payload["text"])
        for key, value in payload.items():
            if key != "text" or not isinstance(value, str):
                found += mrkdwn_texts(value)
    elif isinstance(payload, list):
        for item in payload:
            found += mrkdwn_texts(item)
    return found


def live_markup(payload: Any, known: set[str]) -> list[str]:
    """Markup tokens other than mentions of people of the network."""
    bad = []
    for found in mrkdwn_texts(payload):
        for token in TOKEN_RE.findall(found):
            mention = MENTION_RE.fullmatch(token)
            if mention is None or mention["id"] not in known:
                bad.append(token)
    return bad


def as_dict(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value


def sent_payloads(bot: BotUnderTest) -> list[tuple[str, Any]]:
    """Everything the bot sent to Slack: messages, views, response_url replies."""
    out = []
    for call in bot.slack.calls:
        params = {k: as_dict(v) for k, v in call.params.items()}
        out.append((call.method, params))
    return out


def test_hostile_text_reaches_no_one_as_markup(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    replies: list[Any] = []
    # /sparring with a note, as Slack sends it: receivers get a notice.
    replies.append(
        bot.command(
            "/sparring", f"logged 1h with <@{BO}|bo> {HOSTILE_AS_SLACK_SENDS}", user=ANNA
        ).json()
    )
    # The same from the sparring form.
    bot.click(CAMILLA, Action.OPEN_SPARRING, "{}")
    form = opened_view(bot)
    sparring_values = (
        text("sparring_duration", "45 min")
        | {"sparring_date": {"value": {"type": "datepicker", "selected_date": "2015-10-04"}}}
        | {
            "sparring_receivers": {
                "value": {"type": "multi_static_select", "selected_options": [{"value": BO}]}
            }
        }
        | text("sparring_note", HOSTILE)
    )
    replies.append(bot.submit(CAMILLA, form, sparring_values).json())
    # /prep: a question for Bo, an example, the manager note.
    bot.command("/prep", "", user=ANNA)
    prep = opened_view(bot, 2)
    values = full_form() | text("p2_q1_text", HOSTILE) | text("p1_agreed", HOSTILE)
    values |= text("p3_new_title", HOSTILE[:120]) | text("p3_new_idea", HOSTILE)
    saved = bot.submit(ANNA, prep, values).json()
    assert saved["response_action"] == "update", saved
    replies.append(saved)
    # /followup, typed and in the form.
    replies.append(bot.command("/followup", HOSTILE_AS_SLACK_SENDS, user=BO).json())
    # /spread: Bo took Anna's solution; Anna gets a notice. (A theme with markup characters
    # shows as written in the form's plain-text options.)
    with session_factory() as s:
        next(m for m in person(s, ANNA).network.meetings if m.number == 1).theme = "A & <B>"
        s.commit()
    bot.command("/spread", "", user=BO)
    spread = opened_view(bot, 3)
    meetings = next(b for b in spread["blocks"] if b["block_id"] == "spread_meeting")
    assert meetings["element"]["options"][0]["text"]["text"] == "Møde 1: A & <B>"
    spread_values = (
        text("spread_solution", HOSTILE)
        | pick("spread_source", ANNA)
        | radio("spread_status", "planned")
        | text("spread_effect", HOSTILE)
    )
    replies.append(bot.submit(BO, spread, spread_values).json())
    # A substitute with a hostile name: facilitators and the host contact get the head count.
    with session_factory() as s:
        meeting2 = next(
            m.id for m in s.scalars(select(Member)).first().network.meetings if m.number == 2
        )
    bot.click(CAMILLA, Action.ATTEND_SUBSTITUTE, json.dumps({"meeting": meeting2}))
    substitute = opened_view(bot, 4)
    replies.append(
        bot.submit(
            CAMILLA,
            substitute,
            text("attendance_name", HOSTILE[:100]) | text("attendance_email", "kim@roskilde.dk"),
        ).json()
    )
    # A facilitator's words from Slack: a new member's name, a meeting's place and host.
    added = bot.command(
        "/network",
        f'add <@U0NEWBIE01|kim> name="{HOSTILE_AS_SLACK_SENDS[:60]}" org="Vejle" manager="L"',
        user=FACILITATOR,
    ).json()
    replies.append(added)
    moved = bot.command(
        "/network",
        f'meeting 2 place="{HOSTILE_AS_SLACK_SENDS}" host="{HOSTILE_AS_SLACK_SENDS}"',
        user=FACILITATOR,
    ).json()
    assert "Møde 2" in moved["text"], moved
    replies.append(moved)
    # The facilitator's lists show names and texts members typed.
    for command in ("summary", "members", "meetings", f"summary <@{ANNA}>", "season"):
        replies.append(bot.command("/network", command, user=FACILITATOR).json())
    for user in (ANNA, BO):
        replies.append(bot.command("/spread", "status", user=user).json())
        replies.append(bot.command("/followup", "status", user=user).json())
        replies.append(bot.command("/sparring", "status", user=user).json())
        replies.append(bot.command("/prep", "status", user=user).json())

    # Everything stored is what the member typed, not Slack's escaping.
    with session_factory() as s:
        notes = s.scalars(select(SparringEntry.note).order_by(SparringEntry.id)).all()
        assert notes == [HOSTILE, HOSTILE]
        assert HOSTILE in s.scalars(select(PrepQuestion.text)).all()
        assert s.scalars(select(PrepExample.idea)).one() == HOSTILE
        assert s.scalars(select(ManagerFollowUp.agreed)).one() == HOSTILE
        assert s.scalars(select(SpreadAction.solution)).one() == HOSTILE
        attendance = s.scalars(select(Attendance)).one()
        assert attendance.substitute_name == HOSTILE[:100].strip()
        known = {m.slack_user_id for m in s.scalars(select(Member))}
        kim = s.scalars(select(Member).where(Member.slack_user_id == "U0NEWBIE01")).one()
        assert kim.name == html.unescape(HOSTILE_AS_SLACK_SENDS[:60])  # as typed
        place = next(m for m in kim.network.meetings if m.number == 2).place
        assert place == HOSTILE

    # The clock side: notices now, then every day up to meeting 2 (agenda, head count, ...).
    client = make_web_client(
        standin_settings(bot.slack.url, slack_bot_token="xoxb-e2e"), retry_ambiguous=False
    )
    moment = bot.clock.now
    while moment < datetime(2015, 11, 17, 9, 0, tzinfo=UTC):
        run_nudge_pass(
            session_factory=session_factory,
            messenger=SlackMessenger(client),
            now=moment,
            refresh_zones=False,
        )
        moment += timedelta(days=1)
    for user in (ANNA, BO, CAMILLA, FACILITATOR, "U0HOST0001"):
        bot.event({"type": "app_home_opened", "user": user, "tab": "home"})
    bot.slack.wait_for("views.publish", 5)

    sent = sent_payloads(bot)
    posted = [params for method, params in sent if method == "chat.postMessage"]
    received = json.dumps(posted, ensure_ascii=False)
    for reply in replies:
        assert live_markup(reply, known) == [], reply
    for method, params in sent:
        assert live_markup(params, known) == [], (method, params)
    # The hostile text did reach people (sparring and spread notices, agenda, head count) —
    # as the text it is.
    assert received.count(HOSTILE_SHOWN) >= 5


FUZZ = [
    pytest.param(HOSTILE, id="markup"),
    pytest.param("&lt;!channel&gt; &amp; {0} {text} %s \\", id="entities-and-braces"),
    pytest.param("x" * 5000, id="very-long"),
    pytest.param("🎉👩🏽‍💻" * 300, id="emoji"),
    pytest.param("nul\x00byte", id="nul"),
    pytest.param("ctl\x01\x1b[31m\u202e\r\n", id="control"),
    pytest.param("lone \ud800 surrogate", id="lone-surrogate"),
    pytest.param("   ", id="blank"),
]


def _forms(bot: BotUnderTest, session_factory: sessionmaker[Session]) -> dict[str, Any]:
    """Each form (as the bot opens it) and the text inputs it has."""
    with session_factory() as s:
        meeting2 = next(
            m.id for m in s.scalars(select(Member)).first().network.meetings if m.number == 2
        )
    opens = [
        lambda: bot.command("/prep", "", user=ANNA),
        lambda: bot.click(ANNA, Action.OPEN_SPARRING, "{}"),
        lambda: bot.command("/followup", "", user=ANNA),
        lambda: bot.command("/spread", "", user=ANNA),
        lambda: bot.click(ANNA, Action.ATTEND_SUBSTITUTE, json.dumps({"meeting": meeting2})),
    ]
    views = []
    for i, open_form in enumerate(opens, 1):
        open_form()
        views.append(opened_view(bot, i))
    return {v["callback_id"]: v for v in views}


def _text_inputs(view: dict[str, Any]) -> list[str]:
    return [
        b["block_id"]
        for b in view["blocks"]
        if b.get("type") == "input" and b["element"]["type"] == "plain_text_input"
    ]


@pytest.mark.parametrize("value", FUZZ)
def test_no_typed_text_crashes_a_form(
    bot: BotUnderTest, session_factory: sessionmaker[Session], value: str
) -> None:
    for callback, view in _forms(bot, session_factory).items():
        fields = _text_inputs(view)
        assert fields, callback
        base = full_form() if callback == "prep_modal" else {}
        if callback == "spread_modal":
            base = radio("spread_status", "planned")
        values = base | {f: {"value": {"type": "plain_text_input", "value": value}} for f in fields}
        reply = bot.submit(ANNA, view, values)
        assert reply.status == 200
        body = reply.json()
        # Saved, or told what to change on a field of the form — never "something went wrong".
        assert body["response_action"] in {"update", "errors"}, (callback, body)
        if body["response_action"] == "errors":
            assert set(body["errors"]) <= set(fields) | set(values), (callback, body)
            assert not any("fejlkoden" in e for e in body["errors"].values()), (callback, body)


def test_a_command_error_quotes_what_was_typed_once_escaped(bot: BotUnderTest) -> None:
    reply = bot.command("/sparring", "logged a&lt;b", user=ANNA).text  # typed: logged a<b
    # Slack shows: Jeg forstod ikke varigheden “a<b”. … Det, du skrev: `/sparring logged a<b`
    assert reply.startswith("Jeg forstod ikke varigheden “a&lt;b”.")
    assert reply.endswith("Det, du skrev: `/sparring logged a&lt;b`")
