"""Teams' POST /api/messages through the real server: who may call it, what is stored, what
the bot answers (read from the Teams stand-in acting as the Bot Connector)."""

from __future__ import annotations

import io
import json
import logging
import socket
from urllib.parse import urlsplit

import jwt
import pytest

from bot.server import MAX_BODY_BYTES
from bot.teams_server import MESSAGES_PATH, teams_endpoint
from models.base import utc_now
from tests.teams.cards import card_text
from tests.teams.conftest import (
    ANNA_AAD,
    ANNA_TEAMS,
    BO_AAD,
    BO_TEAMS,
    STRANGER,
    TeamsBot,
    personal_conversation,
)
from tests.teams_standin import new_key

WELCOME_DA = "Hej! Jeg er Tovholder"
HELP_DA = "Skriv en af disse kommandoer her i chatten"
STRANGER_DA = "Jeg kan ikke finde dig"


def test_installing_the_app_stores_the_conversation_and_welcomes(teams_bot: TeamsBot) -> None:
    reply = teams_bot.send(
        teams_bot.activity(ANNA_TEAMS, ANNA_AAD, type="installationUpdate", action="add")
    )
    assert reply.status == 200
    welcome, overview, calendar = teams_bot.teams.messages(personal_conversation(ANNA_TEAMS))
    (consent,) = calendar["attachments"]  # the season's meetings, for her calendar
    assert consent["contentType"] == "application/vnd.microsoft.teams.card.file.consent"
    assert consent["name"] == "coi-spredning-2015-16.ics"
    assert card_text(welcome)[: len(WELCOME_DA)] == WELCOME_DA
    (card,) = overview["attachments"]  # her overview below it (Slack's App Home)
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert "Spredningsnetværk" in json.dumps(card["content"], ensure_ascii=False)
    assert teams_bot.conversation_of("U0ANNA0001") == {
        "service_url": teams_bot.teams.service_url,
        "conversation_id": personal_conversation(ANNA_TEAMS),
        "tenant_id": "11111111-2222-4333-8444-555555555555",
        "bot_id": "28:00000000-0000-4000-8000-0000000a11d0",
        "user_id": ANNA_TEAMS,
        "aad_object_id": ANNA_AAD,
    }


def test_a_member_known_by_entra_id_is_found_and_answered_help(teams_bot: TeamsBot) -> None:
    reply = teams_bot.send(teams_bot.activity(BO_TEAMS, BO_AAD, text="hjælp"))
    assert reply.status == 200
    (answer,) = teams_bot.teams.messages(personal_conversation(BO_TEAMS))
    assert card_text(answer).startswith(HELP_DA)
    assert answer["replyToId"]
    reference = teams_bot.conversation_of("U0BO000002")
    assert reference is not None and reference["user_id"] == BO_TEAMS


@pytest.mark.parametrize("text", ["help", "<at>Tovholder</at> Hjælp!"])
def test_help_in_either_language_and_with_a_mention(teams_bot: TeamsBot, text: str) -> None:
    teams_bot.send(teams_bot.activity(ANNA_TEAMS, text=text))
    (answer,) = teams_bot.teams.messages()
    assert card_text(answer).startswith(HELP_DA)


def test_other_text_is_not_understood_and_never_echoed(teams_bot: TeamsBot) -> None:
    teams_bot.send(teams_bot.activity(ANNA_TEAMS, text="**bold** <script>x</script>"))
    (answer,) = teams_bot.teams.messages()
    assert card_text(answer).startswith("Det forstår jeg ikke endnu")
    assert "script" not in str(answer)


def test_a_stranger_gets_a_friendly_answer_in_their_language(teams_bot: TeamsBot) -> None:
    teams_bot.send(teams_bot.activity(STRANGER, text="hello", locale="en-GB"))
    teams_bot.send(
        teams_bot.activity(STRANGER, type="installationUpdate", action="add", locale=None)
    )
    english, danish = (m["text"] for m in teams_bot.teams.messages())
    assert english.startswith("Hi! I am Tovholder, the assistant of a peer-learning network.")
    assert STRANGER_DA in danish  # no locale given: Danish, the default


