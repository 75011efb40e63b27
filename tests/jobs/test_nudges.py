"""The nudge pass against the local Slack stand-in: exactly once, whatever happens."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from jobs.nudges import LEASE, run_nudge_pass
from jobs.slack_messenger import SlackMessenger
from models.nudges import Nudge, NudgeKind, NudgeStatus
from models.prep import (
    ExampleInput,
    ExampleSource,
    QuestionInput,
    save_examples,
    save_manager_alignment,
    save_questions,
)
from tests.conftest import (
    ANNA,
    BO,
    CAMILLA,
    FACILITATOR,
    JENS,
    Rows,
    delete_rows,
    insert_rows,
    person,
    statements_on,
    table_rows,
)
from tests.jobs.conftest import Runner, standin_client
from tests.slack_standin import Reply, SlackStandIn, dm_channel, explode

# Meeting 2 is Tue 17 Nov 2015, 10:00 in Copenhagen. Kick-off: Tue 3 Nov, 09:00 local.
KICKOFF_CPH = datetime(2015, 11, 3, 8, 0, tzinfo=UTC)
KICKOFF_NY = datetime(2015, 11, 3, 14, 0, tzinfo=UTC)
REMINDER_CPH = datetime(2015, 11, 12, 8, 0, tzinfo=UTC)
LAST_CALL_CPH = datetime(2015, 11, 16, 8, 0, tzinfo=UTC)
MEETING_2 = datetime(2015, 11, 17, 9, 0, tzinfo=UTC)
COPENHAGEN_MEMBERS = 9  # the tenth, Jens, is in New York


PREP = (NudgeKind.PREP_KICKOFF, NudgeKind.PREP_REMINDER, NudgeKind.PREP_LAST_CALL)


@pytest.fixture(scope="session")
def since_november_rows() -> dict[str, Rows]:
    """The rows the pass of 2 Nov left, per database (filled on first use)."""
    return {}


@pytest.fixture(autouse=True)
def running_since_november(
    run_pass: Runner, slack: SlackStandIn, engine: Engine, since_november_rows: dict[str, Rows]
) -> None:
    """The bot ran on 2 Nov: what was due by then (the halfway nudges after meeting 1) is sent,
    so these tests see the preparation for meeting 2 on its own. That pass runs in each test
    database once; later tests get the rows it left put back, as the `network` fixture does
    (what the stand-in saw of it is forgotten either way)."""
    key = engine.url.render_as_string(hide_password=True)
    if key in since_november_rows:
        delete_rows(engine)
        insert_rows(engine, since_november_rows[key])
    else:
        run_pass(datetime(2015, 11, 2, 12, 0, tzinfo=UTC))
        since_november_rows[key] = table_rows(engine)
    slack.reset()


def posts(slack: SlackStandIn) -> list[dict[str, Any]]:
    return [p for c in slack.calls_to("chat.postMessage") for p in explode(c.params)]


def posted_to(slack: SlackStandIn, user: str) -> list[dict[str, Any]]:
    return [p for p in posts(slack) if p["channel"] == dm_channel(user)]


PREP_TEXTS = (
    "Møde 2 nærmer sig",
    "Møde 2 er om 5 dage",
    "Møde 2 er i morgen",
    "Meeting 2 is coming up",
    "Meeting 2 is in 5 days",
    "Meeting 2 is tomorrow",
)


def prep_posted_to(slack: SlackStandIn, user: str) -> list[dict[str, Any]]:
    return [p for p in posted_to(slack, user) if p["text"].startswith(PREP_TEXTS)]


def nudge_ids(slack: SlackStandIn) -> list[int]:
    """The nudge of every message Slack accepted (calls that Slack refused do not count)."""
    return [
        p["metadata"]["event_payload"]["nudge_id"]
        for messages in slack.posted.values()
        for m in messages
        for p in explode(m)
    ]


def statuses(session_factory: sessionmaker[Session]) -> dict[str, int]:
    """How many preparation nudges are in each state."""
    with session_factory() as s:
        rows = s.execute(
            select(Nudge.status, func.count()).where(Nudge.kind.in_(PREP)).group_by(Nudge.status)
        ).all()
        return {status.value: n for status, n in rows}


def prepare_fully(session: Session, slack_id: str, now: datetime) -> None:
    member = person(session, slack_id)
    meeting = next(m for m in member.network.meetings if m.number == 2)
    save_manager_alignment(
        session=session, member=member, meeting=meeting, aligned=True, agreed="Klar", now=now
    )
    others = [o for o in (ANNA, BO, CAMILLA) if o != slack_id]
    save_questions(
        session=session,
        member=member,
        meeting=meeting,
        now=now,
        questions=[QuestionInput(i, f"Spørgsmål {i}", others[0], others[1]) for i in (1, 2, 3)],
    )
    save_examples(
        session=session,
        member=member,
        meeting=meeting,
        now=now,
        examples=[ExampleInput("new", "Eksempel", "Idé", "", "", ExampleSource.OWN, False)],
    )
    session.commit()


def test_kickoff_goes_out_once_at_nine_local(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    assert run_pass(KICKOFF_CPH - timedelta(minutes=1)).claimed == 0
    report = run_pass(KICKOFF_CPH)
    assert report.of(*PREP) == {"sent": COPENHAGEN_MEMBERS}
    (anna_post,) = posted_to(slack, ANNA)
    assert anna_post["text"] == "Møde 2 nærmer sig — tid til at forberede dig."
    assert "*Møde 2 nærmer sig: Klagedrevet innovation*" in anna_post["blocks"][0]["text"]["text"]
    # Again, and again later the same morning: nothing new for Copenhagen.
    assert run_pass(KICKOFF_CPH).claimed == 0
    assert run_pass(KICKOFF_CPH + timedelta(hours=2)).claimed == 0
    # 09:00 in New York.
    assert run_pass(KICKOFF_NY).of(*PREP) == {"sent": 1}
    (jens_post,) = posted_to(slack, JENS)
    assert jens_post["text"] == "Meeting 2 is coming up — time to prepare."
    ids = nudge_ids(slack)
    assert len(ids) == len(set(ids)) == COPENHAGEN_MEMBERS + 1


def test_reminder_lists_only_what_is_missing_and_skips_the_prepared(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        prepare_fully(s, ANNA, KICKOFF_CPH)
        bo = person(s, BO)
        meeting = next(m for m in bo.network.meetings if m.number == 2)
        save_manager_alignment(
            session=s, member=bo, meeting=meeting, aligned=True, agreed="Ok", now=KICKOFF_CPH
        )
        s.commit()
    run_pass(KICKOFF_CPH)
    run_pass(KICKOFF_NY)
    assert posted_to(slack, ANNA) == []  # all done: no kick-off either
    slack.reset()
    report = run_pass(REMINDER_CPH)
    assert report.of(*PREP) == {"sent": COPENHAGEN_MEMBERS - 1, "skipped": 1}
    (bo_post,) = prep_posted_to(slack, BO)
    checklist = bo_post["blocks"][1]["text"]["text"]
    assert "leder" not in checklist  # done, so not listed
    assert "⬜ Notér tre spørgsmål" in checklist and "⬜ Find eksempler" in checklist
    with session_factory() as s:
        anna = person(s, ANNA)
        detail = s.scalar(
            select(Nudge.detail).where(
                Nudge.member_id == anna.id, Nudge.kind == NudgeKind.PREP_REMINDER
            )
        )
    assert detail == "nothing to do"


def test_down_while_due_sends_the_latest_and_supersedes_the_rest(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    back = REMINDER_CPH + timedelta(hours=3)  # down from before the kick-off until then
    # Copenhagen: kick-off and reminder are both due; only the reminder goes out. New York:
    # only the kick-off is due yet (the reminder is at 09:00 there).
    assert run_pass(back).of(*PREP) == {"sent": COPENHAGEN_MEMBERS + 1}
    texts = [p["text"] for p in posts(slack)]  # (attendance and period closing are due too)
    reminders = ("Møde 2 er om 5 dage", "Meeting 2 is in 5 days")  # Frederik: English
    assert sum(t.startswith(reminders) for t in texts) == COPENHAGEN_MEMBERS
    assert "Meeting 2 is coming up — time to prepare." in [
        p["text"] for p in posted_to(slack, JENS)
    ]
    with session_factory() as s:
        prep = s.execute(
            select(Nudge.status, func.count()).where(Nudge.kind.in_(PREP)).group_by(Nudge.status)
        ).all()
    assert {st.value: n for st, n in prep} == {
        "sent": COPENHAGEN_MEMBERS + 1,
        "superseded": COPENHAGEN_MEMBERS,
    }
    assert run_pass(back + timedelta(minutes=1)).claimed == 0


def test_down_until_the_meeting_sends_nothing_stale(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    assert run_pass(MEETING_2 + timedelta(minutes=5)).claimed == 0
    assert posts(slack) == []
    # A nudge that was pending (say, waiting out Slack trouble) when the meeting began:
    with session_factory() as s:
        anna = person(s, ANNA)
        meeting = next(m for m in anna.network.meetings if m.number == 2)
        s.add(
            Nudge(
                member_id=anna.id,
                meeting_id=meeting.id,
                kind=NudgeKind.PREP_LAST_CALL,
                due_at=LAST_CALL_CPH,
                created_at=LAST_CALL_CPH,
            )
        )
        s.commit()
    assert run_pass(MEETING_2 + timedelta(minutes=5)).outcomes == {"stale": 1}
    assert posts(slack) == []


class SimulatedCrash(BaseException):
    """The process dies: nothing after this point runs (not an Exception, so not handled)."""


class CrashAfterPost(WebClient):
    def chat_postMessage(self, **kwargs: Any) -> Any:
        super().chat_postMessage(**kwargs)
        raise SimulatedCrash


class CrashBeforePost(WebClient):
    def chat_postMessage(self, **kwargs: Any) -> Any:
        raise SimulatedCrash


@pytest.mark.parametrize("crash", [CrashAfterPost, CrashBeforePost])
def test_crash_mid_send_neither_doubles_nor_drops(
    run_pass: Runner,
    slack: SlackStandIn,
    session_factory: sessionmaker[Session],
    crash: type[WebClient],
) -> None:
    crashing = crash(token="xoxb-jobs", base_url=slack.url)
    with pytest.raises(SimulatedCrash):
        run_pass(KICKOFF_CPH, client_=crashing, instance="dies")
    stuck = statuses(session_factory)
    assert stuck["sending"] == COPENHAGEN_MEMBERS  # the whole batch was claimed
    sent_before = len(posts(slack))
    assert sent_before == (1 if crash is CrashAfterPost else 0)
    # A restart inside the lease leaves the claims alone …
    assert run_pass(KICKOFF_CPH + timedelta(minutes=1), instance="restarted").claimed == 0
    # … after it, each claim is checked against Slack before anything is sent again.
    later = KICKOFF_CPH + LEASE + timedelta(minutes=1)
    report = run_pass(later, instance="restarted")
    assert report.outcomes == {"sent": COPENHAGEN_MEMBERS}
    ids = nudge_ids(slack)
    assert len(ids) == len(set(ids)) == COPENHAGEN_MEMBERS
    assert statuses(session_factory) == {"sent": COPENHAGEN_MEMBERS}


def test_rate_limits_server_errors_and_permanent_errors(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:  # three members keep the scripted order readable
        for slack_id in (
            "U0DAVID004",
            "U0EMMA0005",
            "U0FREDE006",
            "U0GRETHE07",
            "U0HANS0008",
            "U0IDA00009",
        ):
            person(s, slack_id).active = False
        s.commit()
    slack.script(
        "chat.postMessage",
        # Anna: Slack says "later"; the pass goes on with the others, and comes back to her
        # after the 1 s Slack asks for.
        Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}),
        # Bo: a server error. Slack may have posted it anyway, so no blind retry now.
        Reply(500, {"ok": False, "error": "internal_error"}),
    )
    slack.script(
        "conversations.open",
        Reply(body={"ok": True, "channel": {"id": dm_channel(ANNA)}}),
        Reply(body={"ok": True, "channel": {"id": dm_channel(BO)}}),
        Reply(body={"ok": False, "error": "user_not_found"}),  # Camilla: gone for good
    )
    report = run_pass(KICKOFF_CPH)
    assert report.outcomes == {"ratelimited": 1, "sent": 1, "retry": 1, "failed": 1}
    assert len(posted_to(slack, ANNA)) == 2  # the 429 and the retry
    with session_factory() as s:
        camilla = person(s, CAMILLA)
        failed = s.scalars(
            select(Nudge).where(Nudge.member_id == camilla.id, Nudge.kind == NudgeKind.PREP_KICKOFF)
        ).one()
    assert (failed.status, failed.detail) == (NudgeStatus.FAILED, "user_not_found")
    # Bo's turn comes again after the back-off; the DM is checked, then it is sent.
    assert run_pass(KICKOFF_CPH + timedelta(minutes=3)).outcomes == {"sent": 1}
    assert [c.params["channel"] for c in slack.calls_to("conversations.history")] == [
        dm_channel(BO)
    ]
    assert len(slack.posted[dm_channel(BO)]) == 1
    assert run_pass(KICKOFF_CPH + timedelta(hours=1)).claimed == 0  # Camilla: not retried


def test_passing_trouble_is_retried_later_without_doubling(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    slack.script("chat.postMessage", Reply(503, {"ok": False, "error": "service_unavailable"}))
    report = run_pass(KICKOFF_CPH)
    assert report.outcomes == {"retry": 1, "sent": COPENHAGEN_MEMBERS - 1}
    assert run_pass(KICKOFF_CPH + timedelta(seconds=30)).claimed == 0  # backing off
    assert run_pass(KICKOFF_CPH + timedelta(minutes=3)).outcomes == {"sent": 1}
    ids = nudge_ids(slack)
    assert len(ids) == len(set(ids)) == COPENHAGEN_MEMBERS
    # It checked the DM's history before sending again.
    assert len(slack.calls_to("conversations.history")) == 1


def test_a_timeout_after_slack_took_the_message_is_not_sent_twice(
    slack: SlackStandIn, session_factory: sessionmaker[Session], network: object
) -> None:
    impatient = standin_client(slack, timeout=0.5)
    slack.slow_down("chat.postMessage", 1.5)  # Slack posts it, but answers too late
    report = run_nudge_pass(
        session_factory=session_factory,
        messenger=SlackMessenger(impatient),
        now=KICKOFF_CPH,
        refresh_zones=False,
    )
    assert report.outcomes == {"retry": 1, "sent": COPENHAGEN_MEMBERS - 1}
    with session_factory() as s:  # looked at again two minutes later (as the README says)
        (waiting,) = s.scalars(select(Nudge).where(Nudge.status == NudgeStatus.PENDING)).all()
        assert waiting.next_attempt_at is not None
        assert waiting.next_attempt_at - KICKOFF_CPH < timedelta(minutes=2, seconds=10)
    later = run_nudge_pass(
        session_factory=session_factory,
        messenger=SlackMessenger(impatient),
        now=KICKOFF_CPH + timedelta(minutes=2, seconds=10),
        refresh_zones=False,
    )
    assert later.outcomes == {"sent": 1}
    ids = nudge_ids(slack)
    assert len(ids) == len(set(ids)) == COPENHAGEN_MEMBERS  # found posted, not re-sent
    with session_factory() as s:
        details = s.scalars(select(Nudge.detail).where(Nudge.status == NudgeStatus.SENT)).all()
    assert details.count("found posted") == 1


def test_time_zones_come_from_slack_and_the_file_wins(
    slack: SlackStandIn, session_factory: sessionmaker[Session], network: object
) -> None:
    from jobs.nudges import refresh_time_zones

    slack.script("users.info", *[Reply(body={"ok": True, "user": {"tz": "Europe/London"}})] * 20)
    zones = SlackMessenger(standin_client(slack))
    with session_factory() as s:
        assert refresh_time_zones(session=s, messenger=zones, now=KICKOFF_CPH) == 13
        anna, jens = person(s, ANNA), person(s, JENS)
        assert anna.slack_timezone == "Europe/London" and anna.zone.key == "Europe/London"
        assert jens.zone.key == "America/New_York"  # set in the network file
        # Checked at most weekly.
        assert refresh_time_zones(session=s, messenger=zones, now=KICKOFF_CPH) == 0


def test_away_members_get_nothing(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        person(s, ANNA).away_until = date(2015, 11, 3)
        s.commit()
    run_pass(KICKOFF_CPH)
    assert posted_to(slack, ANNA) == []
    run_pass(REMINDER_CPH)
    assert len(prep_posted_to(slack, ANNA)) == 1  # back again


def test_question_agenda_the_day_before(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s:
        prepare_fully(s, ANNA, KICKOFF_CPH)  # asks Bo (primary) and Camilla (secondary)
    run_pass(LAST_CALL_CPH)
    (bo_agenda,) = [p for p in posted_to(slack, BO) if p["text"].startswith("Du har")]
    assert bo_agenda["text"] == "Du har 3 spørgsmål til dig på møde 2 i morgen."
    text = "\n".join(b["text"]["text"] for b in bo_agenda["blocks"])
    assert f"• <@{ANNA}> spørger dig: “Spørgsmål 1”" in text
    camilla = [p for p in posted_to(slack, CAMILLA) if p["text"].startswith("Du har")]
    assert "som sekundær" in "\n".join(b["text"]["text"] for b in camilla[0]["blocks"])
    assert [p for p in posted_to(slack, ANNA) if p["text"].startswith("Du har")] == []


def test_a_claim_is_only_taken_once(
    session_factory: sessionmaker[Session], network: object, run_pass: Runner
) -> None:
    from jobs.nudges import claim_due_nudges, plan_due_nudges

    with session_factory() as s:
        plan_due_nudges(session=s, now=KICKOFF_CPH)
    with session_factory() as a, session_factory() as b:
        first = claim_due_nudges(session=a, now=KICKOFF_CPH, instance="a", limit=100)
        second = claim_due_nudges(session=b, now=KICKOFF_CPH, instance="b", limit=100)
    assert len(first) == COPENHAGEN_MEMBERS and second == []
    with session_factory() as s:
        s.execute(update(Nudge).values(status=NudgeStatus.PENDING))
        s.commit()


def test_a_long_outage_delays_nudges_but_loses_none(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    """Slack down for five hours (answers 503 to every post): the kick-off keeps being tried
    while it is still relevant, and goes out once when Slack is back."""
    slack.plan("chat.postMessage", lambda call: Reply(503, {"ok": False, "error": "down"}))
    now = KICKOFF_CPH
    while now < KICKOFF_CPH + timedelta(hours=5):
        run_pass(now)
        now += timedelta(minutes=10)
    assert statuses(session_factory) == {"pending": COPENHAGEN_MEMBERS}
    slack.plan("chat.postMessage", lambda call: None)  # back
    run_pass(now + timedelta(hours=1))  # (Jens's kick-off is due in New York by then too)
    assert statuses(session_factory) == {"sent": COPENHAGEN_MEMBERS + 1}
    ids = nudge_ids(slack)
    assert len(ids) == len(set(ids)) == COPENHAGEN_MEMBERS + 1


def test_who_could_not_be_reached_is_named_in_the_digest(
    run_pass: Runner, slack: SlackStandIn, session_factory: sessionmaker[Session]
) -> None:
    """Anna's DM fails on every try until meeting 2 starts: her preparation nudges go stale as
    unreached, and the facilitators' next weekly digest names her."""
    anna_dm = dm_channel(ANNA)
    slack.unreachable.add(anna_dm)
    now = KICKOFF_CPH
    while now < MEETING_2 + timedelta(hours=12):
        run_pass(now)
        now += timedelta(hours=6)
    assert slack.posted.get(anna_dm) is None
    with session_factory() as s:
        anna = person(s, ANNA)
        rows = s.scalars(select(Nudge).where(Nudge.member_id == anna.id)).all()
        stale = [r for r in rows if r.status is NudgeStatus.STALE]
    assert stale and all((r.detail or "").startswith("unreached:") for r in stale)
    slack.reset()  # (Anna's DM works again, but nothing of hers is relevant any more)
    run_pass(datetime(2015, 11, 23, 8, 0, tzinfo=UTC))  # Monday: the weekly digest
    digests = [p for p in posted_to(slack, FACILITATOR) if p["text"].startswith("Ugens")]
    assert digests
    text = "\n".join(b["text"]["text"] for b in digests[0]["blocks"] if b.get("text"))
    assert f"Kunne ikke nås i Slack:* <@{ANNA}>" in text


