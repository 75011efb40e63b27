"""The whole 2015–16 season, hour by hour, with a controlled clock: every nudge — before,
between and after the meetings — goes out once,
at 09:00 on a working day in the member's own zone (Copenhagen and New York, across both DST
changes and the Danish holidays), and none goes out for what is already done."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jobs.nudges import MAX_MESSAGES_PER_DAY
from models.calendar import is_working_day
from models.network import Member
from models.nudges import Nudge, NudgeKind, NudgeStatus, plan_member
from tests.conftest import ANNA, JENS, person
from tests.jobs.conftest import Runner
from tests.jobs.fake_messenger import FakeMessenger
from tests.jobs.test_nudges import prepare_fully

START = datetime(2015, 9, 1, 0, 0, tzinfo=UTC)
END = datetime(2016, 6, 1, 0, 0, tzinfo=UTC)  # the season has ended


def test_walk_the_season(
    run_fake_pass: Runner, fake: FakeMessenger, session_factory: sessionmaker[Session]
) -> None:
    """Through the in-memory messenger: this is about the calendar and the outbox; the Slack
    path is walked in the chaos suite and the e2e tests."""
    now = START
    prepared = False
    while now <= END:
        if not prepared and now >= datetime(2015, 11, 10, tzinfo=UTC):
            with session_factory() as s:  # Anna is ready for meeting 2 before its reminder
                prepare_fully(s, ANNA, now)
            prepared = True
        run_fake_pass(now)
        now += timedelta(hours=1)

    with session_factory() as s:
        people = s.scalars(select(Member)).all()
        planned = {
            (p.member.id, p.meeting.id, p.kind): p.due_at
            for m in people
            for p in plan_member(m, m.network.meetings)
        }
        all_rows = s.scalars(select(Nudge)).all()
        digests = [r for r in all_rows if r.kind is NudgeKind.WEEKLY_DIGEST]
        rows = [r for r in all_rows if r.kind is not NudgeKind.WEEKLY_DIGEST]
        # The weekly digest: every week of the season, to each of the two facilitators, at
        # 09:00 on the week's first working day (Easter and Whit Monday move it to Tuesday).
        weeks = {r.seq for r in digests}
        assert len(digests) == 2 * len(weeks) == 2 * 39
        for r in digests:
            local = r.sent_at.astimezone(r.member.zone) if r.sent_at else None
            assert r.status is NudgeStatus.SENT and local is not None
            assert (local.hour, local.minute) == (9, 0) and is_working_day(local.date(), "DK")
            assert local.weekday() == 0 or local.date().isoformat() in {"2016-03-29", "2016-05-17"}
        anna, jens = person(s, ANNA), person(s, JENS)
        # Every scheduled nudge has exactly one outbox row: 9 kinds a meeting for a member
        # (a few between-meeting ones do not fit a short period), the head count for the
        # two facilitators and meeting 2's host contact.
        assert len(rows) == len(planned)
        assert {(r.member_id, r.meeting_id, r.kind) for r in rows} == set(planned)
        assert len([r for r in rows if r.kind is NudgeKind.HEAD_COUNT]) == 2 * 4 + 1
        assert len([r for r in rows if r.kind is NudgeKind.READINESS_REPORT]) == 2 * 4
        # 9 kinds a meeting, and the renewal vote after the last one (no deadline was set, so
        # no reminder).
        assert len([r for r in rows if r.member_id == anna.id]) == 4 * 9 + 1
        assert {r.kind for r in rows if r.meeting is not None and r.meeting.number < 4}.isdisjoint(
            {NudgeKind.RENEWAL_VOTE, NudgeKind.RENEWAL_REMINDER}
        )
        for row in rows:
            assert row.seq == 0
            due = planned[(row.member_id, row.meeting_id, row.kind)]
            assert row.due_at == due
            if row.status is not NudgeStatus.SENT:
                continue
            local = row.sent_at.astimezone(row.member.zone) if row.sent_at else None
            assert local is not None and (local.hour, local.minute) == (9, 0), row
            assert row.sent_at == due  # sent on the hour it was due, not later
            assert is_working_day(local.date(), "DK")
        sent = {
            (r.member_id, r.meeting.number, r.kind) for r in rows if r.status is NudgeStatus.SENT
        }
        skipped = {
            (r.member_id, r.meeting.number, r.kind): r.detail
            for r in rows
            if r.status is NudgeStatus.SKIPPED
        }
        # Nobody prepares meetings 1, 3 and 4: every preparation nudge goes out.
        for number in (1, 3, 4):
            for kind in (NudgeKind.PREP_KICKOFF, NudgeKind.PREP_REMINDER, NudgeKind.PREP_LAST_CALL):
                assert (anna.id, number, kind) in sent
                assert (jens.id, number, kind) in sent
        # Anna was ready before meeting 2's reminder: no reminder and no last call for her.
        assert (anna.id, 2, NudgeKind.PREP_KICKOFF) in sent
        assert skipped[(anna.id, 2, NudgeKind.PREP_REMINDER)] == "nothing to do"
        assert skipped[(anna.id, 2, NudgeKind.PREP_LAST_CALL)] == "nothing to do"
        # Her questions put Bo and Camilla on meeting 2's agenda; nobody else has an agenda.
        agendas = {(m, n) for (m, n, k) in sent if k is NudgeKind.QUESTION_AGENDA}
        assert agendas == {(person(s, "U0BO000002").id, 2), (person(s, "U0CAMILLA3").id, 2)}
        # Jens in New York: 09:00 there is 13:00 UTC in summer time, 14:00 UTC in winter.
        jens_times = sorted(r.sent_at for r in rows if r.member_id == jens.id and r.sent_at)
        ny = ZoneInfo("America/New_York")
        assert {t.astimezone(ny).hour for t in jens_times} == {9}
        assert {t.hour for t in jens_times} == {13, 14}
        # One message per member per moment: what is due at 09:00 goes out together, and no
        # one gets more than MAX_MESSAGES_PER_DAY messages a day.
        by_day: dict[tuple[int, object], set[str | None]] = {}
        by_moment: dict[tuple[int, object], set[str | None]] = {}
        for r in all_rows:
            if r.status is NudgeStatus.SENT and r.sent_at is not None:
                day = (r.member_id, r.sent_at.astimezone(r.member.zone).date())
                by_day.setdefault(day, set()).add(r.message_ts)
                by_moment.setdefault((r.member_id, r.sent_at), set()).add(r.message_ts)
        assert max(len(v) for v in by_moment.values()) == 1
        assert max(len(v) for v in by_day.values()) <= MAX_MESSAGES_PER_DAY
        bundled = sum(1 for v in by_day.values() for _ in v)
        assert bundled < len(sent) + len(digests)  # fewer messages than nudges: bundles
    # The platform got exactly one message per member-moment, carrying each sent nudge once,
    # with one line of fallback text per topic.
    delivered = fake.posted
    assert len(delivered) == bundled
    tags = [t for p in delivered for t in p.tags]
    assert len(tags) == len(set(tags)) == len(sent) + len(digests)
    assert all(len(p.message.summary.split("\n")) == len(p.tags) for p in delivered)
    # A notification's fallback text is plain words: no stray mrkdwn asterisks; and no
    # relative word is wrong in number.
    texts = [p.message.summary for p in delivered]
    assert [t for t in texts if "*" in t] == []
    wrong = ("Om 0 dage", "Om 1 dage", "In 0 days", "In 1 days", "in 1 days", "om 1 dage")
    assert [t for t in texts if any(w in t for w in wrong)] == []
