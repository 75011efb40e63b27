"""Calendar invitations and meeting details on Slack, through the real server: the
facilitator gives a meeting its speakers and description, a member asks for the season's
calendar and adds one meeting from the Home tab; the files are read back with icalendar."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from handlers.ids import Action
from tests.calendar_files import events, slack_files
from tests.conftest import ANNA, FACILITATOR

DETAILS = (
    'møde 2 oplægsholdere="Mette Holm, innovationsleder; Ole Berg, KL" '
    'beskrivelse="Sådan bliver klager til idéer <!here>"'
)


def test_meeting_details_are_the_facilitators_and_go_into_the_calendar(bot: Any) -> None:
    denied = bot.command("/network", DETAILS, user=ANNA).json()["text"]
    assert denied == "Kun netværkets tovholdere kan bruge `/network`."
    reply = bot.command("/network", DETAILS, user=FACILITATOR).json()["text"]
    assert reply == (
        "*Møde 2* har nu:\n"
        "Oplægsholdere: Mette Holm, innovationsleder og Ole Berg, KL\n"
        "Sådan bliver klager til idéer &lt;!here&gt;"  # typed text, never markup
    )
    wrong = bot.command("/network", 'møde 2 oplægsholdere="' + "x" * 201 + '"', user=FACILITATOR)
    assert wrong.json()["text"].startswith("Angiv højst 20 oplægsholdere")

    answer = bot.command("/network", "kalender", user=ANNA).json()["text"]
    assert answer == "Jeg sender sæsonens møder som en kalenderfil i vores direkte besked."
    bot.slack.wait_for("files.completeUploadExternal")
    season = events(slack_files(bot.slack, "D" + ANNA[1:])["coi-spredning-2015-16.ics"])
    assert [e.decoded("DTSTART").astimezone(UTC).hour for e in season] == [8, 9, 9, 8]
    assert len({str(e["UID"]) for e in season}) == 4
    description = str(season[1]["DESCRIPTION"])
    assert "Oplægsholdere: Mette Holm, innovationsleder og Ole Berg, KL" in description
    assert "Sådan bliver klager til idéer <!here>" in description  # plain text in a calendar


def test_a_stranger_gets_no_calendar(bot: Any) -> None:
    reply = bot.command("/network", "calendar", user="U0OUTSIDER").json()["text"]
    assert reply == "Du er ikke med i et netværk, så der er ingen møder at sætte i din kalender."
    assert bot.slack.shared_files == []


def test_add_one_meeting_from_the_home_tab(bot: Any) -> None:
    bot.event({"type": "app_home_opened", "user": ANNA, "channel": "D1", "tab": "home"})
    (call,) = bot.slack.wait_for("views.publish")
    blocks = call.params["view"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    button = next(
        b["accessory"]
        for b in blocks["blocks"]
        if b.get("accessory", {}).get("action_id") == Action.ADD_TO_CALENDAR
    )
    assert button["text"]["text"] == "Føj til kalender"
    bot.click(ANNA, Action.ADD_TO_CALENDAR, button["value"])
    bot.slack.wait_for("files.completeUploadExternal")
    (name,) = slack_files(bot.slack, "D" + ANNA[1:])
    (event,) = events(slack_files(bot.slack)[name])
    assert name == "coi-spredning-2015-16-2.ics"  # the next meeting at SEASON_NOW
    assert event.decoded("DTSTART") == datetime(2015, 11, 17, 9, 0, tzinfo=UTC)
