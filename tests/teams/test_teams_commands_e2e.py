"""A member's commands typed in the Teams personal chat, through the real server: the same
parser, checks and replies as the Slack slash commands, answered as cards in reply to the
message (read from the Teams stand-in acting as the Bot Connector)."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from handlers.catalogue import teams_plain
from handlers.ids import Callback
from handlers.teams import commands
from models.followup import ManagerFollowUp
from models.network import Member, Platform
from models.sparring import SparringEntry
from tests.conftest import BO, CAMILLA, FREDERIK
from tests.e2e.conftest import BotUnderTest
from tests.slack_standin import SlackStandIn
from tests.teams.cards import card_markdown, card_text, cards, mentions
from tests.teams.conftest import (
    ANNA_TEAMS,
    BO_AAD,
    BO_TEAMS,
    BOT,
    STRANGER,
    TeamsBot,
    personal_conversation,
)

FREDERIK_TEAMS = "29:1frederik-teams-user-id"
YESTERDAY = date(2015, 10, 4)  # SEASON_NOW is 5 October 2015


def mention(name: str, user_id: str, aad: str | None = None) -> dict[str, Any]:
    """A mention entity as Teams sends it with `<at>name</at>` in the text."""
    mentioned = {"id": user_id, "name": name}
    if aad:
        mentioned["aadObjectId"] = aad
    return {"type": "mention", "text": f"<at>{name}</at>", "mentioned": mentioned}


def say(
    teams_bot: TeamsBot, user: str, text: str, *entities: dict[str, Any], aad: str | None = None
) -> dict[str, Any]:
    """`text` sent by `user` in their personal chat; the bot's one answer."""
    activity = teams_bot.activity(user, aad, text=text, entities=list(entities))
    assert teams_bot.send(activity).status == 200
    (answer,) = teams_bot.teams.messages(personal_conversation(user))
    assert answer["replyToId"] == activity["id"]
    teams_bot.teams.reset()
    return answer


def entries(teams_bot: TeamsBot, slack_id: str) -> list[SparringEntry]:
    with teams_bot.session_factory() as session:
        giver = session.scalars(select(Member).where(Member.slack_user_id == slack_id)).one()
        rows = session.scalars(
            select(SparringEntry).where(
                SparringEntry.giver_id == giver.id, SparringEntry.removed_at.is_(None)
            )
        ).all()
        for row in rows:
            _ = [m.slack_user_id for m in row.receiver_members], row.note
        session.expunge_all()
        return list(rows)


def slack_reply(teams_bot: TeamsBot, command: str, text: str, user: str) -> str:
    """The same command as Slack sends it, to the same server: the ephemeral reply's text."""
    slack = SlackStandIn().start()
    try:
        slack_bot = BotUnderTest(teams_bot.url, slack, teams_bot.clock, [])
        reply = slack_bot.command(command, text, user=user)
    finally:
        slack.stop()
    assert reply.status == 200
    return str(json.loads(reply.body)["text"])


def _words(text: str) -> str:
    return " ".join(text.replace("*", "").split())


def test_sparring_with_a_mention_is_logged_and_reads_as_the_slack_reply(
    teams_bot: TeamsBot,
) -> None:
    # Bo is known by his Entra object id; the mention names it (and his Teams user id).
    bo = mention("Bo Kjær", BO_TEAMS, BO_AAD)
    answer = say(teams_bot, ANNA_TEAMS, "sparring 2t med <at>Bo Kjær</at> i går", bo)

    (entry,) = entries(teams_bot, "U0ANNA0001")
    assert (entry.minutes, entry.given_on) == (120, YESTERDAY)
    assert [m.slack_user_id for m in entry.receiver_members] == [BO]
    # Camilla logs the same on Slack: the reply reads the same, word for word.
    on_slack = slack_reply(teams_bot, "/sparring", f"2t med <@{BO}> i går", CAMILLA)
    # The same reply; Slack mentions Bo where Teams names him.
    assert _words(card_text(answer)) == _words(
        html.unescape(on_slack).replace(f"<@{BO}>", "Bo Kjær")
    )
    # Bo is on Teams: a real Teams mention, by the id the network file gives (his Entra id).
    assert f"<@{BO}>" in on_slack and mentions(answer) == [("<at>Bo Kjær</at>", BO_AAD)]
    assert "2 t af 2 t" in card_text(answer)


def test_a_mention_by_teams_user_id_of_someone_who_wrote_to_the_bot_resolves(
    teams_bot: TeamsBot,
) -> None:
    """Bo is known by his Entra object id; a mention that names only his Teams user id
    finds him once he has written to the bot (his conversation says which id he has)."""
    say(teams_bot, BO_TEAMS, "hjælp", aad=BO_AAD)  # Bo (found by aadObjectId) writes first
    answer = say(teams_bot, ANNA_TEAMS, "sparring 1t30m <at>Bo</at>", mention("Bo", BO_TEAMS))
    (entry,) = entries(teams_bot, "U0ANNA0001")
    assert entry.minutes == 90 and [m.slack_user_id for m in entry.receiver_members] == [BO]
    assert "1 t 30 min" in card_text(answer)


