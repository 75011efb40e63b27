"""The facilitator's /network on Teams (`netværk …` in the personal chat), the overview card,
and files through Teams' file consent flow — through the real server, the Teams stand-in as
the Bot Connector and as OneDrive's upload URL."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.catalogue import teams_plain
from handlers.ids import Action
from handlers.teams.files import CONSENT_TYPE, INFO_TYPE
from models.attendance import AttendanceStatus, set_attendance
from models.base import utc_now
from models.network import Member
from models.prep import save_manager_alignment
from models.privacy import forget_member
from models.replay import forget_seen_requests
from models.sparring import SparringReceiver, dispute_sparring, log_sparring
from tests.conftest import ANNA, BO, CAMILLA, FACILITATOR, SEASON_NOW, person
from tests.e2e.conftest import bot, running_server  # noqa: F401  (Slack's side, to compare)
from tests.teams.conftest import ANNA_TEAMS, BOT, STRANGER, TeamsBot, personal_conversation
from tests.teams_standin import Fault

FACIL_TEAMS = "29:1facilitator-teams-id"
CAMILLA_TEAMS = "29:1camilla-only-on-teams"
# On Teams the texts name the chat word, not the slash command.
NOT_ALLOWED = "Kun netværkets tovholdere kan bruge netværk."


@pytest.fixture
def mixed(teams_bot: TeamsBot) -> TeamsBot:
    """The facilitator is on Teams too; Camilla only on Teams; Anna prepared and sparred with
    Bo; Bo can't come to meeting 2."""
    with teams_bot.session_factory.begin() as s:
        person(s, FACILITATOR).teams_user_id = FACIL_TEAMS
        camilla = person(s, CAMILLA)
        camilla.teams_user_id = CAMILLA_TEAMS
        camilla.slack_user_id = None
    with teams_bot.session_factory() as s:
        anna, bo = person(s, ANNA), person(s, BO)
        m2 = next(m for m in anna.network.meetings if m.number == 2)
        save_manager_alignment(
            session=s, member=anna, meeting=m2, aligned=True, agreed="Ja", now=SEASON_NOW
        )
        log_sparring(
            session=s,
            member=anna,
            minutes=120,
            given_on=date(2015, 10, 2),
            receiver_ids=[BO],
            note="",
            now=SEASON_NOW,
        )
        set_attendance(session=s, member=bo, meeting=m2, status=AttendanceStatus.NO, now=SEASON_NOW)
        s.commit()
    return teams_bot


