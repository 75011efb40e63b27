"""Relative words are chosen when a nudge is sent, not when it was planned: after a restart, a
snooze or a moved meeting, "i morgen" is never said on the meeting day."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers.ids import Action
from models.nudges import Nudge, NudgeKind, NudgeStatus
from models.prep import QuestionInput, save_questions
from tests.conftest import ANNA, BO, CAMILLA, FREDERIK, person
from tests.jobs.conftest import Runner
from tests.slack_standin import SlackStandIn, dm_channel, explode

# Meeting 2: Tue 17 Nov 2015, 10:00–13:00 in Copenhagen (09:00 UTC).
MEETING_2 = datetime(2015, 11, 17, 9, 0, tzinfo=UTC)
LAST_CALL = datetime(2015, 11, 16, 8, 0, tzinfo=UTC)  # Mon 09:00 local
MEETING_DAY_MORNING = datetime(2015, 11, 17, 7, 0, tzinfo=UTC)  # 08:00 local, before it starts
REMINDER = datetime(2015, 11, 12, 8, 0, tzinfo=UTC)  # Thu 09:00 local: 5 days before
NEVER = ("Om 0 dage", "Om 1 dage", "In 0 days", "In 1 days", "in 1 days", "om 1 dage")


def _posts_to(slack: SlackStandIn, user: str) -> list[dict[str, Any]]:
    """Each topic the member got, as if sent alone (what is due at one moment is bundled)."""
    return [
        part
        for c in slack.calls_to("chat.postMessage")
        if c.params["channel"] == dm_channel(user)
        for part in explode(c.params)
    ]


def _prep(slack: SlackStandIn, user: str) -> dict[str, Any]:
    (post,) = [
        p
        for p in _posts_to(slack, user)
        if any(str(b.get("block_id")).startswith("nudge_checklist") for b in p["blocks"])
    ]
    return post


def _all_words(post: dict[str, Any]) -> str:
    return post["text"] + "\n" + json.dumps(post["blocks"], ensure_ascii=False)


def _later_actions(post: dict[str, Any]) -> list[str]:
    # (a bundled topic's block ids carry a suffix: nudge_later_2)
    (later,) = [b for b in post["blocks"] if str(b.get("block_id")).startswith("nudge_later")]
    return [e["action_id"] for e in later["elements"]]


def _assert_no_wrong_words(slack: SlackStandIn) -> None:
    for call in slack.calls_to("chat.postMessage"):
        words = _all_words(call.params)
        assert not any(bad in words for bad in NEVER), words


def test_after_a_restart_the_meeting_day_says_today(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    """Down from before the last call until the morning of the meeting: what goes out then
    says "i dag" / "today", and offers no reminder that would come after the meeting."""
    with session_factory() as s:
        anna = person(s, ANNA)
        meeting = next(m for m in anna.network.meetings if m.number == 2)
        save_questions(
            session=s,
            member=anna,
            meeting=meeting,
            now=LAST_CALL - timedelta(days=20),
            questions=[QuestionInput(i, f"Spørgsmål {i}", BO, CAMILLA) for i in (1, 2, 3)],
        )
        s.commit()
    run_pass(MEETING_DAY_MORNING)
    anna_post = _prep(slack, ANNA)
    assert anna_post["text"] == "Møde 2 er i dag; sidste chance for din forberedelse."
    assert anna_post["blocks"][0]["text"]["text"].startswith("*I dag: møde 2 — ")
    assert "morgen" not in _all_words(anna_post)
    assert _later_actions(anna_post) == [Action.AWAY]  # both reminders would be too late
    frederik_post = _prep(slack, FREDERIK)
    assert frederik_post["text"] == "Meeting 2 is today; last call for your preparation."
    assert frederik_post["blocks"][0]["text"]["text"].startswith("*Today: meeting 2 — ")
    (agenda,) = [p for p in _posts_to(slack, BO) if p["text"].startswith("Du har")]
    assert agenda["text"] == "Du har 3 spørgsmål til dig på møde 2 i dag."
    assert "*Spørgsmål til dig på møde 2 i dag*" in agenda["blocks"][0]["text"]["text"]
    _assert_no_wrong_words(slack)


def test_remind_me_tomorrow_on_the_last_call_says_today(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    run_pass(LAST_CALL)
    last_call = _prep(slack, ANNA)
    assert last_call["text"] == "Møde 2 er i morgen; sidste chance for din forberedelse."
    assert last_call["blocks"][0]["text"]["text"].startswith("*I morgen: møde 2 — ")
    # Tomorrow 09:00 is before the meeting at 10:00; in three days is not.
    assert _later_actions(last_call) == [Action.SNOOZE_TOMORROW, Action.AWAY]
    assert "Om 3 dage" not in _all_words(last_call)
    with session_factory() as s:  # the member clicked "Mind mig i morgen"
        anna = person(s, ANNA)
        nudge = s.scalars(
            select(Nudge).where(Nudge.member_id == anna.id, Nudge.kind == NudgeKind.PREP_LAST_CALL)
        ).one()
        s.add(
            Nudge(
                member_id=anna.id,
                meeting_id=nudge.meeting_id,
                kind=nudge.kind,
                seq=1,
                due_at=datetime(2015, 11, 17, 8, 0, tzinfo=UTC),
                stale_at=MEETING_2,
                created_at=LAST_CALL,
            )
        )
        s.commit()
    slack.reset()
    run_pass(datetime(2015, 11, 17, 8, 0, tzinfo=UTC))
    again = _prep(slack, ANNA)
    assert again["text"] == "Møde 2 er i dag; sidste chance for din forberedelse."
    assert "morgen" not in _all_words(again)
    _assert_no_wrong_words(slack)


def test_a_late_reminder_counts_the_days_left(run_pass: Runner, slack: SlackStandIn) -> None:
    run_pass(REMINDER)
    on_time = _prep(slack, ANNA)
    assert on_time["text"] == "Møde 2 er om 5 dage; din forberedelse mangler."
    assert _later_actions(on_time) == [
        Action.SNOOZE_TOMORROW,
        Action.SNOOZE_THREE_DAYS,
        Action.AWAY,
    ]
    assert _prep(slack, FREDERIK)["text"] == "Meeting 2 is in 5 days; your preparation is missing."


def test_down_until_two_days_before_says_two_days(run_pass: Runner, slack: SlackStandIn) -> None:
    run_pass(datetime(2015, 11, 15, 10, 0, tzinfo=UTC))  # Sun: the reminder, two days late
    late = _prep(slack, ANNA)
    assert late["text"] == "Møde 2 er om 2 dage; din forberedelse mangler."
    assert late["blocks"][0]["text"]["text"].startswith("*Om 2 dage: møde 2 — ")
    assert _later_actions(late) == [Action.SNOOZE_TOMORROW, Action.AWAY]
    assert _prep(slack, FREDERIK)["text"] == "Meeting 2 is in 2 days; your preparation is missing."
    _assert_no_wrong_words(slack)


def test_nothing_about_the_meeting_once_it_has_begun(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    """Down until after the meeting started: the last call and the agenda are stale, not sent."""
    run_pass(MEETING_2 + timedelta(hours=1))
    assert not any(
        any(b.get("block_id") == "nudge_checklist" for b in c.params["blocks"])
        for c in slack.calls_to("chat.postMessage")
    )
    with session_factory() as s:
        anna = person(s, ANNA)
        statuses = set(
            s.scalars(
                select(Nudge.status).where(
                    Nudge.member_id == anna.id,
                    Nudge.kind.in_([NudgeKind.PREP_LAST_CALL, NudgeKind.QUESTION_AGENDA]),
                )
            )
        )
    assert statuses <= {NudgeStatus.STALE}


def test_the_last_period_counts_to_the_seasons_last_day(
    run_pass: Runner, slack: SlackStandIn
) -> None:
    """The season ends 31 May 2016; its closing nudge goes out Wed 25 May: in 6 days."""
    run_pass(datetime(2016, 5, 25, 7, 0, tzinfo=UTC))  # 09:00 in Copenhagen (summer time)
    (closing,) = [p for p in _posts_to(slack, ANNA) if p["text"].startswith("Perioden slutter")]
    assert closing["text"] == "Perioden slutter om 6 dage; noget er stadig åbent."
    intro = closing["blocks"][0]["text"]["text"]
    assert intro == "*Om 6 dage: sæsonen slutter (31. maj 2016).* Det er stadig åbent:"
    _assert_no_wrong_words(slack)


def test_a_meeting_moved_to_today_is_today_in_every_nudge(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    from datetime import date, time

    from models.network_admin import move_meeting
    from tests.conftest import FACILITATOR

    now = datetime(2015, 11, 3, 9, 0, tzinfo=UTC)  # Tue 10:00 in Copenhagen
    with session_factory() as s:
        facilitator = person(s, FACILITATOR)
        move_meeting(
            session=s,
            network=facilitator.network,
            by=facilitator,
            number=2,
            day=date(2015, 11, 3),
            start=time(15, 0),
            end=time(17, 0),
            place=None,
            host=None,
            now=now,
        )
        s.commit()
    run_pass(now)
    last_call = _prep(slack, ANNA)
    assert last_call["text"] == "Møde 2 er i dag; sidste chance for din forberedelse."
    assert _later_actions(last_call) == [Action.AWAY]
    assert _prep(slack, FREDERIK)["text"] == "Meeting 2 is today; last call for your preparation."
    for post in _posts_to(slack, ANNA):
        assert "morgen" not in _all_words(post), post["text"]
    _assert_no_wrong_words(slack)
