"""Between meetings, attendance and notices through the nudge pass and the Slack stand-in."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.attendance import AttendanceStatus, set_attendance
from models.followup import log_followup
from models.nudges import Nudge, NudgeKind, NudgeStatus, enqueue_notice
from models.prep import QuestionInput, save_questions
from models.sparring import log_sparring
from tests.conftest import ANNA, BO, CAMILLA, FACILITATOR, person
from tests.jobs.conftest import Runner
from tests.slack_standin import SlackStandIn, dm_channel, explode

ATTENDANCE_2 = datetime(2015, 11, 12, 8, 0, tzinfo=UTC)  # Thu, 3 working days before 17 Nov
HEAD_COUNT_2 = datetime(2015, 11, 13, 8, 0, tzinfo=UTC)  # Fri, 2 working days before
AFTER_2 = datetime(2015, 11, 18, 8, 0, tzinfo=UTC)  # the day after meeting 2
HALFWAY_2 = datetime(2016, 1, 8, 8, 0, tzinfo=UTC)
CLOSING_2 = datetime(2016, 2, 25, 8, 0, tzinfo=UTC)


def messages(slack: SlackStandIn, user: str, starts: str) -> list[dict[str, Any]]:
    return [
        p
        for m in slack.posted.get(dm_channel(user), [])
        for p in explode(m)
        if p["text"].startswith(starts)
    ]


def calls(slack: SlackStandIn, user: str, starts: str) -> list[dict[str, Any]]:
    return [
        p
        for c in slack.calls_to("chat.postMessage")
        if c.params["channel"] == dm_channel(user)
        for p in explode(c.params)
        if p["text"].startswith(starts)
    ]


def meeting(session: Session, number: int) -> Any:
    return next(m for m in person(session, ANNA).network.meetings if m.number == number)


def test_attendance_question_and_head_count(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:  # Bo answered already (e.g. from an earlier reminder)
        set_attendance(
            session=s,
            member=person(s, BO),
            meeting=meeting(s, 2),
            status=AttendanceStatus.NO,
            now=ATTENDANCE_2 - timedelta(days=1),
        )
        s.commit()
    report = run_pass(ATTENDANCE_2)
    assert report.of(NudgeKind.ATTENDANCE) == {"sent": 8, "skipped": 1}  # 9 in Copenhagen
    (ask,) = calls(slack, ANNA, "Kommer du til møde 2?")
    buttons = [e["action_id"] for e in ask["blocks"][1]["elements"]]
    assert buttons == ["attendance_yes", "attendance_substitute", "attendance_no"]
    with session_factory() as s:
        m2 = meeting(s, 2)
        set_attendance(
            session=s,
            member=person(s, ANNA),
            meeting=m2,
            status=AttendanceStatus.YES,
            now=ATTENDANCE_2,
        )
        set_attendance(
            session=s,
            member=person(s, CAMILLA),
            meeting=m2,
            status=AttendanceStatus.SUBSTITUTE,
            substitute_name="Kim Kollega",
            substitute_email="kim@gribskov.dk",
            now=ATTENDANCE_2,
        )
        s.commit()
    report = run_pass(HEAD_COUNT_2)
    assert report.of(NudgeKind.HEAD_COUNT) == {"sent": 3}  # two facilitators and the host
    (count,) = calls(slack, FACILITATOR, "Møde 2: forplejning til 2.")
    text = count["blocks"][0]["text"]["text"]
    assert "*Forplejning til 2* (1 medlem og 1 kollega)" in text
    assert "Kommer: Anna Lund" in text
    assert "Kolleger i stedet: Kim Kollega (kim@gribskov.dk) ↔ Camilla Østergaard" in text
    assert "Kommer ikke: Bo Kjær" in text
    assert "Har ikke svaret: David Andersen, Emma Nielsen" in text
    assert calls(slack, "U0HOST0001", "Møde 2: forplejning til 2.")
    assert calls(slack, "U0FACIL002", "Meeting 2: catering for 2.")  # Jonas reads English


def test_between_start_halfway_and_closing(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:  # Bo and Camilla asked Anna about things at meeting 2
        m2 = meeting(s, 2)
        for asker in (BO, CAMILLA):
            other = CAMILLA if asker == BO else BO
            save_questions(
                session=s,
                member=person(s, asker),
                meeting=m2,
                now=datetime(2015, 11, 10, tzinfo=UTC),
                questions=[QuestionInput(1, "Hvordan?", ANNA, other)],
            )
        s.commit()
    run_pass(AFTER_2)
    (start,) = messages(slack, ANNA, "Tak for møde 2")
    assert start["text"] == "Tak for møde 2 — her er dine aftaler indtil næste gang."
    # The day after, the meeting's three questions, and the button to the short form.
    (ask,) = [b for b in start["blocks"] if b.get("block_id") == "between_reflection"]
    assert ask["text"]["text"].startswith("*Reflektér over møde 2:* hvad var fælles for alle")
    assert ask["accessory"]["action_id"] == "reflection_open"
    with session_factory() as s:
        assert json.loads(ask["accessory"]["value"])["meeting"] == meeting(s, 2).id
    with session_factory() as s:
        anna, bo = person(s, ANNA), person(s, BO)
        # Bo gives enough sparring and follows up; Anna does neither.
        log_sparring(
            session=s,
            member=bo,
            minutes=120,
            given_on=date(2015, 12, 1),
            receiver_ids=[ANNA],
            note="",
            now=datetime(2015, 12, 2, tzinfo=UTC),
        )
        log_followup(
            session=s,
            member=bo,
            on=date(2015, 12, 1),
            agreed="Ok",
            next_step="",
            now=datetime(2015, 12, 2, tzinfo=UTC),
        )
        s.commit()
        assert anna.id != bo.id
    slack.reset()
    report = run_pass(HALFWAY_2)
    assert report.of(NudgeKind.HALFWAY_SPARRING) == {"sent": 8, "skipped": 1}
    assert report.of(NudgeKind.HALFWAY_FOLLOWUP) == {"sent": 8, "skipped": 1}
    (halfway,) = calls(slack, ANNA, "Halvvejs:")
    text = "\n".join(b["text"]["text"] for b in halfway["blocks"] if b["type"] == "section")
    assert "du har givet 0 min af 2 t sparring" in text
    assert f"<@{BO}>, <@{CAMILLA}>" in text  # they had questions for her
    assert calls(slack, BO, "Halvvejs:") == [] and calls(slack, BO, "Har du fulgt op") == []
    slack.reset()
    run_pass(CLOSING_2)
    (closing,) = calls(slack, ANNA, "Perioden slutter om 7 dage")
    open_items = closing["blocks"][1]["text"]["text"]
    assert open_items.splitlines() == [
        "⬜ Sparring: 0 min af 2 t",
        "⬜ Opfølgning med din leder",
        "⬜ Spredning af en løsning fra netværket (hvis muligt)",
    ]
    (bo_closing,) = calls(slack, BO, "Perioden slutter om 7 dage")
    assert bo_closing["blocks"][1]["text"]["text"].splitlines() == [
        "⬜ Spredning af en løsning fra netværket (hvis muligt)"
    ]


def test_a_late_bot_sends_only_the_between_nudge_still_current(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    run_pass(HALFWAY_2 + timedelta(days=3))  # down since before meeting 2
    with session_factory() as s:
        kinds = {
            n.kind: n.status
            for n in s.scalars(
                select(Nudge).where(
                    Nudge.member_id == person(s, ANNA).id, Nudge.meeting_id == meeting(s, 2).id
                )
            )
        }
    assert NudgeKind.BETWEEN_START not in kinds  # stale once the halfway one is due
    assert kinds[NudgeKind.HALFWAY_SPARRING] is NudgeStatus.SENT


def test_sparring_notice_once_and_skipped_when_undone(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    now = datetime(2015, 10, 5, 8, tzinfo=UTC)
    with session_factory() as s:
        entry = log_sparring(
            session=s,
            member=person(s, ANNA),
            minutes=90,
            given_on=date(2015, 10, 2),
            receiver_ids=[BO, CAMILLA],
            note="borgerundersøgelse",
            now=now,
        )
        for receiver in entry.receivers:
            enqueue_notice(
                session=s,
                member_id=receiver.member_id,
                kind=NudgeKind.SPARRING_RECEIVED,
                ref=receiver.id,
                now=now,
            )
            enqueue_notice(
                session=s,
                member_id=receiver.member_id,  # a retry: no double
                kind=NudgeKind.SPARRING_RECEIVED,
                ref=receiver.id,
                now=now,
            )
        entry.removed_at = now  # undone before the pass: nobody hears about it
        s.commit()
    report = run_pass(now)
    assert report.of(NudgeKind.SPARRING_RECEIVED) == {"skipped": 2}
    with session_factory() as s:
        entry2 = log_sparring(
            session=s,
            member=person(s, ANNA),
            minutes=60,
            given_on=date(2015, 10, 3),
            receiver_ids=[BO],
            note="",
            now=now,
        )
        enqueue_notice(
            session=s,
            member_id=entry2.receivers[0].member_id,
            kind=NudgeKind.SPARRING_RECEIVED,
            ref=entry2.receivers[0].id,
            now=now,
        )
        s.commit()
    run_pass(now + timedelta(minutes=1))
    (notice,) = messages(slack, BO, f"<@{ANNA}> har registreret sparring med dig.")
    assert notice["text"] == f"<@{ANNA}> har registreret sparring med dig."
    assert run_pass(now + timedelta(minutes=2)).claimed == 0


def test_notice_goes_stale_after_two_weeks(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    now = datetime(2015, 10, 5, 8, tzinfo=UTC)
    with session_factory() as s:
        enqueue_notice(
            session=s, member_id=person(s, BO).id, kind=NudgeKind.SPREAD_NOTICE, ref=12345, now=now
        )
        s.commit()
    assert run_pass(now + timedelta(days=15)).of(NudgeKind.SPREAD_NOTICE) == {"stale": 1}


def test_readiness_report_and_weekly_digest_for_facilitators(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    monday = datetime(2015, 11, 2, 8, 0, tzinfo=UTC)  # 09:00 in Copenhagen
    report = run_pass(monday)
    assert report.of(NudgeKind.WEEKLY_DIGEST) == {"sent": 2}
    (digest,) = calls(slack, FACILITATOR, "Ugens overblik")
    assert digest["text"] == "Ugens overblik — Spredningsnetværk for offentlig innovation 2015–16"
    assert digest["blocks"][1]["text"]["text"].startswith("*Møde 2: Klagedrevet innovation*")
    assert run_pass(monday + timedelta(hours=3)).of(NudgeKind.WEEKLY_DIGEST) == {}  # once a week
    assert calls(slack, ANNA, "Ugens overblik") == []  # members do not get it
    slack.reset()
    report = run_pass(HEAD_COUNT_2)
    assert report.of(NudgeKind.READINESS_REPORT) == {"sent": 2}  # not the host contact
    (ready,) = calls(slack, FACILITATOR, "Klar til mødet?")
    texts = "\n".join(b["text"]["text"] for b in ready["blocks"])
    assert "*Møde 2: Klagedrevet innovation* (17. november 2015) — 10 medlemmer" in texts
    assert "*Bagud:*" in texts
    assert calls(slack, "U0HOST0001", "Klar til mødet?") == []


def test_weekly_digest_shares_a_linked_sister_networks_numbers(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    from models.network import Network, Role
    from tests.conftest import add_second_network

    monday = datetime(2015, 11, 2, 8, 0, tzinfo=UTC)
    with session_factory() as s:
        east = s.query(Network).one()
        add_second_network(
            s,
            key="vest-2015-16",
            name="Netværk Vest",
            theme="Vestmøde",
            sister_key=east.key,
            people=[("U0VESTMEM1", Role.MEMBER, "Vera Vest")],
        )
    run_pass(monday)  # only West names East: not mutual, nothing shared
    (digest,) = calls(slack, FACILITATOR, "Ugens overblik")
    assert "Søsternetværket" not in "\n".join(b["text"]["text"] for b in digest["blocks"])
    with session_factory() as s:
        s.query(Network).filter(Network.key != "vest-2015-16").one().sister_key = "vest-2015-16"
        s.commit()
    slack.reset()
    run_pass(monday + timedelta(days=7))
    (digest,) = calls(slack, FACILITATOR, "Ugens overblik")
    texts = [b["text"]["text"] for b in digest["blocks"]]
    sister_at = texts.index("*Søsternetværket: Netværk Vest* (kun tal)")
    assert texts[sister_at + 1].startswith("*Møde 1: Vestmøde*")
    assert "Vera Vest" not in "\n".join(texts)  # numbers only, nobody by name