def test_a_mention_of_someone_outside_the_network_gets_the_friendly_error(
    teams_bot: TeamsBot,
) -> None:
    answer = say(
        teams_bot,
        ANNA_TEAMS,
        "sparring 2t med <at>Zed Ukendt</at>",
        mention("Zed Ukendt", "29:1zed"),
    )
    text = card_text(answer)
    assert "Zed Ukendt er ikke medlem af dit netværk" in text
    assert "sparring logget 2t med @anna" in text and "/sparring" not in text
    assert "Det, du skrev: sparring 2t med @Zed Ukendt" in text
    assert entries(teams_bot, "U0ANNA0001") == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("sparring logget 2x", "Jeg forstod ikke varigheden “2x”"),
        ("sparring banan", "Jeg kender ikke sparring banan."),
        ("sparring 2t 1/11", "ligger i fremtiden"),
        ("sparring 2t med @Bo", "så Teams gør navnet til en omtale"),  # typed, no mention
    ],
)
def test_bad_input_gets_the_friendly_error_naming_the_teams_command(
    teams_bot: TeamsBot, typed: str, expected: str
) -> None:
    text = card_text(say(teams_bot, ANNA_TEAMS, typed))
    assert expected in text
    assert "/sparring" not in text  # the Teams word, not Slack's slash command
    assert "Slack" not in text
    assert entries(teams_bot, "U0ANNA0001") == []


def test_typed_text_never_becomes_a_mention(teams_bot: TeamsBot) -> None:
    with teams_bot.session_factory() as session:
        bo_id = session.scalars(select(Member.id).where(Member.slack_user_id == BO)).one()
    # An <at> span no entity vouches for, a typed member token and a typed Slack mention.
    say(teams_bot, ANNA_TEAMS, "sparring 1t med <at>Bo</at>")
    assert entries(teams_bot, "U0ANNA0001") == []  # "med" with nobody after it: refused
    typed = f"sparring 1t &lt;@member:{bo_id}&gt; <@member:{bo_id}> <@{BO}> hej"
    answer = say(teams_bot, ANNA_TEAMS, typed)
    (entry,) = entries(teams_bot, "U0ANNA0001")
    assert entry.receiver_members == []
    assert entry.note == f"<@member:{bo_id}> <@member:{bo_id}> <@{BO}> hej"
    assert f"<@member:{bo_id}>" in card_text(answer)  # shown as typed, inert


HOSTILE = "**fed** [klik](https://evil.example) <b>x</b> _i_"


def test_hostile_text_is_inert_in_the_reply_card(teams_bot: TeamsBot) -> None:
    answer = say(teams_bot, ANNA_TEAMS, f"sparring 1t {HOSTILE}")
    markdown = card_markdown(answer)
    assert "\\*\\*fed\\*\\*" in markdown and "\\[klik\\]" in markdown
    assert "\\<b\\>" in markdown and "\\_i\\_" in markdown
    assert HOSTILE in teams_plain(markdown)
    (entry,) = entries(teams_bot, "U0ANNA0001")
    assert entry.note == HOSTILE


def test_a_stranger_gets_the_stranger_text(teams_bot: TeamsBot) -> None:
    teams_bot.send(teams_bot.activity(STRANGER, text="sparring 2t"))
    (answer,) = teams_bot.teams.messages()
    assert "Jeg kan ikke finde dig" in answer["text"]


def test_sparring_status_and_undo(teams_bot: TeamsBot) -> None:
    say(teams_bot, ANNA_TEAMS, "sparring 45 min")
    status = card_text(say(teams_bot, ANNA_TEAMS, "sparring status"))
    assert "45 min" in status
    undone = card_text(say(teams_bot, ANNA_TEAMS, "sparring fortryd"))
    assert "45 min" in undone
    assert entries(teams_bot, "U0ANNA0001") == []
    assert "sparring logget" in card_text(say(teams_bot, ANNA_TEAMS, "sparring hjælp"))


def test_prep_sends_the_preparation_form(teams_bot: TeamsBot) -> None:
    answer = say(teams_bot, ANNA_TEAMS, "prep")
    (card,) = cards(answer)
    submit = card["actions"][0]
    assert submit["data"]["form"] == Callback.PREP_MODAL
    assert any(e.get("type") == "Input.Text" for e in card["body"])
    assert "Møde 2" in card_text(answer)


