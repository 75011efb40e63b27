"""`POST /api/messages`: Teams' activities, in our own WSGI server beside Slack's endpoint.

One process, one port, one scheduler for both platforms: the Teams SDK's own server (FastAPI
under uvicorn, async) would be a second server with its own event loop and lifecycle beside
waitress, for one endpoint. We take from the SDK what is worth not writing twice — the Bot
Framework token validator (`TokenValidator`, PyJWT against the published keys) and the cloud
endpoints (`CloudEnvironment`) — and keep the rest synchronous (handlers/teams/connector.py).

Every request is authenticated before anything is parsed or stored: a body over
`MAX_BODY_BYTES` gets 413; a missing, unsigned, forged, expired or wrongly addressed token 401
(issuer and signing keys from the OpenID metadata document, audience = our app id); a token
whose `serviceurl` claim is not the activity's serviceUrl 401. An activity seen before (Teams
retries when our answer is slow) is not handled again: a message is answered 200 once more,
an invoke with the answer the first one got (kept with its key, so any instance can give it;
while the first is still being handled, the repeat waits for its answer).

TEAMS_PLAYGROUND=1 (Microsoft 365 Agents Playground on this machine, which signs nothing) swaps
the token check for `PlaygroundAuth`: only from this machine, not through a proxy, and only for
activities whose serviceUrl is on this machine; bot/settings.py refuses it with credentials or
on a public address.

Imported only when Teams is configured: the SDK (pydantic, FastAPI) costs memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
from sqlalchemy.orm import Session, sessionmaker

with warnings.catch_warnings():
    # The SDK's package warns at import about a preview feature we do not use.
    warnings.simplefilter("ignore")
    from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
    from microsoft_teams.apps.auth.token_validator import JwtValidationOptions, TokenValidator

from bot.server import MAX_BODY_BYTES, ReplayGuard, WSGIApp
from bot.settings import TeamsSettings, is_loopback
from handlers.teams import Activity, handle_activity, shape_problem
from handlers.teams.connector import Connector, TokenSource, make_http_client

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
# Microsoft rotates its signing keys; the metadata (issuer, where the keys are) is read again
# this often. PyJWT's key client refetches the keys itself when a token names an unknown key.
METADATA_MAX_AGE_S = 24 * 3600
# How long a repeated invoke waits for the first one's answer (Teams gives up after 15 s).
INVOKE_REPEAT_WAIT_S = 8.0


class AuthUnavailable(Exception):
    """The OpenID metadata or the keys could not be read: we cannot tell a real request."""


class InboundAuth:
    """Checks the Bot Framework token of an inbound activity (with the SDK's validator)."""

    def __init__(
        self, teams: TeamsSettings, http: httpx.Client, clock: Callable[[], float] = time.time
    ) -> None:
        self._teams = teams
        self._http = http
        self._clock = clock
        self._lock = threading.Lock()
        self._validator: TokenValidator | None = None
        self._loaded_at = 0.0
        # The SDK logs every refused token at ERROR, with its reason: anyone on the internet
        # could fill the log. The endpoint logs one line per refusal itself.
        logging.getLogger("microsoft_teams.apps.auth.token_validator").setLevel(logging.CRITICAL)

    def validator(self) -> TokenValidator:
        with self._lock:
            stale = self._clock() - self._loaded_at > METADATA_MAX_AGE_S
            if self._validator is None or stale:
                self._validator = self._load()
                self._loaded_at = self._clock()
            return self._validator

    def _load(self) -> TokenValidator:
        url = self._teams.openid_metadata_url
        try:
            response = self._http.get(url)
            response.raise_for_status()
            metadata = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise AuthUnavailable(f"OpenID metadata at {url}: {exc}") from exc
        issuer, jwks_uri = metadata.get("issuer"), metadata.get("jwks_uri")
        if not (isinstance(issuer, str) and isinstance(jwks_uri, str)):
            raise AuthUnavailable(f"OpenID metadata at {url} names no issuer and jwks_uri")
        cloud = with_overrides(PUBLIC, openid_metadata_url=url, token_issuer=issuer)
        return TokenValidator(
            JwtValidationOptions(
                valid_issuers=[cloud.token_issuer],
                valid_audiences=[self._teams.app_id],
                jwks_uri=jwks_uri,
            )
        )

    def check(self, authorization: str, service_url: str | None) -> dict[str, Any]:
        """The token's claims; raises jwt.InvalidTokenError (refuse) or AuthUnavailable."""
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise jwt.InvalidTokenError("no bearer token")
        validator = self.validator()
        try:
            # The SDK's validator is a coroutine that never waits on anything (PyJWT and its
            # key client are synchronous): run it to completion on a loop of its own.
            claims = asyncio.run(validator.validate_token(token.strip(), service_url))
        except jwt.PyJWKClientConnectionError as exc:
            raise AuthUnavailable(f"signing keys: {exc}") from exc
        except jwt.PyJWKClientError as exc:  # e.g. no published key has the token's key id
            raise jwt.InvalidTokenError(str(exc)) from exc
        return claims


# Headers a reverse proxy adds: a request through one came from elsewhere, whatever its address.
FORWARDED_HEADERS = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP")


class PlaygroundAuth:
    """TEAMS_PLAYGROUND=1: the Agents Playground sends no token (there is no registration to
    sign for), so what stands in for it is where the request comes from and where the bot would
    answer: this machine, directly, both ways."""

    def __init__(self) -> None:
        log.warning(
            "TEAMS_PLAYGROUND=1: /api/messages takes UNSIGNED requests from this machine; "
            "anyone who can run a program here can act as any Teams member. For trying the "
            "bot with Microsoft 365 Agents Playground on a trial database only."
        )

    def check(self, environ: dict[str, Any], service_url: str | None) -> None:
        """Raises jwt.InvalidTokenError (refuse) unless the request is the playground's."""
        if not is_loopback(str(environ.get("REMOTE_ADDR", ""))):
            raise jwt.InvalidTokenError("playground: not from this machine")
        if any(environ.get(name) for name in FORWARDED_HEADERS):
            raise jwt.InvalidTokenError("playground: came through a proxy")
        if not is_loopback(urlsplit(service_url or "").hostname or ""):
            raise jwt.InvalidTokenError("playground: serviceUrl not on this machine")


class PlaygroundTokens(TokenSource):
    """The playground's connector asks for no token: a placeholder, never a login."""

    def __init__(self) -> None:
        pass

    def token(self) -> str:
        return "playground"

    def forget(self) -> None:
        pass


def activity_key(activity: Activity) -> str:
    """What makes an activity the same one again (Teams' retry): its id in its conversation."""
    raw = f"{activity['conversation']['id']}\n{activity.get('id') or ''}"
    return "teams:" + hashlib.sha256(raw.encode()).hexdigest()


def _answer(start_response: Callable[..., Any], status: str, body: bytes = b"") -> list[bytes]:
    start_response(
        status,
        [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _invoke_answer(start_response: Callable[..., Any], response: dict[str, Any]) -> list[bytes]:
    """An invoke response ({"status": …, "body": …}) as the HTTP response (Bot Framework)."""
    status = HTTPStatus(int(response.get("status", 200)))
    body = response.get("body")
    payload = json.dumps(body).encode() if body is not None else b""
    return _answer(start_response, f"{status.value} {status.phrase}", payload)


def _repeated(
    start_response: Callable[..., Any],
    activity: Activity,
    response: Callable[[str, float], dict[str, Any] | None],
    key: str,
) -> list[bytes]:
    """The answer to an activity handled before: an invoke gets the answer its first one
    got (waiting for it a little while that one is still being handled), anything else —
    and an invoke whose answer never came — an empty 200."""
    kept = response(key, INVOKE_REPEAT_WAIT_S) if activity.get("type") == "invoke" else None
    if kept is None:
        return _answer(start_response, "200 OK")
    return _invoke_answer(start_response, kept)


def _keep(replay_guard: ReplayGuard, key: str, handled: dict[str, Any]) -> None:
    try:
        replay_guard.keep_response(key, handled)
    except Exception:  # the answer still goes out; a retry would get an empty 200
        log.warning("could not keep a Teams invoke's answer for its retry", exc_info=True)


def _read_body(environ: dict[str, Any]) -> bytes | None:
    """The request body, None when it is over the limit (or its length is not a number)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length < 0 or length > MAX_BODY_BYTES:
        return None
    return environ["wsgi.input"].read(length) if length else b""


def _parse(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:  # also a body that is not UTF-8
        return None


def authenticate(
    auth: InboundAuth | PlaygroundAuth, environ: dict[str, Any], body: bytes
) -> tuple[str, str]:
    """("", "") when the request is Microsoft's, for us, for the activity's serviceUrl (or, in
    playground mode, the local playground's); else the status to answer and why (for the log)."""
    data = _parse(body)
    service_url = data.get("serviceUrl") if isinstance(data, dict) else None
    service_url = service_url if isinstance(service_url, str) else None
    try:
        if isinstance(auth, PlaygroundAuth):
            auth.check(environ, service_url)
        else:
            # Without a serviceUrl in the body there is nothing to match: the token is still
            # checked in full, and the shape check then refuses the body.
            auth.check(environ.get("HTTP_AUTHORIZATION", ""), service_url)
    except jwt.InvalidTokenError as exc:
        # Only the kind: the message may quote the token's claims, which the sender chose.
        return "401 Unauthorized", type(exc).__name__
    except AuthUnavailable as exc:
        log.error("cannot check Teams requests: %s", exc)
        return "503 Service Unavailable", str(exc)
    return "", ""


def make_teams_endpoint(
    *,
    session_factory: sessionmaker[Session],
    connector: Connector,
    auth: InboundAuth | PlaygroundAuth,
    replay_guard: ReplayGuard | None,
    clock: Callable[[], datetime],
) -> WSGIApp:
    """The WSGI app for `POST /api/messages` (mounted by bot/server.py's `mount`)."""

    def endpoint(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, "405 Method Not Allowed")
        peer = environ.get("REMOTE_ADDR", "?")
        body = _read_body(environ)
        if body is None:
            log.warning("refused a Teams request from %s over %s bytes", peer, MAX_BODY_BYTES)
            return _answer(start_response, "413 Payload Too Large", b'{"error":"too large"}')
        status, why = authenticate(auth, environ, body)
        if status:
            # One line, never the body or the token: whoever sent it controls them.
            log.info("refused a Teams request from %s (%s): %s", peer, status[:3], why)
            error = b'{"error":"unauthorized"}' if status[0] == "4" else b""
            return _answer(start_response, status, error)
        activity = _parse(body)
        problem = shape_problem(activity)
        if problem is not None:
            log.warning("acknowledged an authenticated Teams request we cannot use (%s)", problem)
            return _answer(start_response, "200 OK")
        key = activity_key(activity)
        if replay_guard is not None and not replay_guard.first_time([key]):
            log.info("answered a repeated Teams activity without handling it again")
            return _repeated(start_response, activity, replay_guard.response, key)
        try:
            with session_factory() as session:
                handled = handle_activity(
                    activity, session=session, connector=connector, now=clock()
                )
        except Exception:  # logged with its traceback; the activity is not handled twice
            log.exception("handling a Teams %s activity failed", activity.get("type"))
            return _answer(start_response, "500 Internal Server Error")
        if activity.get("type") == "invoke" and replay_guard is not None:
            _keep(replay_guard, key, handled or {"status": 200})
        if isinstance(handled, dict):  # an invoke's response: Teams reads it from ours
            return _invoke_answer(start_response, handled)
        return _answer(start_response, "200 OK")

    return endpoint


def make_connector(teams: TeamsSettings, http: httpx.Client | None = None) -> Connector:
    http = http or make_http_client()
    if teams.playground:
        return Connector(PlaygroundTokens(), http)
    tokens = TokenSource(
        token_url=teams.login_url, app_id=teams.app_id, app_password=teams.app_password, http=http
    )
    return Connector(tokens, http)


def teams_endpoint(
    teams: TeamsSettings,
    session_factory: sessionmaker[Session],
    *,
    replay_guard: ReplayGuard | None,
    clock: Callable[[], datetime],
    connector: Connector | None = None,
) -> WSGIApp:
    """`POST /api/messages` with its own HTTP client for the metadata, keys and connector."""
    http = make_http_client()
    return make_teams_endpoint(
        session_factory=session_factory,
        connector=connector or make_connector(teams, http),
        auth=PlaygroundAuth() if teams.playground else InboundAuth(teams, http),
        replay_guard=replay_guard,
        clock=clock,
    )