def test_a_dropped_users_info_does_not_stop_the_pass(
    slack: SlackStandIn, session_factory: sessionmaker[Session], network: object
) -> None:
    slack.script("users.info", Reply(accept=True, drop=True))
    report = run_nudge_pass(
        session_factory=session_factory,
        messenger=SlackMessenger(standin_client(slack)),
        now=KICKOFF_CPH,
    )
    assert report.outcomes == {"sent": COPENHAGEN_MEMBERS}
    with session_factory() as s:  # nobody marked as checked: all asked again next time
        assert person(s, ANNA).slack_timezone_checked_at is None


def test_a_pass_that_finds_everything_due_planned_writes_nothing(
    session_factory: sessionmaker[Session], engine: Engine
) -> None:
    """The pass runs every minute: once what is due is in the outbox (here the weekly digest on
    its Monday, and the between-meeting nudges still open), a pass plans nothing and neither
    inserts nor commits, all day long."""
    from jobs.nudges import plan_due_nudges

    monday_nine = datetime(2015, 11, 9, 8, 0, tzinfo=UTC)  # 09:00 in Copenhagen
    with session_factory() as s:
        assert plan_due_nudges(session=s, now=monday_nine) > 0
        this_week = (Nudge.kind == NudgeKind.WEEKLY_DIGEST) & (Nudge.seq == 201546)
        assert s.scalar(select(func.count()).where(this_week)) == 2  # the two facilitators
    with statements_on(engine, commits=True) as seen:
        for hour in range(1, 20):  # all within the digest's window (until Tuesday 09:00)
            with session_factory() as s:
                assert plan_due_nudges(session=s, now=monday_nine + timedelta(hours=hour)) == 0
    assert not [s for s in seen if s == "COMMIT" or s.lstrip().upper()[:6] != "SELECT"]
    # Every pass had something due (the digests at least) and asked the outbox about it.
    assert len([s for s in seen if "FROM nudge" in s]) == 19, seen
    with session_factory() as s:
        assert s.scalar(select(func.count()).where(this_week)) == 2