def test_followup_saves_text_and_lists_it_in_either_language(teams_bot: TeamsBot) -> None:
    saved = card_text(say(teams_bot, ANNA_TEAMS, "opfølgning Vi aftalte at prøve portalen"))
    assert "Vi aftalte at prøve portalen" in saved
    listed = card_text(say(teams_bot, ANNA_TEAMS, "followup status"))
    assert "Vi aftalte at prøve portalen" in listed
    with teams_bot.session_factory() as session:
        assert len(session.scalars(select(ManagerFollowUp)).all()) == 1
    (form,) = cards(say(teams_bot, ANNA_TEAMS, "opfølgning"))
    assert form["actions"][0]["data"]["form"] == Callback.FOLLOWUP_MODAL


def test_spread_status_and_form(teams_bot: TeamsBot) -> None:
    listed = say(teams_bot, ANNA_TEAMS, "spredning status")
    assert "Du har ikke registreret" in card_text(listed) or cards(listed)
    (form,) = cards(say(teams_bot, ANNA_TEAMS, "spread"))
    assert form["actions"][0]["data"]["form"] == Callback.SPREAD_MODAL
    text = card_text(say(teams_bot, ANNA_TEAMS, "spredning hmm"))
    assert "spredning hmm" in text and "/spread" not in text


def test_an_english_member_gets_english_texts_and_words(teams_bot: TeamsBot) -> None:
    with teams_bot.session_factory.begin() as session:
        frederik = session.scalars(select(Member).where(Member.slack_user_id == FREDERIK)).one()
        frederik.teams_user_id = FREDERIK_TEAMS
    help_text = card_text(say(teams_bot, FREDERIK_TEAMS, "help"))
    assert "followup" in help_text and "spread" in help_text and "opfølgning" not in help_text
    text = card_text(say(teams_bot, FREDERIK_TEAMS, "sparring 2h yesterday"))
    assert re.search(r"2 h", text)
    error = card_text(say(teams_bot, FREDERIK_TEAMS, "sparring banana"))
    assert "I don't know sparring banana." in error


def test_help_and_welcome_list_the_commands(teams_bot: TeamsBot) -> None:
    text = card_text(say(teams_bot, ANNA_TEAMS, "hjælp"))
    for word in ("sparring:", "prep:", "opfølgning:", "spredning:", "ansøg:"):
        assert word in text
    teams_bot.send(teams_bot.activity(ANNA_TEAMS, type="installationUpdate", action="add"))
    welcome, overview, _calendar = teams_bot.teams.messages()  # overview, calendar below it
    assert card_text(welcome).startswith("Hej! Jeg er Tovholder")
    assert card_text(overview) and card_text(overview) != card_text(welcome)
    assert "opfølgning:" in card_text(welcome)


def test_a_mention_of_the_bot_before_the_command_is_ignored(teams_bot: TeamsBot) -> None:
    answer = say(
        teams_bot,
        ANNA_TEAMS,
        "<at>Tovholder</at> sparring 30 min",
        mention("Tovholder", BOT),
    )
    assert "30 min" in card_text(answer)
    assert [e.minutes for e in entries(teams_bot, "U0ANNA0001")] == [30]


def test_an_unexpected_failure_is_answered_with_a_reference_and_nothing_kept(
    teams_bot: TeamsBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(scope: Any, text: str) -> str:
        scope.db.add(ManagerFollowUp(member_id=scope.member.id, followed_up_on=YESTERDAY))
        raise RuntimeError("boom")

    monkeypatch.setitem(commands.COMMANDS, "opfølgning", broken)
    text = card_text(say(teams_bot, ANNA_TEAMS, "opfølgning noget"))
    ref = re.search(r"\b[0-9a-f]{8}\b", text)
    assert ref is not None and "boom" not in text
    assert ref[0] in caplog.text and "RuntimeError('boom')" in caplog.text
    with teams_bot.session_factory() as session:
        assert session.scalars(select(ManagerFollowUp)).all() == []


def test_a_member_only_on_teams_can_be_a_receiver(teams_bot: TeamsBot) -> None:
    with teams_bot.session_factory.begin() as session:
        bo = session.scalars(select(Member).where(Member.slack_user_id == BO)).one()
        bo.set_identity(Platform.SLACK, None)
        bo_id = bo.id
    say(teams_bot, ANNA_TEAMS, "/sparring 1t <at>Bo</at>", mention("Bo", BO_TEAMS, BO_AAD))
    (entry,) = entries(teams_bot, "U0ANNA0001")
    assert [m.id for m in entry.receiver_members] == [bo_id]


def test_the_summary_is_plain_text(teams_bot: TeamsBot) -> None:
    answer = say(teams_bot, ANNA_TEAMS, "sparring 1t *hej*")
    assert answer["summary"].startswith("✅ Registreret: 1 t sparring")
    assert "\\" not in answer["summary"] and "**" not in answer["summary"]
