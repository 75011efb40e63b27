"""One message per member per moment: what is due together goes out together, a head count
never before its question had a working day, and a daily cap per person."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers import conversation as c
from handlers import slack_render
from jobs.nudges import MAX_MESSAGES_PER_DAY, bundle_messages
from jobs.slack_messenger import MAX_FALLBACK_TEXT, MAX_MESSAGE_BLOCKS, fits
from models.network_admin import move_meeting
from models.nudges import Nudge, NudgeKind, NudgeStatus, messages_sent_on
from models.sparring import log_sparring
from tests.conftest import ANNA, BO, CAMILLA, FACILITATOR, FREDERIK, JENS, person
from tests.jobs.conftest import Runner
from tests.slack_standin import SlackStandIn, dm_channel, explode

ATTENDANCE_2 = datetime(2015, 11, 12, 8, 0, tzinfo=UTC)  # reminder and "are you coming?"


def test_what_is_due_together_goes_out_as_one_message(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    run_pass(datetime(2015, 11, 2, 12, 0, tzinfo=UTC))
    slack.reset()
    run_pass(ATTENDANCE_2)
    (message,) = slack.posted[dm_channel(ANNA)]
    parts = explode(message)
    texts = [p["text"] for p in parts]
    assert "Møde 2 er om 5 dage; din forberedelse mangler." in texts
    assert any(t.startswith("Kommer du til møde 2") for t in texts)
    payload = message["metadata"]["event_payload"]
    with session_factory() as s:
        rows = s.scalars(select(Nudge).where(Nudge.id.in_(payload["nudge_ids"]))).all()
        assert {NudgeKind.PREP_REMINDER, NudgeKind.ATTENDANCE} <= {r.kind for r in rows}
        # Recorded together: one message, one ts, both sent.
        assert {(r.status, r.message_ts) for r in rows} == {(NudgeStatus.SENT, message["ts"])}
    block_ids = [b["block_id"] for b in message["blocks"] if "block_id" in b]
    assert len(block_ids) == len(set(block_ids))  # Slack refuses a block id twice


def test_a_meeting_moved_to_today_sends_one_message_and_no_early_head_count(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    now = datetime(2015, 11, 5, 7, 0, tzinfo=UTC)  # Thursday 08:00 in Copenhagen
    run_pass(now - timedelta(days=3))
    with session_factory() as s:
        facilitator = person(s, FACILITATOR)
        move_meeting(
            session=s,
            network=facilitator.network,
            by=facilitator,
            number=2,
            day=date(2015, 11, 5),
            start=time(15, 0),
            end=time(17, 0),
            place=None,
            host=None,
            now=now,
        )
        s.commit()
    slack.reset()
    run_pass(now + timedelta(hours=1))
    run_pass(now + timedelta(hours=3))  # a head count that waited for its question
    per_channel = Counter(c.params["channel"] for c in slack.calls_to("chat.postMessage"))
    assert per_channel and max(per_channel.values()) == 1
    texts = [p["text"] for m in slack.posted[dm_channel(ANNA)] for p in explode(m)]
    assert any(t.startswith("Kommer du til møde 2") for t in texts)
    # The facilitators get no head count counting a question asked a minute ago.
    facilitator_texts = [
        p["text"] for m in slack.posted.get(dm_channel(FACILITATOR), []) for p in explode(m)
    ]
    assert not any("forplejning" in t for t in facilitator_texts)
    with session_factory() as s:
        counts = s.scalars(select(Nudge).where(Nudge.kind == NudgeKind.HEAD_COUNT)).all()
        assert {(c.status, c.detail) for c in counts if c.meeting.number == 2} == {
            (NudgeStatus.SKIPPED, "too soon")
        }


def test_a_daily_cap_defers_the_rest_to_the_next_working_day(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    now = datetime(2015, 11, 6, 9, 0, tzinfo=UTC)  # Friday
    run_pass(now - timedelta(hours=1))  # 09:00 in Copenhagen: what is due goes out first
    slack.reset()
    friday = date(2015, 11, 6)
    with session_factory() as s:
        before = messages_sent_on(s, person(s, ANNA), friday)  # they count toward the cap
    givers = [BO, CAMILLA, FREDERIK, JENS, "U0DAVID004"][: MAX_MESSAGES_PER_DAY + 2]
    for i, giver in enumerate(givers):  # sparring notices one after another through the day
        with session_factory() as s:
            log_sparring(
                session=s,
                member=person(s, giver),
                minutes=30,
                given_on=date(2015, 11, 6),
                receiver_ids=[ANNA],
                note="Tak",
                now=now + timedelta(hours=i),
            )
            s.commit()
        run_pass(now + timedelta(hours=i))
    with session_factory() as s:
        anna = person(s, ANNA)
        rows = s.scalars(
            select(Nudge).where(
                Nudge.member_id == anna.id, Nudge.kind == NudgeKind.SPARRING_RECEIVED
            )
        ).all()
        deferred = [r for r in rows if r.status is NudgeStatus.PENDING]
        assert messages_sent_on(s, anna, friday) == MAX_MESSAGES_PER_DAY
    sent_today = [r for r in rows if r.status is not NudgeStatus.PENDING]
    assert len(sent_today) == MAX_MESSAGES_PER_DAY - before
    assert len(deferred) == len(givers) - len(sent_today) >= 2
    monday_nine = datetime(2015, 11, 9, 8, 0, tzinfo=UTC)
    assert {r.next_attempt_at for r in deferred} == {monday_nine}


def _part(i: int, blocks: int, summary: str = "") -> tuple[int, c.Message]:
    parts: list[c.Part] = [c.Paragraph("x", block=f"b{j}") for j in range(blocks)]
    return i, c.Message(summary or f"Topic {i}", parts)


def test_bundles_stay_within_block_kit_limits_and_cut_nothing() -> None:
    parts = [_part(i, 20) for i in range(4)]  # 80 blocks: more than one message may hold
    messages = [slack_render.message(m.message) for m in bundle_messages(parts, fits)]
    assert [m.ids for m in bundle_messages(parts, fits)] == [[0, 1], [2, 3]]
    for message in messages:
        assert len(message["blocks"]) <= MAX_MESSAGE_BLOCKS
        ids = [b["block_id"] for b in message["blocks"]]
        assert len(ids) == len(set(ids))
    assert sum(len(m["blocks"]) for m in messages) == 80 + 2  # every block, plus two dividers


def test_a_bundle_is_measured_as_rendered_and_split_by_its_fallback_text_too() -> None:
    # Eleven facts are two Block Kit sections: 24 such parts would be 48 blocks, not 24.
    many_facts = c.Facts([(f"l{j}", "v") for j in range(11)])
    first = (0, c.Message("Topic 0", [many_facts] * 24))
    bundled = bundle_messages([first, _part(1, 1)], fits)
    assert [m.ids for m in bundled] == [[0, 1]]  # 48 + divider + 1 = 50 blocks fit…
    bundled = bundle_messages([first, _part(1, 2)], fits)
    assert [m.ids for m in bundled] == [[0], [1]]  # …51 does not
    long = "y" * (MAX_FALLBACK_TEXT // 2)
    bundled = bundle_messages([_part(0, 1, long), _part(1, 1, long)], fits)
    assert [m.ids for m in bundled] == [[0], [1]]  # 3,001 characters of fallback text
    assert [m.message.summary for m in bundled] == [long, long]
