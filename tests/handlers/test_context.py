"""The request scope: who is asking and the replay check on the thread's driver connection,
the session opened only when used (that connection released first), keys kept after."""

import time
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from sqlalchemy.orm import Session, sessionmaker

from handlers.context import (
    REPLAY_KEYS,
    close_request_scope,
    make_scope_middleware,
    scope_of,
)
from models.db import PING_AFTER_IDLE_S
from models.hot_path import hot_connection
from models.network import Member, Network
from models.replay import SeenRequest
from tests.conftest import ANNA, SEASON_NOW


def _ask(session_factory: sessionmaker[Session], key: str) -> tuple[BoltResponse | None, Any]:
    """The middleware on a request with replay key `key` from Anna: its answer (None: go on
    to the listener) and the request's context."""
    middleware = make_scope_middleware(session_factory, lambda: SEASON_NOW)
    request = BoltRequest(
        body={"user_id": ANNA},
        context={REPLAY_KEYS: [key]},
        mode="socket_mode",  # the body as the gate hands it over: parsed
    )
    answer = middleware.process(req=request, resp=BoltResponse(status=200), next=lambda: None)
    return answer, request.context


def _scope_for(session_factory: sessionmaker[Session], key: str) -> Any:
    answer, context = _ask(session_factory, key)
    assert answer is None  # handled, not a repeat
    return context


def test_a_request_holds_one_connection_and_opens_its_session_when_used(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    pool = session_factory.kw["bind"].pool
    before = pool.checkedout()
    context = _scope_for(session_factory, "sig:ctx")
    scope = scope_of(context)
    assert scope.hot is not None and scope.person is not None
    assert pool.checkedout() == before  # the thread's own connection, not one of the pool's
    assert scope.db.get(Member, scope.person.member_id) is not None
    assert scope.hot is None and pool.checkedout() == before + 1  # released first
    member = scope.member
    assert member is not None and member.id == scope.person.member_id
    assert member.lang == scope.lang
    close_request_scope(context)
    assert pool.checkedout() == before
    with session_factory() as s:  # it wrote nothing: its key is kept once it is done
        assert s.get(SeenRequest, "sig:ctx") is not None


def test_a_request_that_never_opens_its_session_keeps_its_key_and_a_repeat_is_answered(
    session_factory: sessionmaker[Session], network: Network
) -> None:
    pool = session_factory.kw["bind"].pool
    before = pool.checkedout()
    close_request_scope(_scope_for(session_factory, "sig:help"))
    assert pool.checkedout() == before
    answer, context = _ask(session_factory, "sig:help")
    assert answer is not None and answer.status == 200 and answer.body == ""
    assert "scope" not in context and pool.checkedout() == before


def test_a_thread_keeps_its_connection_and_replaces_a_broken_or_dead_one(
    session_factory: sessionmaker[Session], network: Network, monkeypatch: Any
) -> None:
    engine = session_factory.kw["bind"]
    first = hot_connection(engine)
    first.release()
    again = hot_connection(engine)
    assert again is first  # the next request on this thread: no checkout, no new connection
    inner = hot_connection(engine)  # a request within a request gets a pooled one
    assert inner is not first and not inner.resident
    inner.release()
    again.release()

    first.driver.close()  # broken underneath (a database restart, say)
    replaced = hot_connection(engine)
    assert replaced is not first and replaced.usable
    replaced.release()
    close_request_scope(_scope_for(session_factory, "sig:after-restart"))  # works on it

    # Idle for a while: pinged before use, and replaced when the ping fails.
    pinged: list[object] = []

    def dead(connection: object) -> None:
        pinged.append(connection)
        raise OSError("server closed the connection")

    monkeypatch.setattr(engine.dialect, "do_ping", dead)
    monkeypatch.setattr(replaced, "idle_since", time.monotonic() - PING_AFTER_IDLE_S - 1)
    fresh = hot_connection(engine)
    assert pinged == [replaced.driver] and fresh is not replaced and fresh.usable
    fresh.release()
    again_fresh = hot_connection(engine)  # just used: not pinged again
    assert again_fresh is fresh and len(pinged) == 1
    again_fresh.release()
