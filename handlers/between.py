"""Between meetings (B1–B3): the day after a meeting, halfway to the next, and a week before
it. Built here, sent by jobs/nudges.py; None when there is nothing to say."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from handlers.blocks import mrkdwn_section, plain
from handlers.catalogue import format_date, markup_join, mention, relative_day, t
from handlers.ids import Action, Block
from handlers.nudges import _later_buttons, days_until
from models.followup import followups_in_period
from models.network import Meeting, Member, period_for
from models.nudges import NudgeKind, period_end, schedule
from models.prep import question_agenda
from models.sparring import period_total
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


def _buttons(
    lang: str, nudge_id: int, meeting: Meeting, with_spread: bool = True
) -> dict[str, Any]:
    value = json.dumps({"nudge": nudge_id, "meeting": meeting.id})
    elements = [
        {
            "type": "button",
            "action_id": Action.OPEN_SPARRING,
            "text": plain(t(lang, "between.button.sparring")),
            "value": value,
        },
        {
            "type": "button",
            "action_id": Action.OPEN_FOLLOWUP,
            "text": plain(t(lang, "between.button.followup")),
            "value": value,
        },
    ]
    if with_spread:
        elements.append(
            {
                "type": "button",
                "action_id": Action.OPEN_SPREAD,
                "text": plain(t(lang, "between.button.spread")),
                "value": value,
            }
        )
    return {"type": "actions", "block_id": Block.BETWEEN_ACTIONS, "elements": elements}


def build_between_nudge(
    *,
    session: Session,
    kind: NudgeKind,
    member: Member,
    meeting: Meeting,
    nudge_id: int,
    now: datetime,
) -> dict[str, Any] | None:
    lang = member.lang
    network = member.network
    meeting_day = meeting.starts_at.astimezone(network.zone).date()
    period = period_for(network, meeting_day)
    if period is None:
        return None
    total = period_total(session=session, member=member, day=meeting_day)
    until, following = _until(lang, member, meeting)
    end = period_end(network, meeting, following)
    window = schedule(kind, meeting, following, network, member.zone)
    later = {
        "type": "actions",
        "block_id": Block.NUDGE_LATER,
        "elements": _later_buttons(
            lang,
            {"nudge": nudge_id, "meeting": meeting.id},
            member=member,
            now=now,
            before=window.stale_at if window is not None else end,
        ),
    }
    sparring = {"given_minutes": total.given_minutes, "target_minutes": total.target_minutes}
    if kind is NudgeKind.BETWEEN_START:
        return {
            "text": t(lang, "between.start.text", number=meeting.number),
            "blocks": [
                mrkdwn_section(
                    t(lang, "between.start", number=meeting.number, until=until, **sparring),
                    Block.BETWEEN_INTRO,
                ),
                {
                    "type": "context",
                    "elements": [{"type": "mrkdwn", "text": t(lang, "between.sparring_hint")}],
                },
                _buttons(lang, nudge_id, meeting),
                later,
            ],
        }
    followups = followups_in_period(session=session, member=member, period=period)
    if kind is NudgeKind.HALFWAY_SPARRING:
        if total.given_minutes >= total.target_minutes:
            return None
        askers = list(
            dict.fromkeys(
                i.asker.slack_user_id
                for i in question_agenda(session=session, member=member, meeting=meeting)
            )
        )
        blocks = [
            mrkdwn_section(
                t(lang, "between.halfway_sparring", until=until, **sparring), Block.BETWEEN_INTRO
            )
        ]
        if askers:
            blocks.append(
                mrkdwn_section(
                    t(
                        lang,
                        "between.halfway_sparring.who",
                        people=markup_join(", ", (mention(a) for a in askers[:MAX_ASKERS])),
                        more=t(
                            lang, "between.halfway_sparring.more", count=len(askers) - MAX_ASKERS
                        )
                        if len(askers) > MAX_ASKERS
                        else "",
                    )
                )
            )
        blocks += [
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": t(lang, "between.sparring_hint")}],
            },
            later,
        ]
        return {"text": t(lang, "between.halfway_sparring.text", **sparring), "blocks": blocks}
    if kind is NudgeKind.HALFWAY_FOLLOWUP:
        if followups:
            return None
        return {
            "text": t(lang, "between.halfway_followup.text"),
            "blocks": [
                mrkdwn_section(
                    t(lang, "between.halfway_followup", until=until), Block.BETWEEN_INTRO
                ),
                _buttons(lang, nudge_id, meeting, with_spread=False),
                later,
            ],
        }
    # PERIOD_CLOSING: what is still open.
    spread = [
        a
        for a in spread_actions(session=session, member=member)
        if meeting.starts_at <= a.created_at < end
    ]
    open_items = []
    if total.given_minutes < total.target_minutes:
        open_items.append(t(lang, "between.closing.sparring", **sparring))
    if not followups:
        open_items.append(t(lang, "between.closing.followup"))
    if not spread:
        open_items.append(t(lang, "between.closing.spread"))
    if not open_items:
        return None
    # To the next meeting's day, or to the season's last day (it ends at that day's end).
    if following is not None:
        days = days_until(member, end, now)
    else:
        days = (network.season_end - member.today(now)).days
    return {
        "text": t(lang, "between.closing.text", relative=relative_day(lang, days)),
        "blocks": [
            mrkdwn_section(
                t(
                    lang,
                    "between.closing",
                    relative=relative_day(lang, days, capital=True),
                    until=until,
                ),
                Block.BETWEEN_INTRO,
            ),
            mrkdwn_section("\n".join(open_items), Block.BETWEEN_OPEN),
            _buttons(lang, nudge_id, meeting),
            later,
        ],
    }
