"""The whole season's outbox as Teams cards: every kind of message the clock sends (the
preparation nudges, the question agenda, attendance and the head count, the between-meeting
nudges, the readiness report and the weekly digest) built for the Teams surface is a card
Teams accepts, in Teams' Markdown, with no Slack markup and no raw platform id."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers import teams_render
from jobs.messenger import Message
from jobs.nudges import run_nudge_pass
from models.nudges import Nudge, NudgeKind
from tests.conftest import ANNA
from tests.handlers.test_teams_render import check_card
from tests.jobs.fake_messenger import FakeMessenger
from tests.jobs.test_nudges import prepare_fully

START = datetime(2015, 9, 1, 0, 0, tzinfo=UTC)
END = datetime(2016, 6, 1, 0, 0, tzinfo=UTC)
SLACK_MARKUP = re.compile(r"<[@!#][A-Z0-9]|&lt;|&gt;|&amp;")


@dataclass
class TeamsFake(FakeMessenger):
    """The in-memory messenger, speaking for Teams: messages are built for the Teams surface
    and one fits when it is one card."""

    surface = "teams"

    def fits(self, message: Message) -> bool:
        return len(teams_render.message_cards(message)) == 1


def test_every_message_of_a_season_is_a_card_teams_accepts(
    session_factory: sessionmaker[Session], network: object
) -> None:
    teams = TeamsFake()
    now = START
    while now <= END:  # 09:00 in Copenhagen and New York, summer and winter
        if now == datetime(2015, 11, 10, tzinfo=UTC):  # Anna's questions make an agenda
            with session_factory() as session:
                prepare_fully(session, ANNA, now)
        for hour in (7, 8, 9, 13, 14):
            run_nudge_pass(
                session_factory=session_factory,
                messenger=teams,
                now=now.replace(hour=hour),
                refresh_zones=False,
            )
        now += timedelta(days=1)
    with session_factory() as session:
        kinds_of = {n.id: n.kind for n in session.scalars(select(Nudge))}
    sent_kinds = {kinds_of[tag] for posted in teams.posted for tag in posted.tags}
    assert {
        NudgeKind.PREP_KICKOFF,
        NudgeKind.QUESTION_AGENDA,
        NudgeKind.ATTENDANCE,
        NudgeKind.HEAD_COUNT,
        NudgeKind.BETWEEN_START,
        NudgeKind.HALFWAY_SPARRING,
        NudgeKind.READINESS_REPORT,
        NudgeKind.WEEKLY_DIGEST,
    } <= sent_kinds, sent_kinds
    for posted in teams.posted:
        (card,) = teams_render.message_cards(posted.message)
        assert check_card(card) == [], posted.message.summary
        shown = json.dumps(card, ensure_ascii=False)
        assert not SLACK_MARKUP.search(shown), shown[:500]
        assert "FORGOTTEN" not in shown