def card_text(message: dict[str, Any]) -> str:
    """Every text of a message's Adaptive Cards, in order."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                texts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for attachment in message.get("attachments", []):
        if attachment["contentType"] == "application/vnd.microsoft.card.adaptive":
            walk(attachment["content"]["body"])
    return "\n".join(texts)


def say(teams_bot: TeamsBot, user: str, text: str, **fields: Any) -> list[dict[str, Any]]:
    """`user` writes `text` in their chat with the bot; what the bot answered there."""
    before = len(teams_bot.teams.messages(personal_conversation(user)))
    assert teams_bot.send(teams_bot.activity(user, text=text, **fields)).status == 200
    return teams_bot.teams.messages(personal_conversation(user))[before:]


def numbers(text: str) -> list[str]:
    return re.findall(r"\d+", text)


def test_a_facilitators_summary_on_teams_is_slacks(mixed: TeamsBot, bot: Any) -> None:  # noqa: F811
    slack = bot.command("/network", "summary", user=FACILITATOR).json()["blocks"]
    (answer,) = say(mixed, FACIL_TEAMS, "netværk resumé")
    assert answer["replyToId"]
    text = card_text(answer)
    header, totals = teams_plain(text.split("\n", 1)[0]), text.split("\n", 1)[1]
    assert header == "Møde 2: Klagedrevet innovation (17. november 2015) — 10 medlemmer"
    assert numbers(totals.split("**Bagud")[0]) == numbers(slack[1]["text"]["text"])
    assert "Forberedt: 0 af 10 (0 %) · leder 10 %" in totals
    assert "Tilmelding: 0 kommer, 0 sender en kollega, 1 kan ikke, 9 har ikke svaret" in totals
    assert "Camilla Østergaard" in text  # the member only on Teams is in it, behind


def test_every_list_answers_as_on_slack(mixed: TeamsBot) -> None:
    (members,) = say(mixed, FACIL_TEAMS, "network members")
    assert card_text(members).startswith("**Medlemmer af Spredningsnetværk")
    assert "Camilla Østergaard" in card_text(members)
    (season,) = say(mixed, FACIL_TEAMS, "netværk overblik sæson")
    assert "Møde 2 (17. november 2015): forberedt 0/10" in teams_plain(card_text(season))
    (fees,) = say(mixed, FACIL_TEAMS, "netværk gebyr")
    assert "Roskilde Kommune: 2 ×" in card_text(fees)
    (meetings,) = say(mixed, FACIL_TEAMS, "<at>Tovholder</at> netværk møder")
    assert "Møde 3" in card_text(meetings)
    (bad,) = say(mixed, FACIL_TEAMS, "netværk resumé møde 9")
    assert card_text(bad).startswith("Der er intet møde 9. Møderne er 1–4.")
    (unknown,) = say(mixed, FACIL_TEAMS, "netværk <b>bogus</b>")
    assert "<b>" not in json.dumps(unknown)  # typed text stays text


def test_one_members_season_by_a_teams_mention(mixed: TeamsBot) -> None:
    mention = {
        "type": "mention",
        "mentioned": {"id": CAMILLA_TEAMS, "name": "Camilla Østergaard"},
        "text": "<at>Camilla Østergaard</at>",
    }
    own = {
        "type": "mention",
        "mentioned": {"id": BOT, "name": "Tovholder"},
        "text": "<at>Tovholder</at>",
    }
    (answer,) = say(
        mixed,
        FACIL_TEAMS,
        "<at>Tovholder</at> netværk resumé <at>Camilla Østergaard</at>",
        entities=[own, mention],
    )
    assert card_text(answer).startswith("**Camilla Østergaard** (Gribskov Kommune")


@pytest.mark.parametrize("words", ["resumé", "members", "eksport", "glem x", ""])
def test_a_member_is_told_only_facilitators(mixed: TeamsBot, words: str) -> None:
    (answer,) = say(mixed, ANNA_TEAMS, f"netværk {words}")
    assert card_text(answer) == NOT_ALLOWED
    assert mixed.teams.uploads == {}
    (stranger,) = say(mixed, STRANGER, f"network {words}")
    assert card_text(stranger) == NOT_ALLOWED


def _consents(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        a for m in messages for a in m.get("attachments", []) if a["contentType"] == CONSENT_TYPE
    ]


def consent_card_id(teams_bot: TeamsBot, consent: dict[str, Any]) -> str:
    """The activity id the stand-in gave the message that carried the consent card."""
    (sent,) = [s for s in teams_bot.teams.sent if consent in s.body.get("attachments", [])]
    assert sent.activity_id is not None
    return sent.activity_id


def consent_answer(
    teams_bot: TeamsBot,
    user: str,
    consent: dict[str, Any],
    action: str = "accept",
    saved_as: str | None = None,
) -> Any:
    """Teams' invoke when `user` accepted (or declined) the consent card `consent` (replying
    to the card's message, as Teams' invoke does); the file is saved as `saved_as` (Teams
    names a second copy "name (1).xlsx")."""
    name = saved_as or consent["name"]
    value: dict[str, Any] = {"type": "fileUpload", "action": action}
    if action == "accept":
        value["context"] = consent["content"]["acceptContext"]
        value["uploadInfo"] = {
            "contentUrl": f"https://contoso-my.sharepoint.com/personal/Documents/{name}",
            "name": name,
            "uploadUrl": teams_bot.teams.upload_url(name),
            "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C9D",
            "fileType": name.rsplit(".", 1)[1],
        }
    else:
        value["context"] = consent["content"]["declineContext"]
    activity = teams_bot.activity(
        user,
        type="invoke",
        name="fileConsent/invoke",
        value=value,
        replyToId=consent_card_id(teams_bot, consent),
    )
    return teams_bot.send(activity)


def test_export_through_file_consent(
    mixed: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    sent = say(mixed, FACIL_TEAMS, "netværk eksport")
    assert card_text(sent[0]).startswith("Jeg laver eksporten")
    xlsx, zipped = _consents(sent)
    assert xlsx["name"] == "coi-spredning-2015-16-2015-10-05.xlsx" or xlsx["name"].endswith(".xlsx")
    assert zipped["name"].endswith("-csv.zip")
    assert xlsx["content"]["sizeInBytes"] > 1000
    assert (
        xlsx["content"]["description"]
        == "Eksport af Spredningsnetværk for offentlig innovation 2015–16."
    )
    assert mixed.teams.uploads == {}  # nothing is sent before the facilitator says yes

    reply = consent_answer(mixed, FACIL_TEAMS, xlsx)
    assert reply.status == 200
    content = mixed.teams.uploads[xlsx["name"]]
    assert len(content) == xlsx["content"]["sizeInBytes"]  # the same file, built again
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    rows = [r[:3] for r in workbook["members"].iter_rows(values_only=True)]
    assert ("Camilla Østergaard", None, "Gribskov Kommune") in rows  # only on Teams
    assert ("Anna Lund", ANNA, "Roskilde Kommune") in rows  # on Slack (and Teams)
    sparring = list(workbook["sparring"].iter_rows(values_only=True))
    assert sparring[1][:4] == ("2015-10-02", "Anna Lund", 120, "Bo Kjær")
    (shown,) = mixed.teams.messages(personal_conversation(FACIL_TEAMS))[-1]["attachments"]
    assert shown == {
        "contentType": INFO_TYPE,
        "contentUrl": f"https://contoso-my.sharepoint.com/personal/Documents/{xlsx['name']}",
        "name": xlsx["name"],
        "content": {"uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C9D", "fileType": "xlsx"},
    }


def test_a_declined_file_is_not_sent(mixed: TeamsBot) -> None:
    xlsx, _ = _consents(say(mixed, FACIL_TEAMS, "netværk eksport"))
    assert consent_answer(mixed, FACIL_TEAMS, xlsx, "decline").status == 200
    last = mixed.teams.messages(personal_conversation(FACIL_TEAMS))[-1]
    assert card_text(last) == f"Du sagde nej tak til {xlsx['name']}, så jeg har ikke sendt den."
    assert mixed.teams.uploads == {}


def test_an_upload_that_fails_is_reported(mixed: TeamsBot) -> None:
    xlsx, _ = _consents(say(mixed, FACIL_TEAMS, "netværk eksport"))
    mixed.teams.fail_next("upload", Fault(503))
    assert consent_answer(mixed, FACIL_TEAMS, xlsx).status == 200
    last = mixed.teams.messages(personal_conversation(FACIL_TEAMS))[-1]
    assert card_text(last).startswith(f"{xlsx['name']} kunne ikke gemmes i din OneDrive")
    assert not any(a["contentType"] == INFO_TYPE for a in last.get("attachments", []))


def test_the_role_is_checked_again_on_accept(mixed: TeamsBot) -> None:
    """A member who replays the facilitator's accept gets no export."""
    xlsx, _ = _consents(say(mixed, FACIL_TEAMS, "netværk eksport"))
    assert consent_answer(mixed, ANNA_TEAMS, xlsx).status == 200
    assert mixed.teams.uploads == {}
    last = mixed.teams.messages(personal_conversation(ANNA_TEAMS))[-1]
    assert card_text(last) == NOT_ALLOWED


