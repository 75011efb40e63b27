"""The request edge over real HTTP: what is not Slack's is refused before it is parsed, big
bodies are refused unread, refused bodies never reach the log, and repeats are handled once."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.server import MAX_BODY_BYTES, replay_keys
from handlers.context import REPLAY_KEYS
from handlers.ids import Action, Callback
from models.replay import SeenRequest
from models.sparring import SparringEntry
from tests.conftest import ANNA, BO
from tests.e2e.conftest import BotUnderTest, sign, signed_headers


def stored(session_factory: sessionmaker[Session]) -> tuple[int, int]:
    """(sparring entries, replay keys): what a request could have left in the database."""
    with session_factory() as s:
        return (
            s.scalar(select(func.count()).select_from(SparringEntry)) or 0,
            s.scalar(select(func.count()).select_from(SeenRequest)) or 0,
        )


NOT_SLACK_BODIES = {
    "invalid UTF-8": b"command=%2Fsparring&text=\xff\xfe\xfd&user_id=U0ANNA0001",
    "non-JSON payload": b"payload=%7Bnot-json",
    "JSON array": b'[{"type": "block_actions"}]',
    "empty": b"",
}


def _post_bytes(bot: BotUnderTest, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        bot.url + "/slack/events", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.mark.parametrize("kind", sorted(NOT_SLACK_BODIES))
@pytest.mark.parametrize(
    "signing", ["unsigned", "wrong secret", "non-numeric timestamp", "stale timestamp"]
)
def test_requests_not_from_slack_get_401_and_store_nothing(
    bot: BotUnderTest,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
    kind: str,
    signing: str,
) -> None:
    body = NOT_SLACK_BODIES[kind]
    now = int(time.time())
    text = body.decode("latin-1")
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signing == "wrong secret":
        headers |= {
            "X-Slack-Request-Timestamp": str(now),
            "X-Slack-Signature": sign(text, now, "x"),
        }
    elif signing == "non-numeric timestamp":
        headers |= {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}
    elif signing == "stale timestamp":
        old = now - 301
        headers |= {"X-Slack-Request-Timestamp": str(old), "X-Slack-Signature": sign(text, old)}
    with caplog.at_level(logging.DEBUG):
        status, _ = _post_bytes(bot, body, headers)
    assert status == 401
    assert stored(session_factory) == (0, 0)
    assert bot.slack.calls == []
    assert not [r for r in caplog.records if r.exc_info]


def _post_raw(bot: BotUnderTest, body: bytes) -> str:
    """POST `body` over a plain socket and return the status line; the server may answer
    and close before the body is sent, as a client that floods it would find."""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(bot.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        head = (
            "POST /slack/events HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
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


def test_a_big_unsigned_body_gets_413_and_is_not_logged(
    bot: BotUnderTest, session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    marker = "BODYMARKER"
    big = ("text=" + marker * (MAX_BODY_BYTES // len(marker) + 10)).encode()
    with caplog.at_level(logging.DEBUG):
        big_status = _post_raw(bot, big)
        small_status, _ = _post_bytes(
            bot, f"text={marker}".encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )
    assert big_status.startswith("HTTP/1.1 413")
    assert small_status == 401
    assert marker not in caplog.text
    assert stored(session_factory) == (0, 0)


def test_a_replayed_command_is_stored_once(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    body = bot.command_body("/sparring", f"logged 1h with <@{BO}>", user=ANNA)
    headers = signed_headers(body, int(time.time()))
    replies = [bot.post(body, headers) for _ in range(3)]
    assert [r.status for r in replies] == [200, 200, 200]
    assert replies[0].text.startswith("✅")
    assert stored(session_factory)[0] == 1


def test_a_command_whose_text_says_payload_is_answered(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    # Bolt's own parser takes any form body containing the word "payload" for an
    # interaction, and the command reached no listener (Slack showed a timeout); the gate
    # parses the body once, by its fields.
    reply = bot.command("/sparring", "logged 1h payload review with the team", user=ANNA)
    assert reply.status == 200 and reply.text.startswith("✅")
    assert stored(session_factory)[0] == 1


def test_a_command_that_failed_is_handled_again_when_repeated(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    """A request whose handler failed keeps no replay key: Slack's retry is handled."""
    body = bot.command_body("/sparring", "logged 13h", user=ANNA)
    headers = signed_headers(body, int(time.time()))
    replies = [bot.post(body, headers) for _ in range(2)]
    assert [r.status for r in replies] == [200, 200]
    assert all("12 timer" in r.text for r in replies)  # "more than 12 hours", both times
    assert stored(session_factory) == (0, 0)


