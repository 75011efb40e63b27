"""Between meetings (B1–B3): the day after a meeting, halfway to the next, and a week before
it. Built here, sent by jobs/nudges.py; None when there is nothing to say."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.catalogue import format_date, markup_join, person, relative_day, t
from handlers.ids import Action, Block
from handlers.nudges import _later_buttons, days_until
from models.followup import followups_in_period
from models.network import Meeting, Member, period_for
from models.nudges import NudgeKind, period_end, schedule
from models.people import Person, person_of
from models.prep import question_agenda
from models.sparring import PeriodTotal, period_total
from models.spread import spread_actions

MAX_ASKERS = 20  # named in the halfway nudge; the rest are counted


def _until(lang: str, member: Member, meeting: Meeting) -> tuple[str, Meeting | None]:
    meetings = member.network.meetings
    following = next((m for m in meetings if m.number == meeting.number + 1), None)
    if following is not None:
        day = following.starts_at.astimezone(member.zone).date()
        return t(
            lang, "between.until_meeting", number=following.number, date=format_date(lang, day)
        ), following
    return t(
        lang, "between.until_season_end", date=format_date(lang, member.network.season_end)
    ), None


def _buttons(lang: str, nudge_id: int, meeting: Meeting, with_spread: bool = True) -> c.Buttons:
    value = json.dumps({"nudge": nudge_id, "meeting": meeting.id})
    buttons = [
        c.Button(t(lang, "between.button.sparring"), Action.OPEN_SPARRING, value, opens_form=True),
        c.Button(t(lang, "between.button.followup"), Action.OPEN_FOLLOWUP, value, opens_form=True),
    ]
    if with_spread:
        spread = c.Button(
            t(lang, "between.button.spread"), Action.OPEN_SPREAD, value, opens_form=True
        )
        buttons.append(spread)
    return c.Buttons(buttons, block=Block.BETWEEN_ACTIONS)


@dataclass(frozen=True)
class BetweenFacts:
    """What a between-meetings nudge shows, fetched once: the builders below only render it."""

    kind: NudgeKind
    member: Member
    meeting: Meeting
    following: Meeting | None
    end: datetime  # the period's end: the next meeting's start, or the season's last day
    stale_at: datetime
    nudge_id: int
    now: datetime
    total: PeriodTotal
    followups: int
    askers: list[Person]  # those whose questions aim at the member, in order
    spread: int  # spread actions logged since the meeting

    @property
    def lang(self) -> str:
        return self.member.lang

    @property
    def sparring(self) -> dict[str, int]:
        return {
            "given_minutes": self.total.given_minutes,
            "target_minutes": self.total.target_minutes,
        }

    @property
    def behind(self) -> bool:
        return self.total.given_minutes < self.total.target_minutes


def between_facts(
    *,
    session: Session,
    kind: NudgeKind,
    member: Member,
    meeting: Meeting,
    nudge_id: int,
    now: datetime,
) -> BetweenFacts | None:
    """Fetch what the nudge shows; None outside the season's periods."""
    network = member.network
    meeting_day = meeting.starts_at.astimezone(network.zone).date()
    period = period_for(network, meeting_day)
    if period is None:
        return None
    following = next((m for m in network.meetings if m.number == meeting.number + 1), None)
    end = period_end(network, meeting, following)
    window = schedule(kind, meeting, following, network, member.zone)
    askers: list[Person] = []
    if kind is NudgeKind.HALFWAY_SPARRING:
        agenda = question_agenda(session=session, member=member, meeting=meeting)
        askers = list(dict.fromkeys(person_of(i.asker) for i in agenda))
    spread = 0
    if BUILDERS.get(kind, _closing) is _closing:
        actions = spread_actions(session=session, member=member)
        spread = sum(1 for a in actions if meeting.starts_at <= a.created_at < end)
    return BetweenFacts(
        kind=kind,
        member=member,
        meeting=meeting,
        following=following,
        end=end,
        stale_at=window.stale_at if window is not None else end,
        nudge_id=nudge_id,
        now=now,
        total=period_total(session=session, member=member, day=meeting_day),
        followups=len(followups_in_period(session=session, member=member, period=period)),
        askers=askers,
        spread=spread,
    )


def build_between_nudge(
    *,
    session: Session,
    kind: NudgeKind,
    member: Member,
    meeting: Meeting,
    nudge_id: int,
    now: datetime,
) -> c.Message | None:
    """The between-meetings nudge of `kind`; None when there is nothing to say."""
    facts = between_facts(
        session=session, kind=kind, member=member, meeting=meeting, nudge_id=nudge_id, now=now
    )
    return render_between_nudge(facts) if facts is not None else None