def test_mydata_for_anyone_on_teams(mixed: TeamsBot) -> None:
    (consent,) = _consents(say(mixed, CAMILLA_TEAMS, "netværk mydata"))
    assert consent["name"] == "tovholder-mine-data.json"
    assert consent_answer(mixed, CAMILLA_TEAMS, consent).status == 200
    (data,) = json.loads(mixed.teams.uploads["tovholder-mine-data.json"])
    assert data["profile"]["name"] == "Camilla Østergaard"
    (nothing,) = say(mixed, STRANGER, "network mydata")
    assert card_text(nothing) == "Der er ikke gemt noget om dig i Tovholder."


def test_erased_members_never_appear(
    mixed: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        camilla = s.scalars(select(Member).where(Member.name == "Camilla Østergaard")).one()
        facilitator = person(s, FACILITATOR)
        forget_member(session=s, member=camilla, by=facilitator, now=SEASON_NOW)
        s.commit()
    summary = card_text(say(mixed, FACIL_TEAMS, "netværk resumé")[0])
    assert "— 9 medlemmer" in summary and "Camilla" not in summary
    members = card_text(say(mixed, FACIL_TEAMS, "netværk medlemmer")[0])
    assert "Camilla" not in members
    xlsx, _ = _consents(say(mixed, FACIL_TEAMS, "netværk eksport"))
    consent_answer(mixed, FACIL_TEAMS, xlsx)
    workbook = openpyxl.load_workbook(io.BytesIO(mixed.teams.uploads[xlsx["name"]]))
    cells = {str(c) for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row}
    assert not any("Camilla" in c or CAMILLA_TEAMS in c for c in cells)
    (nothing,) = say(mixed, CAMILLA_TEAMS, "netværk mydata")  # her Teams id finds nothing
    assert card_text(nothing) == "Der er ikke gemt noget om dig i Tovholder."


@pytest.mark.parametrize(
    ("user", "words", "expected"),
    [
        (ANNA_TEAMS, "oversigt", "**Spredningsnetværk for offentlig innovation 2015–16**"),
        (FACIL_TEAMS, "overview", "**Møde 2: Klagedrevet innovation**"),
        (STRANGER, "hjem", "Du er ikke medlem af et netværk i Tovholder"),
    ],
)
def test_the_overview_card(mixed: TeamsBot, user: str, words: str, expected: str) -> None:
    (answer,) = say(mixed, user, words)
    assert expected in card_text(answer)


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found.append(node["data"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("attachments", []))
    return found


def press(teams_bot: TeamsBot, user: str, data: dict[str, Any]) -> str:
    """`user` presses a card's button (Teams sends its data as a message's value)."""
    before = len(teams_bot.teams.messages(personal_conversation(user)))
    assert teams_bot.send(teams_bot.activity(user, value=data)).status == 200
    (answer,) = teams_bot.teams.messages(personal_conversation(user))[before:]
    return card_text(answer)


def test_forget_a_member_named_by_a_teams_mention(mixed: TeamsBot) -> None:
    mention = {
        "type": "mention",
        "mentioned": {"id": CAMILLA_TEAMS, "name": "Camilla Østergaard"},
        "text": "<at>Camilla Østergaard</at>",
    }
    (ask,) = say(mixed, FACIL_TEAMS, "netværk glem <at>Camilla Østergaard</at>", entities=[mention])
    assert card_text(ask).startswith("Slet alle personoplysninger om **Camilla Østergaard**?")
    (button,) = _buttons(ask)
    assert press(mixed, ANNA_TEAMS, button) == NOT_ALLOWED  # not hers to press
    assert press(mixed, FACIL_TEAMS, button) == (
        "Personoplysningerne om Camilla Østergaard er slettet."
    )
    assert "— 9 medlemmer" in card_text(say(mixed, FACIL_TEAMS, "netværk resumé")[0])


def test_a_facilitator_settles_a_dispute_on_teams(
    mixed: TeamsBot, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        bo = person(s, BO)
        receiver = s.scalars(
            select(SparringReceiver).where(SparringReceiver.member_id == bo.id)
        ).one()
        dispute_sparring(session=s, receiver=receiver, now=SEASON_NOW)
        s.commit()
    (listed,) = say(mixed, FACIL_TEAMS, "netværk indsigelser")
    keep, remove = _buttons(listed)
    assert (keep["action"], remove["action"]) == (Action.DISPUTE_KEEP, Action.DISPUTE_REMOVE)
    assert press(mixed, ANNA_TEAMS, remove) == NOT_ALLOWED
    assert press(mixed, FACIL_TEAMS, remove).startswith("Registreringen er fjernet (2 t den")
    assert press(mixed, FACIL_TEAMS, keep) == "Den indsigelse er allerede afgjort."


def _mention(user_id: str, name: str) -> dict[str, Any]:
    return {
        "type": "mention",
        "mentioned": {"id": user_id, "name": name},
        "text": f"<at>{name}</at>",
    }


def test_add_and_remove_a_teams_member(mixed: TeamsBot) -> None:
    newbie = "29:1newbie-on-teams"
    (missing,) = say(
        mixed,
        FACIL_TEAMS,
        "netværk tilføj <at>Nina Ny</at> org=Lejre",
        entities=[_mention(newbie, "Nina Ny")],
    )
    assert card_text(missing).startswith("Mangler leder.")
    text = 'netværk tilføj <at>Nina Ny</at> org="Lejre Kommune" leder="Mette Unik"'
    (added,) = say(mixed, FACIL_TEAMS, text, entities=[_mention(newbie, "Nina Ny")])
    assert "Nina Ny" in card_text(added) and "Lejre Kommune" in card_text(added)
    assert "— 11 medlemmer" in card_text(say(mixed, FACIL_TEAMS, "netværk resumé")[0])
    (hello,) = say(mixed, newbie, "oversigt")  # she is found by her Teams id
    assert "**Spredningsnetværk for offentlig innovation 2015–16**" in card_text(hello)
    (removed,) = say(
        mixed, FACIL_TEAMS, "netværk fjern <at>Nina Ny</at>", entities=[_mention(newbie, "Nina Ny")]
    )
    assert "Nina Ny" in card_text(removed)
    assert "— 10 medlemmer" in card_text(say(mixed, FACIL_TEAMS, "netværk resumé")[0])


def test_an_invoke_is_answered_in_the_http_response(mixed: TeamsBot) -> None:
    odd = mixed.activity(
        FACIL_TEAMS, type="invoke", name="fileConsent/invoke", value={"action": "accept"}
    )
    reply = mixed.send(odd)  # an accept without an upload URL: nothing to do
    assert (reply.status, reply.body) == (400, "")
    assert mixed.teams.messages() == [] and mixed.teams.uploads == {}


def _updates(teams_bot: TeamsBot, activity_id: str) -> list[str]:
    """What the bot replaced the activity `activity_id` with (updateActivity), as text."""
    return [
        card_text(s.body)
        for s in teams_bot.teams.sent
        if s.method == "PUT" and s.activity_id == activity_id
    ]


def test_a_consent_card_says_what_became_of_it_and_uploads_once(mixed: TeamsBot) -> None:
    xlsx, zipped = _consents(say(mixed, FACIL_TEAMS, "netværk eksport"))
    assert consent_answer(mixed, FACIL_TEAMS, xlsx).status == 200
    card = consent_card_id(mixed, xlsx)
    assert _updates(mixed, card) == [f"Sendt: {xlsx['name']}"]  # the buttons are gone
    # The purge of expired replay keys runs meanwhile (once a minute, on a request): the
    # card's claim is stamped with the wall clock, not the bot's (here 2015), so it stays.
    with mixed.session_factory.begin() as s:
        forget_seen_requests(s, utc_now())
    # Accepted again (another device, before the update showed): no second upload.
    again = f"{xlsx['name'][:-5]} (1).xlsx"
    assert consent_answer(mixed, FACIL_TEAMS, xlsx, saved_as=again).status == 200
    assert list(mixed.teams.uploads) == [xlsx["name"]]
    assert _updates(mixed, card) == [f"Sendt: {xlsx['name']}"]
    # Declined, then accepted: the card says so, and nothing is sent.
    assert consent_answer(mixed, FACIL_TEAMS, zipped, "decline").status == 200
    assert _updates(mixed, consent_card_id(mixed, zipped)) == [f"Afvist: {zipped['name']}"]
    assert consent_answer(mixed, FACIL_TEAMS, zipped).status == 200
    assert zipped["name"] not in mixed.teams.uploads


def test_a_failed_upload_leaves_the_card_to_be_accepted_again(mixed: TeamsBot) -> None:
    xlsx, _ = _consents(say(mixed, FACIL_TEAMS, "netværk eksport"))
    mixed.teams.fail_next("upload", Fault(503))
    assert consent_answer(mixed, FACIL_TEAMS, xlsx).status == 200
    assert _updates(mixed, consent_card_id(mixed, xlsx)) == []
    assert consent_answer(mixed, FACIL_TEAMS, xlsx).status == 200  # tried again: sent
    assert list(mixed.teams.uploads) == [xlsx["name"]]
    assert _updates(mixed, consent_card_id(mixed, xlsx)) == [f"Sendt: {xlsx['name']}"]
