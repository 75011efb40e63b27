"""How SlackMessenger reads Slack's answers (the whole path runs against the stand-in in the
chaos suite and the e2e tests)."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from jobs.messenger import Ambiguous, Failure, RateLimited, Refused
from jobs.slack_messenger import classify, metadata_for, tags_in


def api_error(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.test/api/chat.postMessage",
        req_args={},
        data=body,
        headers=headers or {},
        status_code=status,
    )
    return SlackApiError("error", response)


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (
            api_error(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "7"}),
            RateLimited(7),
        ),
        (api_error(429, {"ok": False, "error": "ratelimited"}), RateLimited(1)),
        (api_error(200, {"ok": False, "error": "account_inactive"}), Refused("account_inactive")),
        (api_error(200, {"ok": False, "error": "user_not_found"}), Refused("user_not_found")),
        (api_error(500, {"ok": False}), Ambiguous("unknown_error")),
        (api_error(200, {"ok": False, "error": "invalid_blocks"}), Ambiguous("invalid_blocks")),
        (TimeoutError(), Ambiguous("TimeoutError")),
        (ConnectionResetError(), Ambiguous("ConnectionResetError")),
    ],
)
def test_slack_answers_become_typed_outcomes(error: Exception, outcome: Failure) -> None:
    assert classify(error) == outcome


def test_the_metadata_names_the_rows_a_message_carries() -> None:
    assert tags_in({"metadata": metadata_for([7])}) == {7}
    assert tags_in({"metadata": metadata_for([7, 9, 12])}) == {7, 9, 12}
    assert tags_in({"metadata": {"event_type": "other", "event_payload": {"nudge_id": 7}}}) == set()
    assert tags_in({"text": "a member's own message"}) == set()