def render_between_nudge(facts: BetweenFacts) -> c.Message | None:
    until, _ = _until(facts.lang, facts.member, facts.meeting)
    return BUILDERS.get(facts.kind, _closing)(facts, until)


def _later(facts: BetweenFacts) -> c.Buttons:
    buttons = _later_buttons(
        facts.lang,
        {"nudge": facts.nudge_id, "meeting": facts.meeting.id},
        member=facts.member,
        now=facts.now,
        before=facts.stale_at,
    )
    return c.Buttons(buttons, block=Block.NUDGE_LATER)


def _sparring_hint(lang: str) -> c.Note:
    return c.Note(t(lang, "between.sparring_hint"))


def _start(facts: BetweenFacts, until: str) -> c.Message | None:
    lang, number = facts.lang, facts.meeting.number
    intro = t(lang, "between.start", number=number, until=until, **facts.sparring)
    return c.Message(
        t(lang, "between.start.text", number=number),
        [
            c.Paragraph(intro, block=Block.BETWEEN_INTRO),
            reflection_prompt(lang, facts.nudge_id, facts.meeting),
            _sparring_hint(lang),
            _buttons(lang, facts.nudge_id, facts.meeting),
            _later(facts),
        ],
    )


def reflection_prompt(lang: str, nudge_id: int, meeting: Meeting) -> c.Paragraph:
    """The meeting's three questions, and the button that opens the short form."""
    value = json.dumps({"nudge": nudge_id, "meeting": meeting.id})
    button = c.Button(t(lang, "reflection.button"), Action.OPEN_REFLECTION, value, opens_form=True)
    return c.Paragraph(
        t(lang, "reflection.ask", number=meeting.number),
        button=button,
        block=Block.BETWEEN_REFLECTION,
    )


def _halfway_sparring(facts: BetweenFacts, until: str) -> c.Message | None:
    if not facts.behind:
        return None
    lang, askers = facts.lang, facts.askers
    intro = t(lang, "between.halfway_sparring", until=until, **facts.sparring)
    parts: list[c.Part] = [c.Paragraph(intro, block=Block.BETWEEN_INTRO)]
    if askers:
        more = len(askers) - MAX_ASKERS
        who = t(
            lang,
            "between.halfway_sparring.who",
            people=markup_join(", ", (person(lang, a) for a in askers[:MAX_ASKERS])),
            more=t(lang, "between.halfway_sparring.more", count=more) if more > 0 else "",
        )
        parts.append(c.Paragraph(who))
    parts += [_sparring_hint(lang), _later(facts)]
    return c.Message(t(lang, "between.halfway_sparring.text", **facts.sparring), parts)


def _halfway_followup(facts: BetweenFacts, until: str) -> c.Message | None:
    if facts.followups:
        return None
    lang = facts.lang
    return c.Message(
        t(lang, "between.halfway_followup.text"),
        [
            c.Paragraph(
                t(lang, "between.halfway_followup", until=until), block=Block.BETWEEN_INTRO
            ),
            _buttons(lang, facts.nudge_id, facts.meeting, with_spread=False),
            _later(facts),
        ],
    )


def _closing(facts: BetweenFacts, until: str) -> c.Message | None:
    """What is still open in the period, if anything."""
    lang, member, now = facts.lang, facts.member, facts.now
    open_items = []
    if facts.behind:
        open_items.append(t(lang, "between.closing.sparring", **facts.sparring))
    if not facts.followups:
        open_items.append(t(lang, "between.closing.followup"))
    if not facts.spread:
        open_items.append(t(lang, "between.closing.spread"))
    if not open_items:
        return None
    # To the next meeting's day, or to the season's last day (it ends at that day's end).
    if facts.following is not None:
        days = days_until(member, facts.end, now)
    else:
        days = (member.network.season_end - member.today(now)).days
    intro = t(lang, "between.closing", relative=relative_day(lang, days, capital=True), until=until)
    return c.Message(
        t(lang, "between.closing.text", relative=relative_day(lang, days)),
        [
            c.Paragraph(intro, block=Block.BETWEEN_INTRO),
            c.Paragraph("\n".join(open_items), block=Block.BETWEEN_OPEN),
            _buttons(lang, facts.nudge_id, facts.meeting),
            _later(facts),
        ],
    )


BUILDERS: dict[NudgeKind, Callable[[BetweenFacts, str], c.Message | None]] = {
    NudgeKind.BETWEEN_START: _start,
    NudgeKind.HALFWAY_SPARRING: _halfway_sparring,
    NudgeKind.HALFWAY_FOLLOWUP: _halfway_followup,
    NudgeKind.PERIOD_CLOSING: _closing,
}
