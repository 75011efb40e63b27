"""The connector client's token: asked for once, kept until shortly before it expires, asked
again after the service refuses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.teams_server import make_connector
from handlers.teams.connector import TOKEN_MARGIN_S, ConnectorError, TokenSource, make_http_client
from tests.teams_standin import APP_ID, APP_PASSWORD, TeamsStandIn


@pytest.fixture
def teams() -> Iterator[TeamsStandIn]:
    standin = TeamsStandIn().start()
    yield standin
    standin.stop()


def test_the_token_is_kept_until_shortly_before_it_expires(teams: TeamsStandIn) -> None:
    now = [1000.0]
    tokens = TokenSource(
        token_url=teams.settings().login_url,
        app_id=APP_ID,
        app_password=APP_PASSWORD,
        http=make_http_client(),
        clock=lambda: now[0],
    )
    first = tokens.token()
    now[0] += 3600 - TOKEN_MARGIN_S - 1
    assert tokens.token() == first
    assert len(teams.token_requests) == 1
    assert teams.token_requests[0]["grant_type"] == "client_credentials"
    assert teams.token_requests[0]["scope"] == "https://api.botframework.com/.default"
    now[0] += 2
    assert tokens.token() != first
    assert len(teams.token_requests) == 2


def test_a_refused_token_is_replaced_on_the_next_call(teams: TeamsStandIn) -> None:
    connector = make_connector(teams.settings())
    conversation = "a:1on1-x"
    connector.send(teams.service_url, conversation, {"type": "message", "text": "1"})
    teams.bot_token = "rotated-by-the-service"  # the service no longer takes the bot's token
    with pytest.raises(ConnectorError) as refused:
        connector.send(teams.service_url, conversation, {"type": "message", "text": "2"})
    assert refused.value.status == 401
    connector.send(teams.service_url, conversation, {"type": "message", "text": "3"})
    assert [m["text"] for m in teams.messages(conversation)] == ["1", "3"]
    assert len(teams.token_requests) == 2


def test_update_replaces_a_posted_activity(teams: TeamsStandIn) -> None:
    connector = make_connector(teams.settings())
    activity_id = connector.send(teams.service_url, "a:1on1-x", {"type": "message", "text": "a"})
    connector.update(teams.service_url, "a:1on1-x", activity_id, {"type": "message", "text": "b"})
    (update,) = [s for s in teams.sent if s.method == "PUT"]
    assert update.activity_id == activity_id and update.body["text"] == "b"