def test_a_replayed_command_that_wrote_nothing_is_answered_empty(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    body = bot.command_body("/sparring", "help", user=ANNA)
    headers = signed_headers(body, int(time.time()))
    first, again = bot.post(body, headers), bot.post(body, headers)
    assert "/sparring" in first.text
    assert (again.status, again.body) == (200, "")
    assert stored(session_factory) == (0, 1)


def test_replay_keys_sent_by_the_caller_are_ignored(bot: BotUnderTest) -> None:
    """Only the gate says which keys a request has: a caller cannot pass a new request off
    as the repeat of an earlier one, by a header or by a field of the body named as the
    request context's entry for the keys."""
    earlier = bot.command_body("/sparring", "help", user=ANNA)
    earlier_headers = signed_headers(earlier, int(time.time()))
    assert "/sparring" in bot.post(earlier, earlier_headers).text
    keys = replay_keys(earlier_headers["X-Slack-Signature"], earlier.encode(), "")
    body = (
        bot.command_body("/sparring", "help", user=ANNA)
        + "&"
        + urlencode({REPLAY_KEYS: json.dumps(keys)})
    )
    headers = {
        **signed_headers(body, int(time.time())),
        "X-Tovholder-Replay-Keys": json.dumps(keys),
    }
    assert "/sparring" in bot.post(body, headers).text


def test_slacks_retry_of_an_event_is_handled_once(bot: BotUnderTest) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0TEST0001",
            "api_app_id": "A0TEST0001",
            "event_id": "Ev0RETRY0001",
            "event_time": int(time.time()),
            "event": {"type": "app_home_opened", "user": ANNA, "tab": "home"},
        }
    )
    first = bot.post(body, signed_headers(body, int(time.time())))
    # Slack signs its retry again (a new timestamp) and says which retry it is.
    retry = bot.post(
        body,
        signed_headers(
            body, int(time.time()) + 1, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "x"}
        ),
    )
    assert (first.status, retry.status) == (200, 200)
    bot.wait_for_after_ack()  # the Home tab is published after the ack, once
    assert len(bot.slack.calls_to("views.publish")) == 1


def test_a_signed_body_that_is_not_utf8_is_refused(
    bot: BotUnderTest, session_factory: sessionmaker[Session]
) -> None:
    body = NOT_SLACK_BODIES["invalid UTF-8"]
    now = int(time.time())
    status, _ = _post_bytes(
        bot,
        body,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(now),
            "X-Slack-Signature": _sign_bytes(body, now),
        },
    )
    assert status == 400
    assert stored(session_factory) == (0, 0)


def _sign_bytes(body: bytes, timestamp: int) -> str:
    import hashlib
    import hmac

    from tests.e2e.conftest import SIGNING_SECRET

    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


def _view(callback: str, **view: object) -> dict[str, object]:
    return {
        "type": "view_submission",
        "user": {"id": ANNA},
        "view": {"id": "V1", "type": "modal", "callback_id": callback, "hash": "1", **view},
    }


def _click(action: str, **fields: object) -> dict[str, object]:
    return {
        "type": "block_actions",
        "user": {"id": ANNA},
        "actions": [{"action_id": action, "block_id": "b", "type": "button", **fields}],
    }


MALFORMED_PAYLOADS: dict[str, dict[str, object]] = {
    "form without state": _view(Callback.PREP_MODAL),
    "form with a number as metadata": _view(
        Callback.SUBSTITUTE_MODAL, private_metadata="12", state={"values": {}}
    ),
    "form with fields that are not fields": _view(
        Callback.FOLLOWUP_MODAL, state={"values": {"a": {"b": "c"}}}
    ),
    "form without type": {"type": "view_submission", "view": {"callback_id": "prep_modal"}},
    "button without value": _click(Action.FOLLOWUP_EDIT),
    "button with an odd value": _click(Action.SNOOZE_TOMORROW, value="x:y:z"),
    "no actions": {"type": "block_actions", "user": {"id": ANNA}, "actions": []},
    "user is a string": {"type": "block_actions", "user": "U1", "actions": "x"},
}


@pytest.mark.parametrize("kind", sorted(MALFORMED_PAYLOADS))
def test_malformed_signed_payloads_get_a_polite_answer_and_one_log_line(
    bot: BotUnderTest,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
    kind: str,
) -> None:
    payload = {**MALFORMED_PAYLOADS[kind], "response_url": bot.slack.response_url("action")}
    with caplog.at_level(logging.INFO):
        reply = bot.interaction(payload)
        bot.wait_for_after_ack()  # anything said after the ack
    assert reply.status == 200
    assert not [r for r in caplog.records if r.exc_info], "no traceback"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert stored(session_factory)[0] == 0
    told = [c.params.get("text", "") for c in bot.slack.calls_to("/response/action")]
    assert all("Beklager, jeg kunne ikke læse" in text for text in told)


def test_a_handler_that_cannot_read_a_click_tells_the_member(bot: BotUnderTest) -> None:
    reply = bot.interaction(
        {
            **_click(Action.SNOOZE_TOMORROW, value="{not json"),
            "response_url": bot.slack.response_url("action"),
        }
    )
    assert reply.status == 200
    (call,) = bot.slack.wait_for("/response/action")
    assert call.params["text"].startswith("Beklager, jeg kunne ikke læse den forespørgsel")
    assert call.params["response_type"] == "ephemeral"
