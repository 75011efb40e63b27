"""Per-request context: the DB session, the clock and who is asking, set by one middleware."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from sqlalchemy.orm import Session, sessionmaker

from handlers.catalogue import DEFAULT_LANGUAGE
from handlers.parsing import clean_payload
from models.base import utc_now
from models.errors import NotAMemberError
from models.hot_path import (
    HotConnection,
    PeopleRows,
    Person,
    Row,
    hot_connection,
    person_of_row,
    pick_person,
)
from models.network import (
    Member,
    Platform,
    facilitators_to_contact,
    people_of_rows,
    pick_member,
)
from models.people import person_of
from models.replay import (
    AlreadyHandledError,
    record_keys_on_commit,
    remember_on_commit,
    store_remembered_keys,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# The request context's entry for the keys that make a request the same as one handled before
# (a list): put there by the HTTP gate (bot/server.py) from the signature and body it checked
# when it makes Bolt's request, so nothing a sender writes can set them.
REPLAY_KEYS = "tovholder_replay_keys"


@dataclass
class RequestScope:
    """What a listener needs about the request: the session, `now` and the Slack user.

    `session_factory` is for work that runs after the response (lazy listeners), whose
    request session is closed by then.

    The session (`db`) is opened when first used. Until then the request holds one pooled
    driver connection (`hot`), on which the middleware asked who it is and the hot path
    (models/hot_path.py) works; opening the session gives that connection back first, so a
    request never holds two.
    """

    now: datetime
    user_id: str | None
    lang: str
    session_factory: sessionmaker[Session]
    # The member asking as plain values (for the hot path, which needs no entity), and the
    # people rows of who is asking (`member` makes them the session's entities).
    person: Person | None = None
    people_rows: Sequence[Row] = field(default_factory=list)
    # The request's replay keys, to be stored with its first commit, and when it came.
    keys: list[str] = field(default_factory=list)
    keys_seen_at: datetime | None = None
    # Set by the error handler: the request was not handled, so its replay keys are not kept
    # (Slack's retry is handled).
    failed: bool = False
    _hot: HotConnection | None = None
    _session: Session | None = None
    _member: Member | None = None
    _resolved: bool = False

    @classmethod
    def of_session(
        cls, session: Session, member: Member, now: datetime, *, user_id: str | None = None
    ) -> RequestScope:
        """A scope over a session already open and a member already known (a Teams
        activity's handling, which runs outside Bolt's middleware)."""
        return cls(
            now=now,
            user_id=user_id,
            lang=member.lang,
            session_factory=sessionmaker(bind=session.get_bind()),
            _session=session,
            _member=member,
            _resolved=True,
        )

    @property
    def db(self) -> Session:
        """The request's session, opened when first used; the replay keys go with its
        first commit (models/replay.py)."""
        if self._session is None:
            self.release_hot()
            self._session = self.session_factory()
            if self.keys:
                remember_on_commit(self._session, self.keys, self.keys_seen_at or utc_now())
                self.keys = []
        return self._session

    @property
    def hot(self) -> HotConnection | None:
        """The driver connection, while the session is not open."""
        return self._hot

    def release_hot(self) -> None:
        if self._hot is not None:
            self._hot.release()
            self._hot = None

    def key_rows(self) -> list[dict[str, Any]]:
        """The replay keys as rows, for a commit the hot path makes; `keys_stored` after it."""
        return [{"key": key, "seen_at": self.keys_seen_at} for key in self.keys]

    def keys_stored(self) -> None:
        self.keys = []

    def close(self) -> None:
        """Keep the replay keys of a handled request that wrote nothing, roll back whatever
        was not committed and give the connection back to the pool."""
        try:
            if not self.failed and (self.keys or self._session is not None):
                store_remembered_keys(self.db)
        except AlreadyHandledError:
            log.info("a repeat of this request stored its replay keys first")
        except Exception:  # the reply is made; the keys only spare a repeat
            log.warning("could not store a request's replay keys", exc_info=True)
        finally:
            self.release_hot()
            if self._session is not None:
                self._session.close()

    @property
    def member(self) -> Member | None:
        """The member asking, an entity of `db` (made when first read)."""
        if not self._resolved:
            self._member = pick_member(people_of_rows(self.db, self.people_rows), self.now)
            self._resolved = True
        return self._member

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
    return list(request.context.get(REPLAY_KEYS) or ())


def _answer_repeat(request: BoltRequest) -> BoltResponse:
    retry = request.headers.get("x-slack-retry-num")
    log.info(
        "answered a repeated request without handling it again (%s)",
        f"Slack's retry {retry[0]}" if retry else "a replay",
    )
    return BoltResponse(status=200, body="")


def _ask(
    hot: HotConnection | None, keys: list[str], user_id: str | None
) -> tuple[bool, Sequence[Row]]:
    """Whether the request was handled before, and the people rows of who is asking; one
    statement for a request with one or two keys (what the gate gives)."""
    if hot is None:
        return False, []
    if 0 < len(keys) <= 2:
        return hot.seen_and_people(keys, Platform.SLACK, user_id)
    seen = any(
        hot.seen_and_people(keys[i : i + 2], Platform.SLACK, None)[0]
        for i in range(0, len(keys), 2)
    )
    return seen, hot.people(Platform.SLACK, user_id) if user_id and not seen else []


class ScopeMiddleware(Middleware):
    """A global Bolt middleware: resolves who is asking and gives the request its scope (a
    driver connection now, the DB session when a listener first uses it).

    Bolt runs listeners after the middleware chain, so the session is closed by
    `close_request_scope` once the whole request (listener and error handler) is done. A
    listener commits what it wants kept before it acks; anything left uncommitted (an error
    half-way) is rolled back on close.

    A request the gate gave replay keys is answered with an empty 200 when they were stored
    before; otherwise they go in with the listener's commit, on the same connection and in
    the same transaction as what it wrote (or, when it writes nothing, once it is done).

    A `Middleware` subclass, not a function: Bolt calls it directly instead of working out a
    function's arguments on every request.
    """

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock) -> None:
        record_keys_on_commit(session_factory)
        self.session_factory = session_factory
        self.engine = session_factory.kw["bind"]
        self.clock = clock

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body = req.body
        clean_payload(body)  # nothing a member types may break what follows
        now = self.clock()
        user_id = _user_id(body)
        keys = _replay_keys(req)
        hot = hot_connection(self.engine) if keys or user_id else None
        try:
            seen, rows = _ask(hot, keys, user_id)
            if seen:
                if hot is not None:
                    hot.release()
                return _answer_repeat(req)
            facts = rows.raw if isinstance(rows, PeopleRows) else rows  # as read: faster
            people = [person_of_row(row) for row in facts]
            person = pick_person(people, now)
            lang = (person or people[0]).language if people else DEFAULT_LANGUAGE
        except BaseException:
            if hot is not None:
                hot.release()
            raise
        req.context["scope"] = RequestScope(
            now=now,
            user_id=user_id,
            lang=lang,
            session_factory=self.session_factory,
            person=person,
            people_rows=rows,
            keys=keys,
            # Wall-clock time, not the injected clock: keys expire with Slack's signatures.
            keys_seen_at=utc_now() if keys else None,
            _hot=hot,
        )
        return next()


def make_scope_middleware(session_factory: sessionmaker[Session], clock: Clock) -> ScopeMiddleware:
    """The request scope's Bolt middleware (see `ScopeMiddleware`)."""
    return ScopeMiddleware(session_factory, clock)


def close_request_scope(context: dict[str, Any]) -> None:
    """Keep the replay keys of a handled request that wrote nothing, roll back whatever was
    not committed and give the connection back to the pool."""
    scope = context.get("scope")
    if isinstance(scope, RequestScope):
        scope.close()


def scope_of(context: dict[str, Any]) -> RequestScope:
    scope = context["scope"]
    assert isinstance(scope, RequestScope)
    return scope
