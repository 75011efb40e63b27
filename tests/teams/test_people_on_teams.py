"""People named across platforms, through the real nudge pass: a member on Slack gives
sparring to a member who is on Teams only; the Teams card names the giver (and the other
receiver her note mentions) by name, and the same notice on Slack mentions her."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.teams_server import make_connector
from handlers.catalogue import escape_teams
from handlers.teams.connector import make_http_client
from jobs.nudges import run_nudge_pass
from jobs.platforms import ByPlatform
from jobs.teams_messenger import TeamsMessenger
from models.network import Member
from models.sparring import log_sparring
from tests.conftest import ANNA, BO, CAMILLA, SEASON_NOW
from tests.jobs.fake_messenger import FakeMessenger
from tests.teams.cards import card_markdown, mentions
from tests.teams_standin import TeamsStandIn

BO_TEAMS = "29:1bo-teams-user-id"
ANNA_TEAMS = "29:1anna-teams-user-id"
HOSTILE = "Bo <!channel> [x](http://evil)"


@pytest.fixture
def teams() -> Iterator[TeamsStandIn]:
    standin = TeamsStandIn().start()
    yield standin
    standin.stop()


def test_a_sparring_notice_names_the_giver_on_each_platform(
    teams: TeamsStandIn, session_factory: sessionmaker[Session], network: object
) -> None:
    with session_factory.begin() as session:
        anna = session.scalars(select(Member).where(Member.slack_user_id == ANNA)).one()
        anna_name = anna.name
        camilla_name = session.scalars(
            select(Member.name).where(Member.slack_user_id == CAMILLA)
        ).one()
        log_sparring(
            session=session,
            member=anna,
            minutes=90,
            given_on=date(2015, 10, 2),
            receiver_ids=[BO, CAMILLA],
            note=f"Tak <@{CAMILLA}>",
            now=SEASON_NOW,
        )
        bo = session.scalars(select(Member).where(Member.slack_user_id == BO)).one()
        bo.slack_user_id, bo.teams_user_id, bo.name = None, BO_TEAMS, HOSTILE
    settings = teams.settings()
    slack = FakeMessenger()
    both = ByPlatform(
        slack=slack,
        teams=TeamsMessenger(
            make_connector(settings, make_http_client(read_timeout=0.5)),
            session_factory,
            app_id=settings.app_id,
            tenant_id=settings.tenant_id,
            service_url=settings.service_url,
        ),
    )
    run_nudge_pass(
        session_factory=session_factory,
        messenger=both,
        now=SEASON_NOW + timedelta(minutes=5),
        refresh_zones=False,
    )
    (card,) = teams.messages(teams.conversations[BO_TEAMS])
    shown = json.dumps(card["attachments"], ensure_ascii=False)
    assert f"**{escape_teams(anna_name)}**" in shown  # the giver, by name, in bold
    assert f"Tak **{escape_teams(camilla_name)}**" in shown  # the note's mention, by name
    # No `<` but an escaped one (`\<`, doubled in JSON): no mention, tag or Slack markup.
    assert not re.search(r"(?<!\\\\)<", shown) and ANNA not in shown and CAMILLA not in shown
    on_slack = json.dumps([p.message for p in slack.posted], default=str, ensure_ascii=False)
    assert f"<@{ANNA}>" in on_slack  # Camilla, on Slack, sees Anna mentioned


def test_a_giver_on_teams_is_a_real_mention_in_the_notice_the_messenger_sends(
    teams: TeamsStandIn, session_factory: sessionmaker[Session], network: object
) -> None:
    """Anna is on Teams as well: the notice Bo gets on Teams mentions her (`<at>` with its
    entity, her Teams id); the summary (the notification) names her plainly."""
    with session_factory.begin() as session:
        anna = session.scalars(select(Member).where(Member.slack_user_id == ANNA)).one()
        anna.teams_user_id = ANNA_TEAMS
        anna_name = anna.name
        log_sparring(
            session=session,
            member=anna,
            minutes=90,
            given_on=date(2015, 10, 2),
            receiver_ids=[BO],
            note="Tak",
            now=SEASON_NOW,
        )
        bo = session.scalars(select(Member).where(Member.slack_user_id == BO)).one()
        bo.slack_user_id, bo.teams_user_id = None, BO_TEAMS
    settings = teams.settings()
    run_nudge_pass(
        session_factory=session_factory,
        messenger=ByPlatform(
            slack=FakeMessenger(),
            teams=TeamsMessenger(
                make_connector(settings, make_http_client(read_timeout=0.5)),
                session_factory,
                app_id=settings.app_id,
                tenant_id=settings.tenant_id,
                service_url=settings.service_url,
            ),
        ),
        now=SEASON_NOW + timedelta(minutes=5),
        refresh_zones=False,
    )
    (notice,) = teams.messages(teams.conversations[BO_TEAMS])
    assert mentions(notice) == [(f"<at>{anna_name}</at>", ANNA_TEAMS)]
    assert f"<at>{anna_name}</at> har registreret" in card_markdown(notice)
    assert anna_name in notice["summary"] and "<at>" not in notice["summary"]
