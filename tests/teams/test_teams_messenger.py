"""The clock side on Teams: TeamsMessenger against the Teams stand-in, through the real nudge
pass — what each answer of the Bot Connector means, and what exactly once means on Teams."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.app import make_messenger
from bot.teams_server import make_connector
from handlers.teams.connector import ConnectorError, TokenError, make_http_client
from jobs.messenger import Ambiguous, Failure, Message, RateLimited, Refused, Sent
from jobs.nudges import LEASE, PassReport, run_nudge_pass
from jobs.platforms import ByPlatform
from jobs.teams_messenger import TeamsMessenger, classify
from models.network import Identity, Member, Platform
from models.nudges import Nudge, NudgeStatus
from tests.conftest import ANNA
from tests.jobs.fake_messenger import FakeMessenger
from tests.slack_standin import standin_settings
from tests.teams_standin import TENANT_ID, Fault, TeamsStandIn

ANNA_TEAMS = "29:1anna-teams-user-id"
HALFWAY = datetime(2015, 11, 2, 12, 0, tzinfo=UTC)  # the halfway nudges after meeting 1 are due


@pytest.fixture
def teams() -> Iterator[TeamsStandIn]:
    standin = TeamsStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def anna_on_teams_only(session_factory: sessionmaker[Session], network: object) -> int:
    """Only Anna is active, and she is on Teams only (no conversation stored yet)."""
    with session_factory.begin() as session:
        session.execute(update(Member).where(Member.slack_user_id != ANNA).values(active=False))
        anna = session.scalars(select(Member).where(Member.slack_user_id == ANNA)).one()
        anna.slack_user_id = None
        anna.teams_user_id = ANNA_TEAMS
        return anna.id


def teams_messenger(
    teams: TeamsStandIn, session_factory: sessionmaker[Session], read_timeout: float = 0.5
) -> TeamsMessenger:
    """As `make_messenger` builds it for a Teams-only bot, with a short read timeout."""
    settings = teams.settings()
    return TeamsMessenger(
        make_connector(settings, make_http_client(read_timeout=read_timeout)),
        session_factory,
        app_id=settings.app_id,
        tenant_id=settings.tenant_id,
        service_url=settings.service_url,
    )


def run(
    messenger: TeamsMessenger, session_factory: sessionmaker[Session], now: datetime
) -> PassReport:
    return run_nudge_pass(
        session_factory=session_factory, messenger=messenger, now=now, refresh_zones=False
    )


def rows(session_factory: sessionmaker[Session], member_id: int) -> list[Nudge]:
    with session_factory() as session:
        return list(
            session.scalars(select(Nudge).where(Nudge.member_id == member_id, Nudge.attempts > 0))
        )


CARD = "application/vnd.microsoft.card.adaptive"


def test_nudges_reach_a_teams_member_in_a_conversation_opened_for_them(
    teams: TeamsStandIn, session_factory: sessionmaker[Session], anna_on_teams_only: int
) -> None:
    report = run(teams_messenger(teams, session_factory), session_factory, HALFWAY)
    assert report.outcomes.get("sent", 0) >= 1
    (create,) = [s for s in teams.sent if s.path == "/teams/v3/conversations"]
    assert create.body["members"] == [{"id": ANNA_TEAMS}]
    assert create.body["tenantId"] == TENANT_ID
    chat = teams.conversations[ANNA_TEAMS]  # the 1:1 conversation the stand-in made
    messages = teams.messages(chat)
    assert messages and all(m["type"] == "message" and m["summary"] for m in messages)
    for message in messages:  # Adaptive Cards in Teams' Markdown, no Slack markup
        assert "\\" not in message["summary"] and "**" not in message["summary"]  # plain text
        assert {a["contentType"] for a in message["attachments"]} == {CARD}
        shown = json.dumps([a["content"] for a in message["attachments"]])
        assert "Action.Submit" in shown and "&lt;" not in shown and "<@" not in shown
    sent = rows(session_factory, anna_on_teams_only)
    assert {n.status for n in sent} == {NudgeStatus.SENT}
    assert {n.message_ts for n in sent} <= {s.activity_id for s in teams.sent}
    with session_factory() as session:
        identity = session.scalars(
            select(Identity).where(Identity.member_id == anna_on_teams_only)
        ).one()
    assert identity.conversation is not None
    assert identity.conversation["conversation_id"] == chat
    assert len(teams.token_requests) == 1  # one token for every call of the pass


def test_a_lost_answer_is_never_sent_again_on_teams(
    teams: TeamsStandIn, session_factory: sessionmaker[Session], anna_on_teams_only: int
) -> None:
    """Teams took the message but its answer never came: Teams cannot be asked whether it
    arrived, so it is not sent again; the row says so (failed: unconfirmed)."""
    teams.fail_next("send", Fault(accept=True, hang=1.5))
    messenger = teams_messenger(teams, session_factory)
    first = run(messenger, session_factory, HALFWAY)
    assert first.outcomes == {"retry": first.claimed}  # the halfway nudges, in one message
    assert len(teams.messages()) == 1  # it did arrive
    later = run(messenger, session_factory, HALFWAY + LEASE + timedelta(minutes=5))
    assert later.outcomes == {"failed": first.claimed}
    assert len(teams.messages()) == 1  # and was not sent twice
    assert {(n.status, n.detail) for n in rows(session_factory, anna_on_teams_only)} == {
        (NudgeStatus.FAILED, "unconfirmed")
    }


@pytest.mark.parametrize(
    "fault",
    [Fault(429, {"Retry-After": "1"}), Fault(503, {"Retry-After": "1"})],
    ids=["429", "503"],
)
def test_what_teams_did_not_take_is_sent_again_once(
    teams: TeamsStandIn,
    session_factory: sessionmaker[Session],
    anna_on_teams_only: int,
    fault: Fault,
) -> None:
    teams.fail_next("send", fault)
    messenger = teams_messenger(teams, session_factory)
    report = run(messenger, session_factory, HALFWAY)
    # Nothing was taken; after the second Teams asks for, the pass sends it (once).
    rows_due = report.claimed // 2
    assert report.outcomes == {"ratelimited": rows_due, "sent": rows_due}
    assert len(teams.messages()) == 1
    assert {n.status for n in rows(session_factory, anna_on_teams_only)} == {NudgeStatus.SENT}


def test_post_outcomes_against_the_stand_in(
    teams: TeamsStandIn, session_factory: sessionmaker[Session], anna_on_teams_only: int
) -> None:
    messenger = teams_messenger(teams, session_factory)
    with session_factory() as session:
        anna = session.get(Member, anna_on_teams_only)
        assert anna is not None
        conversation = messenger.open_conversation(anna)
        session.commit()
    message = Message("Møde 2 nærmer sig")
    assert isinstance(messenger.post(conversation, message, [7]), Sent)
    assert teams.messages()[-1]["channelData"] == {"tovholder": {"nudge_ids": [7]}}
    teams.fail_next("send", Fault(429, {"Retry-After": "7"}))
    assert messenger.post(conversation, message, [8]) == RateLimited(7.0)
    teams.fail_next("send", Fault(500, accept=True))
    assert messenger.post(conversation, message, [9]) == Ambiguous("HTTP 500 Fault")
    teams.fail_next("send", Fault(403))
    assert messenger.post(conversation, message, [10]) == Refused("HTTP 403 Fault")
    assert [m["channelData"]["tovholder"]["nudge_ids"] for m in teams.messages()] == [[7], [9]]
    # A new process (no memory of the opened conversation) finds it in the database.
    fresh = teams_messenger(teams, session_factory)
    assert isinstance(fresh.post(conversation, message, [11]), Sent)
    assert fresh.post("teams:999999", message, [12]) == Refused("no conversation reference")


def test_without_a_tenant_nobody_can_be_written_to_first(
    teams: TeamsStandIn, session_factory: sessionmaker[Session], anna_on_teams_only: int
) -> None:
    settings = teams.settings(tenant_id=None)
    messenger = TeamsMessenger(
        make_connector(settings),
        session_factory,
        app_id=settings.app_id,
        tenant_id=None,
        service_url=settings.service_url,
    )
    report = run(messenger, session_factory, HALFWAY)
    assert report.outcomes.get("failed", 0) >= 1
    assert teams.sent == []


def test_the_token_is_asked_for_once_and_a_refused_secret_sends_nothing(
    teams: TeamsStandIn, session_factory: sessionmaker[Session], anna_on_teams_only: int
) -> None:
    bad = TeamsMessenger(
        make_connector(teams.settings(app_password="wrong")),
        session_factory,
        app_id=teams.settings().app_id,
        tenant_id=TENANT_ID,
        service_url=teams.service_url,
    )
    report = run(bad, session_factory, HALFWAY)
    assert report.outcomes == {"ratelimited": report.claimed}  # nothing sent: not a retry
    assert teams.messages() == []
    assert len(teams.token_requests) == 1


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (ConnectorError(429, 7, "TooMany"), RateLimited(7)),
        (ConnectorError(429, None, ""), RateLimited(60)),
        (ConnectorError(503, 2, ""), RateLimited(2)),
        (ConnectorError(401, None, "Unauthorized"), RateLimited(1)),
        (ConnectorError(403, None, "BotDisabled"), Refused("HTTP 403 BotDisabled")),
        (
            ConnectorError(404, None, "ConversationNotFound"),
            Refused("HTTP 404 ConversationNotFound"),
        ),
        (ConnectorError(500, None, ""), Ambiguous("HTTP 500")),
        (ConnectorError(502, None, ""), Ambiguous("HTTP 502")),
        (ConnectorError(504, None, ""), Ambiguous("HTTP 504")),
        (TokenError(401, "invalid_client"), RateLimited(300)),
        (TokenError(0, "ReadTimeout"), RateLimited(60)),
        (httpx.ConnectError("refused"), RateLimited(60)),
        (httpx.ReadTimeout("slow"), Ambiguous("ReadTimeout")),
        (httpx.RemoteProtocolError("closed"), Ambiguous("RemoteProtocolError")),
    ],
)
def test_connector_answers_become_typed_outcomes(error: Exception, outcome: Failure) -> None:
    assert classify(error) == outcome


def test_each_person_is_written_to_on_their_platform(
    session_factory: sessionmaker[Session], network: object
) -> None:
    slack, teams = FakeMessenger(), FakeMessenger()
    both = ByPlatform(slack=slack, teams=teams)
    with session_factory() as session:
        anna = session.scalars(select(Member).where(Member.slack_user_id == ANNA)).one()
        assert both.open_conversation(anna) == f"D{anna.id}"  # Slack first
        anna.teams_user_id = ANNA_TEAMS
        teams_only = ByPlatform(slack=None, teams=teams)
        assert teams_only.open_conversation(anna) == f"D{anna.id}"
        assert teams.calls == ["open_conversation"] and slack.calls == ["open_conversation"]
        assert teams_only.post("C123", Message("x"), [1]) == Refused(
            "the platform of this conversation is not served"
        )
        anna.set_identity(Platform.TEAMS, None)
        with pytest.raises(Exception, match="not on a platform"):
            teams_only.open_conversation(anna)
        session.rollback()


def test_make_messenger_serves_the_configured_platforms(
    teams: TeamsStandIn, session_factory: sessionmaker[Session]
) -> None:
    slack_only = standin_settings("http://127.0.0.1:9/api/")
    assert type(make_messenger(slack_only)).__name__ == "SlackMessenger"
    teams_only = standin_settings(
        "http://127.0.0.1:9/api/", slack_bot_token="", teams=teams.settings()
    )
    routed = make_messenger(teams_only, session_factory)
    assert isinstance(routed, ByPlatform) and routed.slack is None
    assert isinstance(routed.teams, TeamsMessenger)


def test_a_stored_conversation_is_written_to_without_opening_one(
    teams: TeamsStandIn, session_factory: sessionmaker[Session], anna_on_teams_only: int
) -> None:
    """Anna installed the app (handlers/teams stored where her chat is): the nudge goes there."""
    with session_factory.begin() as session:
        identity = session.scalars(
            select(Identity).where(Identity.member_id == anna_on_teams_only)
        ).one()
        identity.conversation = {
            "service_url": teams.service_url,
            "conversation_id": "a:1stored-chat",
            "tenant_id": TENANT_ID,
        }
    report = run(teams_messenger(teams, session_factory), session_factory, HALFWAY)
    assert report.outcomes == {"sent": report.claimed}
    assert [s.path for s in teams.sent] == ["/teams/v3/conversations/a:1stored-chat/activities"]


def test_through_every_kind_of_fault_no_nudge_reaches_anyone_twice(
    teams: TeamsStandIn, session_factory: sessionmaker[Session], network: object
) -> None:
    """Every member on Teams only; the connector answers with each fault once. Afterwards
    every row is settled, and each row is in the chats once (sent) or at most once (failed:
    unconfirmed, when the answer was lost) — never twice."""
    with session_factory.begin() as session:
        for member in session.scalars(select(Member)):
            slack_id = member.slack_user_id or f"x{member.id}"
            member.slack_user_id = None
            member.teams_user_id = f"29:1{slack_id.lower()}"
    teams.fail_next(
        "send",
        Fault(accept=True, hang=1.5),  # taken, answer lost
        Fault(500, accept=True),  # taken, then an error
        Fault(503, {"Retry-After": "1"}),  # not taken
        Fault(429, {"Retry-After": "1"}),  # not taken
        Fault(502),  # not taken, but it cannot be known
    )
    messenger = teams_messenger(teams, session_factory)
    now = HALFWAY
    for _ in range(6):
        run(messenger, session_factory, now)
        now += LEASE + timedelta(minutes=5)
    with session_factory() as session:
        settled = {
            n.id: (n.status, n.detail)
            for n in session.scalars(select(Nudge).where(Nudge.due_at <= HALFWAY))
        }
    carried = [i for m in teams.messages() for i in m["channelData"]["tovholder"]["nudge_ids"]]
    assert len(carried) == len(set(carried))  # never twice
    for nudge_id, (status, detail) in settled.items():
        if status is NudgeStatus.SENT:
            assert carried.count(nudge_id) == 1
        else:
            assert (status, detail) == (NudgeStatus.FAILED, "unconfirmed"), nudge_id
    unconfirmed = [i for i, (s, _) in settled.items() if s is NudgeStatus.FAILED]
    assert 0 < len(unconfirmed) < len(settled)


def test_a_mixed_network_hears_each_member_on_their_platform_in_its_format(
    teams: TeamsStandIn, session_factory: sessionmaker[Session], network: object
) -> None:
    """One pass over a network with members on Slack and on Teams: each gets their nudge
    once, on their platform, built for it (Slack mrkdwn in Block Kit; Teams cards)."""
    with session_factory.begin() as session:
        anna = session.scalars(select(Member).where(Member.slack_user_id == ANNA)).one()
        anna.slack_user_id = None
        anna.teams_user_id = ANNA_TEAMS
        anna_id = anna.id
        on_slack = [
            m.id for m in session.scalars(select(Member).where(Member.active)) if m.slack_user_id
        ]
    slack = FakeMessenger()
    both = ByPlatform(slack=slack, teams=teams_messenger(teams, session_factory))
    report = run_nudge_pass(
        session_factory=session_factory, messenger=both, now=HALFWAY, refresh_zones=False
    )
    assert report.outcomes.get("sent", 0) >= 2
    cards = teams.messages(teams.conversations[ANNA_TEAMS])
    assert len(cards) == 1  # one message for Anna's moment, on Teams only
    assert {a["contentType"] for a in cards[0]["attachments"]} == {CARD}
    assert f"D{anna_id}" not in {p.conversation for p in slack.posted}
    reached_on_slack = {p.conversation for p in slack.posted}
    assert reached_on_slack and reached_on_slack <= {f"D{i}" for i in on_slack}
    assert len(slack.posted) == len(reached_on_slack)  # one message per member-moment
    assert {n.status for n in rows(session_factory, anna_id)} == {NudgeStatus.SENT}
    # The same builder, each surface's markup: ** in the card, * (mrkdwn) on Slack.
    card_text = json.dumps(cards[0]["attachments"])
    assert "**" in card_text
    # (the texts only: a chart's PNG bytes may hold any two characters)
    posted = [(p.message.summary, p.message.parts) for p in slack.posted]
    slack_text = json.dumps(posted, default=str)
    assert "**" not in slack_text
