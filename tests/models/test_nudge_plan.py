"""When each pre-meeting nudge goes out, over the whole 2015–16 season, for a member in
Copenhagen and one in New York: 09:00 their time, moved back over weekends and holidays."""

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from models.network import Network
from models.nudges import NudgeKind, plan_member
from tests.conftest import ANNA, JENS, person

K, R, L, A = (
    NudgeKind.PREP_KICKOFF,
    NudgeKind.PREP_REMINDER,
    NudgeKind.PREP_LAST_CALL,
    NudgeKind.QUESTION_AGENDA,
)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Copenhagen: 09:00 is 07:00 UTC in summer time (until 25 Oct 2015 and from 27 Mar 2016),
# 08:00 UTC in winter time.
ANNA_EXPECTED = [
    (1, K, _utc(2015, 9, 7, 7)),  # Mon 7 Sep
    (1, R, _utc(2015, 9, 16, 7)),  # Wed 16 Sep
    (1, L, _utc(2015, 9, 18, 7)),  # Sun 20 Sep → Fri 18 Sep
    (1, A, _utc(2015, 9, 18, 7)),
    (2, K, _utc(2015, 11, 3, 8)),  # Tue 3 Nov, winter time
    (2, R, _utc(2015, 11, 12, 8)),
    (2, L, _utc(2015, 11, 16, 8)),
    (2, A, _utc(2015, 11, 16, 8)),
    (3, K, _utc(2016, 2, 18, 8)),
    (3, R, _utc(2016, 2, 26, 8)),  # Sat 27 Feb → Fri 26 Feb
    (3, L, _utc(2016, 3, 2, 8)),
    (3, A, _utc(2016, 3, 2, 8)),
    (4, K, _utc(2016, 4, 14, 7)),  # summer time again
    (4, R, _utc(2016, 4, 21, 7)),  # Sat 23 Apr → Fri 22 Apr is Store Bededag → Thu 21 Apr
    (4, L, _utc(2016, 4, 27, 7)),
    (4, A, _utc(2016, 4, 27, 7)),
]

# New York: 09:00 EDT is 13:00 UTC, EST 14:00 UTC. The US leaves summer time on 1 Nov 2015
# (a week after Denmark) and returns on 13 Mar 2016 (two weeks before Denmark).
JENS_EXPECTED = [
    (1, K, _utc(2015, 9, 7, 13)),
    (1, R, _utc(2015, 9, 16, 13)),
    (1, L, _utc(2015, 9, 18, 13)),
    (1, A, _utc(2015, 9, 18, 13)),
    (2, K, _utc(2015, 11, 3, 14)),
    (2, R, _utc(2015, 11, 12, 14)),
    (2, L, _utc(2015, 11, 16, 14)),
    (2, A, _utc(2015, 11, 16, 14)),
    (3, K, _utc(2016, 2, 18, 14)),
    (3, R, _utc(2016, 2, 26, 14)),
    (3, L, _utc(2016, 3, 2, 14)),
    (3, A, _utc(2016, 3, 2, 14)),
    (4, K, _utc(2016, 4, 14, 13)),
    (4, R, _utc(2016, 4, 21, 13)),
    (4, L, _utc(2016, 4, 27, 13)),
    (4, A, _utc(2016, 4, 27, 13)),
]


def _plan(session: Session, slack_id: str) -> list[tuple[int, NudgeKind, datetime]]:
    member = person(session, slack_id)
    return [
        (p.meeting.number, p.kind, p.due_at.astimezone(UTC))
        for p in plan_member(member, member.network.meetings)
    ]


def test_copenhagen_member_season_plan(session: Session, network: Network) -> None:
    assert _plan(session, ANNA) == ANNA_EXPECTED


def test_new_york_member_season_plan(session: Session, network: Network) -> None:
    assert _plan(session, JENS) == JENS_EXPECTED


def test_slack_zone_is_used_when_the_file_has_none(session: Session, network: Network) -> None:
    anna = person(session, ANNA)
    anna.slack_timezone = "Asia/Tokyo"
    first = next(plan_member(anna, anna.network.meetings))
    assert first.due_at.astimezone(UTC) == _utc(2015, 9, 7, 0)  # 09:00 in Tokyo