def test_teams_retry_of_an_activity_is_handled_once(teams_bot: TeamsBot) -> None:
    activity = teams_bot.activity(ANNA_TEAMS, text="help")
    assert teams_bot.send(activity).status == 200
    assert teams_bot.send(activity).status == 200  # Teams' retry: a new token, same activity
    assert len(teams_bot.teams.messages()) == 1


def _refused(teams_bot: TeamsBot, token: str | None, activity: dict[str, object]) -> None:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    reply = teams_bot.post(json.dumps(activity).encode(), headers)
    assert reply.status == 401
    assert teams_bot.teams.messages() == []
    assert teams_bot.conversation_of("U0ANNA0001") is None


def test_without_a_token_nothing_is_stored(teams_bot: TeamsBot) -> None:
    _refused(teams_bot, None, teams_bot.activity(ANNA_TEAMS, text="help"))
    _refused(teams_bot, "not-a-jwt", teams_bot.activity(ANNA_TEAMS, text="help"))


def test_a_forged_token_is_refused(teams_bot: TeamsBot) -> None:
    # Signed with another key under the published key's id.
    forged = teams_bot.teams.token_for(key=new_key())
    _refused(teams_bot, forged, teams_bot.activity(ANNA_TEAMS, text="help"))


def test_an_unsigned_token_is_refused(teams_bot: TeamsBot) -> None:
    claims = jwt.decode(teams_bot.teams.token_for(), options={"verify_signature": False})
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    _refused(teams_bot, unsigned, teams_bot.activity(ANNA_TEAMS, text="help"))


@pytest.mark.parametrize(
    "claims",
    [
        {"expires_in": -600},  # expired (beyond the allowed clock skew)
        {"audience": "99999999-0000-4000-8000-000000000000"},  # for another bot
        {"issuer": "https://sts.windows.net/evil/"},  # not the Bot Framework
        {"service_url": "https://evil.example/teams/"},  # for another service URL
    ],
)
def test_a_token_not_for_this_request_is_refused(
    teams_bot: TeamsBot, claims: dict[str, object]
) -> None:
    token = teams_bot.teams.token_for(**claims)  # type: ignore[arg-type]
    _refused(teams_bot, token, teams_bot.activity(ANNA_TEAMS, text="help"))


def test_an_activity_naming_another_service_url_than_its_token_is_refused(
    teams_bot: TeamsBot,
) -> None:
    activity = teams_bot.activity(ANNA_TEAMS, text="help", serviceUrl="https://evil.example/")
    token = teams_bot.teams.token_for()  # for the real service URL
    _refused(teams_bot, token, activity)


def _post_raw(teams_bot: TeamsBot, body: bytes, token: str) -> str:
    """The status line for `body`, sent as a client that does not wait to be refused would."""
    url = urlsplit(teams_bot.url)
    with socket.create_connection((url.hostname or "", url.port or 0), timeout=10) as sock:
        head = (
            f"POST {MESSAGES_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        try:
            sock.sendall(head.encode())
            for start in range(0, len(body), 65536):
                sock.sendall(body[start : start + 65536])
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while b"\r\n" not in answer:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except ConnectionResetError:
            pass
    return answer.split(b"\r\n")[0].decode()


def test_a_body_over_the_limit_is_413(teams_bot: TeamsBot) -> None:
    body = b'{"type":"message","text":"' + b"x" * MAX_BODY_BYTES + b'"}'
    assert _post_raw(teams_bot, body, teams_bot.teams.token_for()).startswith("HTTP/1.1 413")
    assert teams_bot.teams.messages() == []


def test_the_endpoint_itself_refuses_a_body_over_the_limit(teams_bot: TeamsBot) -> None:
    """Behind a server without waitress's own limit, the endpoint refuses before reading."""
    statuses: list[str] = []
    endpoint = teams_endpoint(
        teams_bot.teams.settings(), teams_bot.session_factory, replay_guard=None, clock=utc_now
    )
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(MAX_BODY_BYTES + 1),
        "wsgi.input": io.BytesIO(b""),  # never read
        "HTTP_AUTHORIZATION": f"Bearer {teams_bot.teams.token_for()}",
    }
    list(endpoint(environ, lambda status, headers: statuses.append(status)))
    assert statuses == ["413 Payload Too Large"]


