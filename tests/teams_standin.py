"""A local stand-in for Microsoft's side of Teams, reached through the TEAMS_* endpoint settings.

It plays three parts:
- the Bot Framework's token issuer: OpenID metadata and a JWKS with a test RSA key, and
  `token_for(...)` signs the tokens that inbound activities carry (or forged ones);
- the login endpoint (OAuth2 client credentials) that gives the bot its own token;
- the Bot Connector service: POST /v3/conversations, POST/PUT …/activities — recording what
  the bot sent, with faults on request (429 + Retry-After, 500/503, an answer that never comes
  after the message was taken), one by one or planned (`plan`, e.g. a share at random);
- OneDrive's upload session for a file the person accepted (file consent flow): PUT
  /upload/<name> records the bytes (`uploads`), with faults on request ("upload").
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.settings import TeamsSettings
from tests.standin_http import Answer, Faults, Request, StandInServer

APP_ID = "00000000-0000-4000-8000-0000000a11d0"
APP_PASSWORD = "test-client-secret"
TENANT_ID = "11111111-2222-4333-8444-555555555555"
KEY_ID = "test-key-1"
ISSUER = "https://api.botframework.com"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Sent:
    """One request the bot made to the connector."""

    method: str  # "POST" or "PUT"
    path: str
    body: dict[str, Any]
    activity_id: str | None = None  # the id the stand-in gave (or updated)


@dataclass
class Fault:
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    # Take the message first (record it), then answer with `status` — or, with `hang`, not at
    # all within the bot's timeout (its answer is lost).
    accept: bool = False
    hang: float = 0.0


# Says how to answer the n-th request of a kind (from 1): a fault, or None (as usual).
FaultPlan = Callable[[int], "Fault | None"]


class TeamsStandIn:
    def __init__(self) -> None:
        self.key = new_key()
        self.sent: list[Sent] = []
        self.conversations: dict[str, str] = {}  # member id -> 1:1 conversation id
        self.token_requests: list[dict[str, str]] = []
        self.uploads: dict[str, bytes] = {}  # file name -> the bytes the bot PUT
        self.upload_headers: dict[str, dict[str, str]] = {}
        self.bot_token = ""
        self._faults: Faults[Fault] = Faults()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = StandInServer(self._handle)

    # --- the test's side -----------------------------------------------------------------

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def service_url(self) -> str:
        """The Bot Connector's service URL activities name (Teams': smba.trafficmanager…)."""
        return self.url + "/teams/"

    def settings(self, **overrides: Any) -> TeamsSettings:
        values: dict[str, Any] = {
            "app_id": APP_ID,
            "app_password": APP_PASSWORD,
            "tenant_id": TENANT_ID,
            "openid_metadata_url": self.url + "/v1/.well-known/openidconfiguration",
            "token_url": self.url + f"/{TENANT_ID}/oauth2/v2.0/token",
            "service_url": self.service_url,
        }
        values.update(overrides)
        return TeamsSettings(**values)

    def start(self) -> TeamsStandIn:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def reset(self) -> None:
        with self._lock:
            self.sent.clear()
            self._faults.reset()
            self.uploads.clear()
            self.upload_headers.clear()
            self.token_requests.clear()

    def fail_next(self, kind: str, *faults: Fault) -> None:
        """The next requests of `kind` ("send", "create", "update", "token", "upload") get
        these."""
        self._faults.queue(kind, *faults)

    def plan(self, kind: str, plan: FaultPlan) -> None:
        """Answer the requests of `kind` as `plan(request number)` says (None: as usual) once
        no fault from `fail_next` is waiting; e.g. a share of them at random, for a bench."""
        self._faults.plan(kind, plan)

    def upload_url(self, name: str) -> str:
        """Where Teams would let the bot put the file `name` (a OneDrive upload session)."""
        return f"{self.url}/upload/{name}"

    def messages(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        """The activities the bot posted (into `conversation_id`), in order."""
        return [
            s.body
            for s in self.sent
            if s.method == "POST"
            and s.path.endswith("/activities")
            and (conversation_id is None or f"/{conversation_id}/" in s.path)
        ]

    def token_for(
        self,
        *,
        service_url: str | None = None,
        audience: str = APP_ID,
        issuer: str = ISSUER,
        expires_in: int = 300,
        key: rsa.RSAPrivateKey | None = None,
        kid: str = KEY_ID,
        **claims: Any,
    ) -> str:
        """A token as the Bot Framework signs it for an activity it sends to the bot."""
        now = int(time.time())
        payload = {
            "iss": issuer,
            "aud": audience,
            "serviceurl": service_url or self.service_url,
            "nbf": now - 5,
            "iat": now - 5,
            "exp": now + expires_in,
            **claims,
        }
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": kid})

    # --- the service's side ----------------------------------------------------------------

    def _handle(self, request: Request) -> Answer:
        """Every request to the stand-in: Microsoft's metadata and keys (GET), the login, a
        file's upload, or the Bot Connector."""
        if request.method == "GET":
            return Answer(*self._get(request.path))
        if request.method == "POST" and request.path.endswith("/oauth2/v2.0/token"):
            return Answer(*self._login(request.text()))
        if request.path.startswith("/upload/"):
            headers = {k.lower(): v for k, v in request.headers.items()}
            return self._upload(unquote(request.path), headers, request.body)
        body = json.loads(request.text() or "{}")
        auth = request.header("Authorization")
        return self._call(request.method, unquote(request.path), auth, body)

    def _jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=KEY_ID, use="sig", alg="RS256", endorsements=["msteams"])
        return {"keys": [jwk]}

    def _fault(self, kind: str) -> Fault | None:
        return self._faults.next(kind)

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        if form.get("client_id") != APP_ID or form.get("client_secret") != APP_PASSWORD:
            return 401, {"error": "invalid_client"}
        self.bot_token = "bot-token-" + uuid.uuid4().hex
        return 200, {"token_type": "Bearer", "expires_in": 3600, "access_token": self.bot_token}

    def _connector(
        self, method: str, path: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if path == "/teams/v3/conversations":
                member = str(body["members"][0]["id"])
                conversation = self.conversations.setdefault(member, f"a:1on1-{member[-8:]}")
                self.sent.append(Sent(method, path, body))
                return 201, {"id": conversation}
            activity_id = path.rsplit("/", 1)[1] if method == "PUT" else f"1{next(self._ids):012d}"
            self.sent.append(Sent(method, path, body, activity_id))
            return (200 if method == "PUT" else 201), {"id": activity_id}

    def _get(self, path: str) -> tuple[int, dict[str, Any]]:
        if path == "/v1/.well-known/openidconfiguration":
            return 200, {
                "issuer": ISSUER,
                "authorization_endpoint": self.url + "/v1/auth",
                "jwks_uri": self.url + "/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        if path == "/v1/.well-known/keys":
            return 200, self._jwks()
        return 404, {"error": "not found"}

    def _login(self, raw: str) -> tuple[int, dict[str, Any]]:
        fault = self._fault("token")
        if fault is not None:
            return fault.status, {"error": "temporarily_unavailable"}
        return self._token(dict(parse_qsl(raw)))

    def _upload(self, path: str, headers: dict[str, str], content: bytes) -> Answer:
        """A file's bytes PUT to its upload URL: no bot token (the URL is the authorisation);
        one request with the whole file, as its Content-Range says."""
        if headers.get("authorization"):
            return Answer(400, {"error": {"code": "TokenNotExpected"}})
        size = len(content)
        if headers.get("content-range") != f"bytes 0-{size - 1}/{size}":
            return Answer(400, {"error": {"code": "InvalidRange"}})
        fault = self._fault("upload")
        if fault is not None:
            return Answer(fault.status, {"error": {"code": "Fault"}}, fault.headers)
        name = path.removeprefix("/upload/")
        with self._lock:
            self.uploads[name] = content
            self.upload_headers[name] = headers
        return Answer(201, {"id": name, "name": name, "size": size})

    def _call(self, command: str, path: str, auth: str, body: dict[str, Any]) -> Answer:
        """A connector request: checks the bot's token, applies a planned fault."""
        if not self.bot_token or auth != f"Bearer {self.bot_token}":
            return Answer(401, {"error": {"code": "Unauthorized"}})
        if path == "/teams/v3/conversations":
            kind = "create"
        else:
            kind = "update" if command == "PUT" else "send"
        fault = self._fault(kind)
        if fault is not None and not fault.accept:
            return Answer(fault.status, {"error": {"code": "Fault"}}, fault.headers)
        status, answer = self._connector(command, path, body)
        if fault is None:
            return Answer(status, answer)
        # Taken; the answer never comes in time when the fault hangs.
        error = {"error": {"code": "Fault"}}
        return Answer(fault.status, error, fault.headers, delay=fault.hang, drop=bool(fault.hang))
