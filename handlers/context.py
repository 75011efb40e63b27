"""Per-request context: the DB session, the clock and who is asking, set by one middleware."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from sqlalchemy.orm import Session, sessionmaker

from handlers.catalogue import DEFAULT_LANGUAGE
from handlers.parsing import clean_payload
from models.base import utc_now
from models.errors import NotAMemberError
from models.network import (
    Member,
    Platform,
    facilitators_to_contact,
    people_reached_on,
    pick_member,
)
from models.people import person_of
from models.replay import (
    AlreadyHandledError,
    record_keys_on_commit,
    remember_on_commit,
    seen_and_people,
    store_remembered_keys,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# The keys that make a request the same as one handled before (a JSON list), set by the HTTP
# gate (bot/server.py) from the signature and body it checked; never taken from the sender.
REPLAY_KEYS_HEADER = "x-tovholder-replay-keys"


@dataclass
class RequestScope:
    """What a listener needs about the request: the session, `now` and the Slack user.

    `session_factory` is for work that runs after the response (lazy listeners), whose
    request session is closed by then.
    """

    db: Session
    now: datetime
    user_id: str | None
    member: Member | None
    lang: str
    session_factory: sessionmaker[Session]
    # Set by the error handler: the request was not handled, so its replay keys are not kept
    # (Slack's retry is handled).
    failed: bool = False

    def __deepcopy__(self, memo: dict[int, Any]) -> RequestScope:
        # Bolt deep-copies the context for lazy listeners. They share this scope; by the time
        # they run the request's session is closed, so they open their own via session_factory.
        return self

    def require_member(self) -> Member:
        """The member making the request, or NotAMemberError naming whom to contact."""
        if self.member is None:
            contacts = list(dict.fromkeys(person_of(f) for f in facilitators_to_contact(self.db)))
            raise NotAMemberError(contacts)
        return self.member


def _user_id(body: dict[str, Any]) -> str | None:
    if "user_id" in body:  # slash commands
        return str(body["user_id"])
    user = body.get("user") or body.get("event", {}).get("user")
    if isinstance(user, dict):
        return str(user.get("id")) if user.get("id") else None
    return str(user) if user else None


def _replay_keys(request: BoltRequest) -> list[str]:
    values = request.headers.get(REPLAY_KEYS_HEADER)
    return [str(key) for key in json.loads(values[0])] if values else []


def _answer_repeat(request: BoltRequest) -> BoltResponse:
    retry = request.headers.get("x-slack-retry-num")
    log.info(
        "answered a repeated request without handling it again (%s)",
        f"Slack's retry {retry[0]}" if retry else "a replay",
    )
    return BoltResponse(status=200, body="")


def make_scope_middleware(
    session_factory: sessionmaker[Session], clock: Clock
) -> Callable[..., Any]:
    """A global Bolt middleware: opens the request's DB session and resolves who is asking.

    Bolt runs listeners after the middleware chain, so the session is closed by
    `close_request_scope` once the whole request (listener and error handler) is done. A
    listener commits what it wants kept before it acks; anything left uncommitted (an error
    half-way) is rolled back on close.

    A request the gate gave replay keys is answered with an empty 200 when they were stored
    before; otherwise they go in with the listener's commit, on the same connection and in
    the same transaction as what it wrote (or, when it writes nothing, once it is done).
    """
    record_keys_on_commit(session_factory)

    def scope_middleware(
        request: BoltRequest,
        body: dict[str, Any],
        context: dict[str, Any],
        next: Callable[[], None],
    ) -> BoltResponse | None:
        clean_payload(body)  # nothing a member types may break what follows
        now = clock()
        session = session_factory()
        user_id = _user_id(body)
        keys = _replay_keys(request)
        try:
            if keys:  # one statement: was it handled before, and who is asking
                seen, people = seen_and_people(session, keys, Platform.SLACK, user_id)
                if seen:
                    session.close()
                    return _answer_repeat(request)
                # Wall-clock time, not the injected clock: keys expire with Slack's signatures.
                remember_on_commit(session, keys, utc_now())
            else:
                people = people_reached_on(session, Platform.SLACK, user_id) if user_id else []
            member = pick_member(people, now)
            lang = (member or people[0]).lang if people else DEFAULT_LANGUAGE
        except Exception:
            session.close()
            raise
        context["scope"] = RequestScope(
            db=session,
            now=now,
            user_id=user_id,
            member=member,
            lang=lang,
            session_factory=session_factory,
        )
        next()
        return None

    return scope_middleware


def close_request_scope(context: dict[str, Any]) -> None:
    """Keep the replay keys of a handled request that wrote nothing, roll back whatever was
    not committed and give the connection back to the pool."""
    scope = context.get("scope")
    if isinstance(scope, RequestScope):
        try:
            if not scope.failed:
                store_remembered_keys(scope.db)
        except AlreadyHandledError:
            log.info("a repeat of this request stored its replay keys first")
        except Exception:  # the reply is made; the keys only spare a repeat
            log.warning("could not store a request's replay keys", exc_info=True)
        finally:
            scope.db.close()


def scope_of(context: dict[str, Any]) -> RequestScope:
    scope = context["scope"]
    assert isinstance(scope, RequestScope)
    return scope
