"""From the season's last meeting into the next season, hour by hour with a controlled clock:
the renewal vote goes out once the working day after the last meeting, its reminder the day
before the deadline to those who have not voted, the seat claims when the next season opens;
at the claim deadline the claimants become the new season's members, and from then on the old
season sends nothing — only the new one does."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from handlers import conversation as c
from handlers.ids import Action
from models.errors import InputError
from models.network import Member, Network, Role
from models.nudges import Nudge, NudgeKind, NudgeStatus, enqueue_notice
from models.renewal import (
    RenewalChoice,
    SeasonPlan,
    cast_vote,
    claim_seat,
    open_next_season,
    set_renewal_deadline,
)
from tests.conftest import ANNA, BO, CAMILLA, JENS, person
from tests.jobs.conftest import Runner
from tests.jobs.fake_messenger import FakeMessenger

PLAN = SeasonPlan(
    key="coi-spredning-2016-17",
    name="Spredningsnetværk 2016–17",
    season_start=date(2016, 9, 1),
    season_end=date(2017, 5, 31),
    meeting_days=[date(2016, 9, 20), date(2016, 11, 15), date(2017, 2, 28), date(2017, 4, 25)],
    claim_deadline=date(2016, 6, 15),
)


def walk(run: Runner, start: datetime, end: datetime) -> datetime:
    now = start
    while now < end:
        run(now)
        now += timedelta(hours=1)
    return end


def sent(s: Session, kind: NudgeKind) -> list[Nudge]:
    return list(
        s.scalars(select(Nudge).where(Nudge.kind == kind, Nudge.status == NudgeStatus.SENT))
    )


def old_members(s: Session, network_id: int) -> list[Member]:
    return list(
        s.scalars(
            select(Member).where(
                Member.network_id == network_id,
                Member.role == Role.MEMBER,
                Member.active.is_(True),
            )
        )
    )


def actions(fake: FakeMessenger) -> set[str]:
    return {
        b.action
        for p in fake.posted
        for part in p.message.parts
        if isinstance(part, c.Buttons)
        for b in part.buttons
    }


def vote_and_remind(run: Runner, fake: FakeMessenger, factory: sessionmaker[Session]) -> None:
    now = walk(run, datetime(2016, 4, 27, tzinfo=UTC), datetime(2016, 5, 2, 6, tzinfo=UTC))
    with factory() as s:
        anna = person(s, ANNA)
        members = old_members(s, anna.network_id)
        votes = sent(s, NudgeKind.RENEWAL_VOTE)
        assert sorted(v.member_id for v in votes) == sorted(m.id for m in members)
        for vote in votes:  # Friday 29 April, 09:00 in each member's own zone
            local = vote.sent_at.astimezone(vote.member.zone) if vote.sent_at else None
            assert local is not None and (local.date(), local.hour) == (date(2016, 4, 29), 9)
        assert {Action.RENEWAL_YES, Action.RENEWAL_NO, Action.RENEWAL_UNSURE} <= actions(fake)
        set_renewal_deadline(session=s, network=anna.network, day=date(2016, 5, 20), now=now)
        cast_vote(session=s, member=anna, choice=RenewalChoice.YES, now=now)
        cast_vote(session=s, member=person(s, BO), choice=RenewalChoice.NO, now=now)
        s.commit()
    walk(run, now, datetime(2016, 5, 21, 6, tzinfo=UTC))
    with factory() as s:
        anna, bo = person(s, ANNA), person(s, BO)
        reminded = sent(s, NudgeKind.RENEWAL_REMINDER)
        others = {m.id for m in old_members(s, anna.network_id)} - {anna.id, bo.id}
        assert {r.member_id for r in reminded} == others and len(reminded) == len(others)
        jens = next(r for r in reminded if r.member_id == person(s, JENS).id)
        assert jens.sent_at is not None and jens.sent_at.astimezone(jens.member.zone).hour == 9
        assert jens.sent_at.astimezone(jens.member.zone).date() == date(2016, 5, 19)
        with pytest.raises(InputError):  # the vote has closed
            cast_vote(
                session=s,
                member=anna,
                choice=RenewalChoice.NO,
                now=datetime(2016, 5, 21, 8, tzinfo=UTC),
            )


def test_from_the_last_meeting_to_the_next_season(
    run_fake_pass: Runner, fake: FakeMessenger, session_factory: sessionmaker[Session]
) -> None:
    vote_and_remind(run_fake_pass, fake, session_factory)
    now = datetime(2016, 6, 1, 8, tzinfo=UTC)
    with session_factory() as s:
        old = person(s, ANNA).network
        old_id = old.id
        new = open_next_season(session=s, previous=old, plan=PLAN, now=now)
        new_id = new.id
        s.commit()
    now = walk(run_fake_pass, now, datetime(2016, 6, 2, 8, tzinfo=UTC))
    with session_factory() as s:
        claims = sent(s, NudgeKind.SEAT_CLAIM)
        assert sorted(n.member_id for n in claims) == sorted(m.id for m in old_members(s, old_id))
        assert {Action.CLAIM_SEAT, Action.CLAIM_DECLINE} <= actions(fake)
        new = s.get(Network, new_id)
        assert new is not None
        for who, takes in ((ANNA, True), (CAMILLA, True), (BO, False)):
            claim_seat(session=s, member=person(s, who), new=new, takes_seat=takes, now=now)
        s.commit()
    now = walk(run_fake_pass, now, datetime(2016, 6, 17, tzinfo=UTC))
    with session_factory() as s:
        old = s.get(Network, old_id)
        assert old is not None and old.closed_at == datetime(2016, 6, 15, 22, tzinfo=UTC)
        new_people = old_members(s, new_id)
        assert sorted(m.slack_user_id or "" for m in new_people) == sorted([ANNA, CAMILLA])
        # Told once each, through the outbox: the facilitators how the seats went, Anna and
        # Camilla that their seat is confirmed.
        report = sent(s, NudgeKind.ROLLOVER_REPORT)
        facilitators = [p for p in s.get(Network, new_id).people if p.role is Role.FACILITATOR]  # type: ignore[union-attr]
        assert sorted(n.member_id for n in report) == sorted(p.id for p in facilitators)
        confirmed = sent(s, NudgeKind.SEAT_CONFIRMED)
        assert sorted(n.member_id for n in confirmed) == sorted(m.id for m in new_people)
        texts = [p.message.summary for p in fake.posted]
        settled = (f"{PLAN.name}: pladserne er på plads", f"{PLAN.name}: the seats are settled")
        assert sum(texts.count(x) for x in settled) == len(facilitators)
        assert texts.count(f"Din plads i {PLAN.name} er bekræftet") == 2
        bo = next(m for m in old.people if m.slack_user_id == BO)
        # Something still queued for the old season is not sent.
        enqueue_notice(session=s, member_id=bo.id, kind=NudgeKind.SPARRING_RECEIVED, ref=1, now=now)
        s.commit()
        bo_id, last_id = bo.id, max(s.scalars(select(Nudge.id)))
    walk(run_fake_pass, now, now + timedelta(hours=2))
    walk(run_fake_pass, datetime(2016, 9, 1, tzinfo=UTC), datetime(2016, 9, 21, tzinfo=UTC))
    with session_factory() as s:
        late = s.scalars(select(Nudge).where(Nudge.id >= last_id)).all()
        notice = next(n for n in late if n.member_id == bo_id)
        assert (notice.status, notice.detail) == (NudgeStatus.SKIPPED, "season closed")
        # After the rollover only the new season's people hear from the bot.
        after = [n for n in late if n.id > last_id]
        assert after and {n.member.network_id for n in after} == {new_id}
        kickoffs = [n for n in after if n.kind is NudgeKind.PREP_KICKOFF]
        assert sorted(n.member.slack_user_id or "" for n in kickoffs) == sorted([ANNA, CAMILLA])
        assert all(n.status is NudgeStatus.SENT for n in kickoffs)
