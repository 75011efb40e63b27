"""The request scope: who is asking and the replay check on one pooled driver connection,
the session opened only when used (the connection given back first), keys kept after."""

import json

from slack_bolt import BoltRequest
from sqlalchemy.orm import Session, sessionmaker

from handlers.context import (
    REPLAY_KEYS_HEADER,
    close_request_scope,
    make_scope_middleware,
    scope_of,
)
from models.network import Member, Network
from models.replay import SeenRequest
from tests.conftest import ANNA, SEASON_NOW


def _scope_for(session_factory: sessionmaker[Session], key: str) -> dict[str, object]:
    middleware = make_scope_middleware(session_factory, lambda: SEASON_NOW)
    request = BoltRequest(body="", headers={REPLAY_KEYS_HEADER: json.dumps([key])})
    context: dict[str, object] = {}
    answer = middleware(request=request, body={"user_id": ANNA}, context=context, next=lambda: None)
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
    assert pool.checkedout() == before + 1
    assert scope.db.get(Member, scope.person.member_id) is not None
    assert scope.hot is None and pool.checkedout() == before + 1  # given back first
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
    middleware = make_scope_middleware(session_factory, lambda: SEASON_NOW)
    repeat = BoltRequest(body="", headers={REPLAY_KEYS_HEADER: json.dumps(["sig:help"])})
    context: dict[str, object] = {}
    answer = middleware(request=repeat, body={"user_id": ANNA}, context=context, next=lambda: None)
    assert answer is not None and answer.status == 200 and answer.body == ""
    assert "scope" not in context and pool.checkedout() == before
