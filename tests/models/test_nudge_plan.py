"""When each pre-meeting nudge goes out, over the whole 2015–16 season, for a member in
Copenhagen and one in New York: 09:00 their time, moved back over weekends and holidays."""

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from models.network import Network
from models.nudges import NudgeKind, plan_member
from tests.conftest import ANNA, FACILITATOR, JENS, person

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


def _plan(
    session: Session, slack_id: str, kinds: tuple[NudgeKind, ...] = (K, R, L, A)
) -> list[tuple[int, NudgeKind, datetime]]:
    member = person(session, slack_id)
    return [
        (p.meeting.number, p.kind, p.due_at.astimezone(UTC))
        for p in plan_member(member, member.network.meetings, kinds)
    ]


def test_copenhagen_member_season_plan(session: Session, network: Network) -> None:
    assert _plan(session, ANNA) == ANNA_EXPECTED


def test_new_york_member_season_plan(session: Session, network: Network) -> None:
    assert _plan(session, JENS) == JENS_EXPECTED


S, H, F, C, AT, HC = (
    NudgeKind.BETWEEN_START,
    NudgeKind.HALFWAY_SPARRING,
    NudgeKind.HALFWAY_FOLLOWUP,
    NudgeKind.PERIOD_CLOSING,
    NudgeKind.ATTENDANCE,
    NudgeKind.HEAD_COUNT,
)


def test_between_meetings_and_attendance_plan(session: Session, network: Network) -> None:
    plan = _plan(session, ANNA, (S, H, F, C, AT))
    assert plan == [
        (1, S, _utc(2015, 9, 22, 7)),  # the day after meeting 1
        (1, H, _utc(2015, 10, 19, 7)),  # halfway to meeting 2 (17 Nov)
        (1, F, _utc(2015, 10, 19, 7)),
        (1, C, _utc(2015, 11, 10, 8)),  # a week before meeting 2
        (1, AT, _utc(2015, 9, 16, 7)),  # three working days before meeting 1 (Mon 21 Sep)
        (2, S, _utc(2015, 11, 18, 8)),
        (2, H, _utc(2016, 1, 8, 8)),  # halfway to 3 Mar: Sun 10 Jan → Fri 8 Jan
        (2, F, _utc(2016, 1, 8, 8)),
        (2, C, _utc(2016, 2, 25, 8)),
        (2, AT, _utc(2015, 11, 12, 8)),
        (3, S, _utc(2016, 3, 4, 8)),
        (3, H, _utc(2016, 3, 31, 7)),  # halfway to 28 Apr (after Easter, in summer time)
        (3, F, _utc(2016, 3, 31, 7)),
        (3, C, _utc(2016, 4, 21, 7)),
        (3, AT, _utc(2016, 2, 29, 8)),
        (4, S, _utc(2016, 4, 29, 7)),  # after the last meeting: until the season ends (31 May)
        (4, H, _utc(2016, 5, 13, 7)),
        (4, F, _utc(2016, 5, 13, 7)),
        (4, C, _utc(2016, 5, 25, 7)),  # a week before the season ends (after 31 May)
        (4, AT, _utc(2016, 4, 25, 7)),
    ]


def test_head_count_goes_to_facilitators_and_the_host_contact(
    session: Session, network: Network
) -> None:
    facilitator = _plan(session, FACILITATOR, (HC,))
    assert [(n, d) for n, _, d in facilitator] == [
        (1, _utc(2015, 9, 17, 7)),
        (2, _utc(2015, 11, 13, 8)),
        (3, _utc(2016, 3, 1, 8)),
        (4, _utc(2016, 4, 26, 7)),
    ]
    host = person(session, "U0HOST0001")
    assert [(p.meeting.number, p.kind) for p in plan_member(host, host.network.meetings)] == [
        (2, HC)
    ]
    anna = person(session, ANNA)
    assert HC not in {p.kind for p in plan_member(anna, anna.network.meetings)}


def test_slack_zone_is_used_when_the_file_has_none(session: Session, network: Network) -> None:
    anna = person(session, ANNA)
    anna.slack_timezone = "Asia/Tokyo"
    first = next(plan_member(anna, anna.network.meetings, (K,)))
    assert first.due_at.astimezone(UTC) == _utc(2015, 9, 7, 0)  # 09:00 in Tokyo
