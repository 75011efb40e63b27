"""Talking to Teams: the bot's client-credentials token and the Bot Connector's REST calls.

A small synchronous client (httpx) rather than the Teams SDK's async one: our callers — the
WSGI worker threads answering an activity and the scheduler's nudge pass — are plain threads,
and a send must report exactly how it failed (the outbox decides what to do next), so the client
never retries by itself. The SDK supplies the inbound token validation (bot/teams_server.py).

Errors: `ConnectorError` when the service answered with an error status (with its Retry-After),
`TokenError` when the login endpoint refused or failed; httpx's own exceptions when there was no
(complete) answer — `httpx.ConnectError`/`ConnectTimeout`/`PoolTimeout` mean the request never
left, any other `httpx.TransportError` that it may have been taken.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

log = logging.getLogger(__name__)

# The Bot Framework scope the token is asked for (Microsoft's public cloud).
BOT_SCOPE = "https://api.botframework.com/.default"
# Renew the token this long before it expires (a request in flight must not carry a dead one).
TOKEN_MARGIN_S = 300
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 10.0


class ConnectorError(Exception):
    """The service answered `status`; `retry_after` is its Retry-After in seconds, if any."""

    def __init__(self, status: int, retry_after: float | None, code: str) -> None:
        super().__init__(f"HTTP {status} {code}".strip())
        self.status = status
        self.retry_after = retry_after
        self.code = code


class TokenError(Exception):
    """The login endpoint did not give the bot a token (wrong secret, or it is down)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"the login endpoint answered HTTP {status}: {detail}")
        self.status = status


def make_http_client(
    connect_timeout: float = CONNECT_TIMEOUT_S, read_timeout: float = READ_TIMEOUT_S
) -> httpx.Client:
    timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=True)


@dataclass
class _Token:
    value: str
    renew_at: float  # monotonic seconds


class TokenSource:
    """The bot's access token for the Bot Connector (OAuth2 client credentials), cached until
    shortly before it expires; one request at a time fetches a new one."""

    def __init__(
        self,
        *,
        token_url: str,
        app_id: str,
        app_password: str,
        http: httpx.Client,
        scope: str = BOT_SCOPE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = token_url
        self._form = {
            "grant_type": "client_credentials",
            "client_id": app_id,
            "client_secret": app_password,
            "scope": scope,
        }
        self._http = http
        self._clock = clock
        self._lock = threading.Lock()
        self._token: _Token | None = None

    def token(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._token.renew_at:
                self._token = self._fetch()
            return self._token.value

    def forget(self) -> None:
        """The service refused the token (HTTP 401): fetch a new one next time."""
        with self._lock:
            self._token = None

    def _fetch(self) -> _Token:
        response = self._http.post(self._url, data=self._form)
        if response.status_code != 200:
            raise TokenError(response.status_code, _error_code(response))
        body = response.json()
        value = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(value, str) or not value:
            raise TokenError(response.status_code, "no access_token in the answer")
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        return _Token(value, self._clock() + max(0.0, lifetime - TOKEN_MARGIN_S))


class Connector:
    """The Bot Connector REST calls the bot makes, on the conversation's own service URL."""

    def __init__(self, tokens: TokenSource, http: httpx.Client) -> None:
        self.tokens = tokens
        self._http = http

    def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> str:
        """Post `activity` into the conversation; the new activity's id."""
        url = f"{_base(service_url)}/v3/conversations/{quote(conversation_id, safe='')}/activities"
        body = self._call("POST", url, activity)
        return str(body.get("id") or "")

    def update(
        self, service_url: str, conversation_id: str, activity_id: str, activity: dict[str, Any]
    ) -> None:
        """Replace the activity `activity_id` (a message the bot posted) with `activity`."""
        url = (
            f"{_base(service_url)}/v3/conversations/{quote(conversation_id, safe='')}"
            f"/activities/{quote(activity_id, safe='')}"
        )
        self._call("PUT", url, {**activity, "id": activity_id})

    def create_conversation(
        self, service_url: str, *, bot_id: str, member_id: str, tenant_id: str
    ) -> str:
        """The one-to-one conversation of the bot with `member_id` (Teams gives the existing
        one if there is one); its id."""
        body = self._call(
            "POST",
            f"{_base(service_url)}/v3/conversations",
            {
                "isGroup": False,
                "bot": {"id": f"28:{bot_id}"},
                "members": [{"id": member_id}],
                "tenantId": tenant_id,
                "channelData": {"tenant": {"id": tenant_id}},
            },
        )
        conversation_id = body.get("id")
        if not isinstance(conversation_id, str) or not conversation_id:
            raise ConnectorError(200, None, "no conversation id in the answer")
        return conversation_id

    def upload(self, upload_url: str, content: bytes) -> None:
        """PUT a file's bytes, whole, to the upload URL Teams gave when the person accepted it
        (a OneDrive upload session: the URL is the authorisation, so no bot token goes
        there)."""
        size = len(content)
        headers = {"Content-Length": str(size), "Content-Range": f"bytes 0-{size - 1}/{size}"}
        response = self._http.put(upload_url, content=content, headers=headers)
        if response.status_code >= 300:
            raise ConnectorError(
                response.status_code, _retry_after(response), _error_code(response)
            )

    def _call(self, method: str, url: str, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            token = self.tokens.token()
        except httpx.HTTPError as exc:  # the login endpoint, not the service: nothing sent
            raise TokenError(0, type(exc).__name__) from exc
        headers = {"Authorization": f"Bearer {token}"}
        response = self._http.request(method, url, json=payload, headers=headers)
        if response.status_code == 401:
            self.tokens.forget()
        if response.status_code >= 300:
            raise ConnectorError(
                response.status_code, _retry_after(response), _error_code(response)
            )
        try:
            body = response.json() if response.content else {}
        except ValueError:
            body = {}
        return body if isinstance(body, dict) else {}


def _base(service_url: str) -> str:
    return service_url.rstrip("/")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _error_code(response: httpx.Response) -> str:
    """The error's code from the answer (never its whole body: it may be long)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("code", ""))[:80]
        if isinstance(error, str):
            return error[:80]
    return ""