def test_an_authenticated_odd_body_is_acknowledged_and_not_handled(teams_bot: TeamsBot) -> None:
    token = teams_bot.teams.token_for()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    assert teams_bot.post(b"[1, 2]", headers).status == 200
    assert teams_bot.post(b"{not json", headers).status == 200
    assert teams_bot.teams.messages() == []


def test_without_microsofts_keys_nothing_is_let_in(teams_bot: TeamsBot) -> None:
    """The OpenID metadata cannot be read: 503 (Teams tries again later), nothing handled."""
    statuses: list[str] = []
    dead = teams_bot.teams.settings(
        openid_metadata_url="http://127.0.0.1:9/v1/.well-known/openidconfiguration"
    )
    endpoint = teams_endpoint(dead, teams_bot.session_factory, replay_guard=None, clock=utc_now)
    body = json.dumps(teams_bot.activity(ANNA_TEAMS, text="help")).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "HTTP_AUTHORIZATION": f"Bearer {teams_bot.teams.token_for()}",
    }
    list(endpoint(environ, lambda status, headers: statuses.append(status)))
    assert statuses == ["503 Service Unavailable"]
    assert teams_bot.teams.messages() == []
    assert teams_bot.conversation_of("U0ANNA0001") is None


def test_a_refusal_is_one_line_without_what_the_sender_wrote(
    teams_bot: TeamsBot, caplog: pytest.LogCaptureFixture
) -> None:
    token = teams_bot.teams.token_for(service_url="https://evil.example/\nFAKE LOG LINE")
    activity = teams_bot.activity(ANNA_TEAMS, text="SECRET-TEXT")
    with caplog.at_level(logging.DEBUG):
        _refused(teams_bot, token, activity)
    assert "FAKE LOG LINE" not in caplog.text and "SECRET-TEXT" not in caplog.text
    assert token not in caplog.text
    refusals = [r for r in caplog.records if "refused a Teams request" in r.getMessage()]
    assert len(refusals) == 1


def test_one_install_is_one_welcome(teams_bot: TeamsBot) -> None:
    """Installing a personal app, Teams sends a conversationUpdate (the bot joined the chat)
    and an installationUpdate: the first stores where to write, the second welcomes."""
    joined = teams_bot.activity(
        ANNA_TEAMS,
        ANNA_AAD,
        type="conversationUpdate",
        membersAdded=[{"id": "28:00000000-0000-4000-8000-0000000a11d0"}],
    )
    assert teams_bot.send(joined).status == 200
    assert teams_bot.teams.messages() == []
    assert teams_bot.conversation_of("U0ANNA0001") is not None
    teams_bot.send(teams_bot.activity(ANNA_TEAMS, type="installationUpdate", action="add"))
    assert len(teams_bot.teams.messages()) == 3  # the welcome, her overview, the calendar


def test_removing_the_app_forgets_where_to_write(teams_bot: TeamsBot) -> None:
    teams_bot.send(teams_bot.activity(ANNA_TEAMS, type="installationUpdate", action="add"))
    assert teams_bot.conversation_of("U0ANNA0001") is not None
    teams_bot.send(teams_bot.activity(ANNA_TEAMS, type="installationUpdate", action="remove"))
    assert teams_bot.conversation_of("U0ANNA0001") is None
    assert len(teams_bot.teams.messages()) == 3  # welcome, overview, calendar; no goodbye
