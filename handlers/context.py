"""Per-request context: the DB session, the clock and who is asking, set by one middleware."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from handlers.catalogue import DEFAULT_LANGUAGE
from handlers.parsing import clean_payload
from models.errors import NotAMemberError
from models.network import Member, facilitators_to_contact, find_people, pick_member

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


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

    def __deepcopy__(self, memo: dict[int, Any]) -> RequestScope:
        # Bolt deep-copies the context for lazy listeners. They share this scope; by the time
        # they run the request's session is closed, so they open their own via session_factory.
        return self

    def require_member(self) -> Member:
        """The member making the request, or NotAMemberError naming whom to contact."""
        if self.member is None:
            contacts = list(
                dict.fromkeys(f.slack_user_id or "" for f in facilitators_to_contact(self.db))
            )
            raise NotAMemberError(contacts)
        return self.member


def _user_id(body: dict[str, Any]) -> str | None:
    if "user_id" in body:  # slash commands
        return str(body["user_id"])
    user = body.get("user") or body.get("event", {}).get("user")
    if isinstance(user, dict):
        return str(user.get("id")) if user.get("id") else None
    return str(user) if user else None


def make_scope_middleware(
    session_factory: sessionmaker[Session], clock: Clock
) -> Callable[..., Any]:
    """A global Bolt middleware: opens the request's DB session and resolves who is asking.

    Bolt runs listeners after the middleware chain, so the session is closed by
    `close_request_scope` once the whole request (listener and error handler) is done. A
    listener commits what it wants kept before it acks; anything left uncommitted (an error
    half-way) is rolled back on close.
    """

    def scope_middleware(
        body: dict[str, Any],
        context: dict[str, Any],
        next: Callable[[], None],
    ) -> None:
        clean_payload(body)  # nothing a member types may break what follows
        now = clock()
        session = session_factory()
        user_id = _user_id(body)
        try:
            people = find_people(session, user_id) if user_id else []
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

    return scope_middleware


def close_request_scope(context: dict[str, Any]) -> None:
    """Roll back whatever was not committed and give the connection back to the pool."""
    scope = context.get("scope")
    if isinstance(scope, RequestScope):
        scope.db.close()


def scope_of(context: dict[str, Any]) -> RequestScope:
    scope = context["scope"]
    assert isinstance(scope, RequestScope)
    return scope
