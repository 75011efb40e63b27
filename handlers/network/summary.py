"""`/network summary` and `disputes`, and the facilitator's digest: how the network is doing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import Ack
from sqlalchemy.orm import Session

from handlers import conversation as c
from handlers.blocks import cut_mrkdwn
from handlers.catalogue import (
    Mrkdwn,
    format_date,
    format_decimal_for,
    markup_join,
    person,
    t,
)
from handlers.context import scope_of
from handlers.ids import Action
from handlers.network.charts import preparation_picture, season_picture
from handlers.network.common import (
    MAX_BLOCKS,
    Asking,
    facilitated_network,
    facilitator_in,
    member_by_mention,
    sections,
)
from handlers.parsing import escape_slack, excerpt
from handlers.render import dispute_parts, render_period
from handlers.renewal import digest_lines
from models.errors import InputError
from models.exchange import Shared, WeekExchange, week_exchange
from models.network import Meeting, Member, Network, sister_of
from models.nudges import unreached_members
from models.people import person_of
from models.sparring import SparringReceiver, is_open_dispute, resolve_dispute
from models.summary import (
    MemberLine,
    Summary,
    meeting_summary,
    next_meeting_for_summary,
)

log = logging.getLogger(__name__)


DISPUTES_IN_SUMMARY = 3


# The digest names who could not be reached this past week (and a day: better twice than never).
UNREACHED_SINCE = timedelta(days=8)


def _mark(done: bool) -> str:
    return "✅" if done else "⬜"


def _percent(rate: float) -> int:
    return round(rate * 100)


def render_line(lang: str, line: MemberLine) -> str:
    attendance = line.attendance.value if line.attendance else "none"
    return t(
        lang,
        "network.summary.line",
        name=escape_slack(line.member.name),
        organisation=escape_slack(line.member.organisation or "—"),
        p1=_mark(line.p1),
        p2=_mark(line.p2),
        p3=_mark(line.p3),
        questions=line.questions,
        given_minutes=line.given_minutes,
        received_minutes=line.received_minutes,
        followup=_mark(line.followups > 0),
        spread=line.spread,
        attendance=t(lang, f"network.attendance.{attendance}"),
    )


def dispute_overview(
    lang: str, disputes: list[SparringReceiver], shown: int, more_key: str
) -> list[c.Part]:
    """Open disputes, each with Keep / Remove, the first `shown` of them; then how many more."""
    if not disputes:
        return []
    parts: list[c.Part] = [c.Paragraph(t(lang, "network.disputes.header", count=len(disputes)))]
    for receiver in disputes[:shown]:
        parts += dispute_parts(lang, receiver)
    if len(disputes) > shown:
        parts.append(c.Paragraph(t(lang, more_key, count=len(disputes) - shown)))
    return parts


def disputes_parts(lang: str, disputes: list[SparringReceiver]) -> list[c.Part]:
    """`/network disputes`: every open dispute (as many as fit), to settle one by one."""
    if not disputes:
        return [c.Paragraph(t(lang, "network.disputes.none"))]
    fit = (MAX_BLOCKS - 2) // 2
    return dispute_overview(lang, disputes, fit, "network.disputes.more_later")


def settle_dispute(
    *, session: Session, by: Member, value: str | None, remove: bool, now: datetime, lang: str
) -> str:
    """A facilitator (`by`) keeps or removes the disputed entry a button (`value`) names,
    checked again here; what to tell them."""
    receiver = session.get(SparringReceiver, int(value or 0))
    if receiver is None or receiver.member.network_id != by.network_id:
        return t(lang, "network.error.unknown_member")
    if not is_open_dispute(receiver):
        return t(lang, "notice.dispute.closed")
    resolve_dispute(session=session, receiver=receiver, by=by, remove=remove, now=now)
    session.commit()
    log.info("dispute %s settled by %s remove=%s", receiver.id, by.id, remove)
    entry = receiver.entry
    key = "notice.dispute.removed" if remove else "notice.dispute.kept"
    return t(lang, key, minutes=entry.minutes, day=entry.given_on)


def handle_dispute_decision(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """A facilitator keeps or removes a disputed entry (see `settle_dispute`)."""
    scope = scope_of(context)
    network = facilitated_network(scope)
    ack()
    if network is None:
        context["reply"] = t(scope.lang, "network.not_allowed")
        return
    action = body["actions"][0]
    context["reply"] = settle_dispute(
        session=scope.db,
        by=facilitator_in(scope, network),
        value=action.get("value"),
        remove=action["action_id"] == Action.DISPUTE_REMOVE,
        now=scope.now,
        lang=scope.lang,
    )


def render_summary(lang: str, summary: Summary, budget: int = MAX_BLOCKS) -> list[c.Part]:
    """A meeting's overview in at most `budget` parts (a longer list says what is left out)."""
    meeting, network = summary.meeting, summary.network
    members = len(summary.lines)
    answers = [line.attendance.value if line.attendance else None for line in summary.lines]
    header = t(
        lang,
        "network.summary.header",
        number=meeting.number,
        theme=escape_slack(meeting.theme),
        date=format_date(lang, meeting.starts_at.astimezone(network.zone).date()),
        members=members,
    )
    totals = t(
        lang,
        "network.summary.totals",
        members=members,
        prepared=sum(1 for line in summary.lines if line.prepared),
        prepared_rate=_percent(summary.rate("prepared")),
        p1=_percent(summary.rate("p1")),
        p2=_percent(summary.rate("p2")),
        p3=_percent(summary.rate("p3")),
        period=render_period(lang, summary.period),
        target_met=summary.sparring_target_met,
        total_minutes=sum(line.given_minutes for line in summary.lines),
        followups=sum(1 for line in summary.lines if line.followups),
        spread=sum(line.spread for line in summary.lines),
        yes=answers.count("yes"),
        substitute=answers.count("substitute"),
        no=answers.count("no"),
        unanswered=answers.count(None),
    )
    parts: list[c.Part] = [c.Paragraph(header), c.Paragraph(totals)]
    parts += dispute_overview(lang, summary.disputes, DISPUTES_IN_SUMMARY, "network.disputes.more")
    behind = summary.behind
    if not behind:
        parts.append(c.Paragraph(t(lang, "network.summary.nobody_behind")))
        return parts
    parts.append(c.Paragraph(t(lang, "network.summary.behind")))
    lines = [render_line(lang, line) for line in behind]
    return parts + sections(lang, lines, budget - len(parts))


def _meeting_by_number(network: Network, text: str) -> Any:
    try:
        number = int(text)
    except ValueError:
        number = -1
    meeting = next((m for m in network.meetings if m.number == number), None)
    if meeting is None:
        raise InputError("network.error.unknown_meeting", value=text, count=len(network.meetings))
    return meeting


def summary_parts(
    scope: Asking, lang: str, network: Network, args: list[str]
) -> list[c.Part] | c.Message:
    """`/network summary [meeting N | season | @member]`: fetch the summaries asked for, then
    render them (the season with its chart)."""

    def summary_of(meeting: Meeting) -> Summary:
        return meeting_summary(session=scope.db, network=network, meeting=meeting)

    word = args[0].lower() if args else ""
    if not args:
        meeting = next_meeting_for_summary(network, scope.now.astimezone(network.zone).date())
        assert meeting is not None, "a network has at least one meeting"
        return render_summary(lang, summary_of(meeting))
    if word in {"meeting", "møde", "mode"} and len(args) > 1:
        return render_summary(lang, summary_of(_meeting_by_number(network, args[1])))
    if word in {"season", "sæson", "saeson"}:
        return render_season(lang, network, [summary_of(m) for m in network.meetings])
    member = member_by_mention(network, args[0])
    if member is None:
        raise InputError("network.error.unknown_member")
    return render_member_season(lang, member, [summary_of(m) for m in network.meetings])


def render_season(lang: str, network: Network, summaries: list[Summary]) -> c.Message:
    """The season at a glance: one line per meeting, and the chart of sparring per member
    before each meeting against the target."""
    lines: list[str] = []
    for s in summaries:
        answers = [ln.attendance.value if ln.attendance else None for ln in s.lines]
        lines.append(
            t(
                lang,
                "network.season.line",
                number=s.meeting.number,
                date=format_date(lang, s.meeting.starts_at.astimezone(network.zone).date()),
                prepared=sum(1 for ln in s.lines if ln.prepared),
                members=len(s.lines),
                target_met=s.sparring_target_met,
                followups=sum(1 for ln in s.lines if ln.followups),
                yes=answers.count("yes"),
                hours=format_decimal_for(lang, s.hours_per_member),
            )
        )
    title = t(lang, "network.season.header", network=escape_slack(network.name))
    parts: list[c.Part] = [c.Paragraph(title), *sections(lang, lines, MAX_BLOCKS)]
    picture = season_picture(lang, network, summaries)
    return c.Message(cut_mrkdwn(title, 300), parts, pictures=[picture])


def render_member_season(lang: str, member: Member, summaries: list[Summary]) -> list[c.Part]:
    """One member through the season: their line of each meeting's summary."""
    lines = []
    for s in summaries:
        line = next((ln for ln in s.lines if ln.member.id == member.id), None)
        if line is not None:
            text = Mrkdwn(render_line(lang, line)[2:])  # without its bullet
            lines.append(t(lang, "network.member.line", number=s.meeting.number, line=text))
    header = t(
        lang,
        "network.member.header",
        name=escape_slack(member.name),
        organisation=escape_slack(member.organisation or "—"),
        manager=escape_slack(member.manager_name or "—"),
    )
    return [c.Paragraph(header), *sections(lang, lines, MAX_BLOCKS)]


def render_unreached(lang: str, people: list[tuple[Member, int]]) -> list[c.Part]:
    """Members whom the bot's messages could not reach this past week, for the facilitator."""
    if not people:
        return []
    names = markup_join(", ", (Mrkdwn(f"{person(lang, person_of(m))} ({n:d})") for m, n in people))
    return [c.Paragraph(t(lang, "network.digest.unreached", names=names))]


@dataclass(frozen=True)
class Digest:
    """What a facilitator's digest shows, fetched once."""

    key: str  # network.digest.weekly or .readiness
    network: Network
    summary: Summary
    unreached: list[tuple[Member, int]]  # and how many messages did not reach them
    sister: Summary | None  # the sister network's next meeting: its totals only
    exchange: WeekExchange | None = None  # what was shared each way this week
    renewal: list[str] = field(default_factory=list)  # the vote and claims, when running


def digest_facts(
    *, session: Session, member: Member, meeting: Meeting | None, now: datetime
) -> Digest | None:
    """Fetch the readiness report for `meeting`, or (with None) the weekly digest of the next
    meeting. None outside the season's meetings."""
    network = member.network
    key = "network.digest.weekly" if meeting is None else "network.digest.readiness"
    if meeting is None:
        meeting = next_meeting_for_summary(network, now.astimezone(network.zone).date())
    if meeting is None:
        return None
    summary = meeting_summary(session=session, network=network, meeting=meeting)
    shared = None
    sister = sister_of(session, network) if key == "network.digest.weekly" else None
    if sister is not None:
        sister_meeting = next_meeting_for_summary(sister, now.astimezone(sister.zone).date())
        if sister_meeting is not None:
            shared = meeting_summary(session=session, network=sister, meeting=sister_meeting)
    since = now - UNREACHED_SINCE
    unreached = unreached_members(session=session, network_id=network.id, since=since)
    exchange = None
    if sister is not None:
        exchange = week_exchange(session=session, network=network, since=now - EXCHANGE_WEEK)
    renewal = digest_lines(session, member.lang, network, now)
    return Digest(key, network, summary, unreached, shared, exchange, renewal)


def build_digest(
    *, session: Session, member: Member, meeting: Meeting | None, now: datetime
) -> c.Message | None:
    """The facilitator's readiness report for `meeting`, or (with None) the weekly digest:
    the summary of the next meeting. None outside the season's meetings."""
    digest = digest_facts(session=session, member=member, meeting=meeting, now=now)
    return render_digest(member.lang, digest) if digest is not None else None


EXCHANGE_WEEK = timedelta(days=7)
EXCHANGE_LINES = 5  # items named each way; the rest counted


def _exchange_lines(lang: str, key: str, items: list[Shared]) -> list[str]:
    lines: list[str] = [
        t(
            lang,
            key,
            kind=t(lang, f"exchange.kind.{item.kind}"),
            person=person_of(item.author),
            title=excerpt(item.title, 120),
        )
        for item in items[:EXCHANGE_LINES]
    ]
    if len(items) > EXCHANGE_LINES:
        lines.append(t(lang, "network.digest.exchange.more", count=len(items) - EXCHANGE_LINES))
    return lines


def render_exchange(lang: str, week: WeekExchange) -> c.Paragraph:
    """The week's exchange with the sister network: how much each way, and what."""
    head = t(
        lang,
        "network.digest.exchange",
        network=week.sister.name,
        given=len(week.given),
        received=len(week.received),
    )
    lines = _exchange_lines(lang, "network.digest.exchange.given", week.given)
    lines += _exchange_lines(lang, "network.digest.exchange.received", week.received)
    return c.Paragraph("\n".join([head, *lines]))


def render_digest(lang: str, digest: Digest) -> c.Message:
    key, network = digest.key, digest.network
    tail: list[c.Part] = []
    if digest.sister is not None:  # shared: the sister's totals only, no one by name
        sister = digest.sister.network
        tail = [
            c.Paragraph(t(lang, "network.digest.sister", network=escape_slack(sister.name))),
            *render_summary(lang, digest.sister)[:2],
        ]
    if digest.exchange is not None:
        tail.append(render_exchange(lang, digest.exchange))
    # Within 50 parts: what does not fit in the overview says so (never cut silently); the
    # notification's text is plain: no markup asterisks, and at most 300 characters.
    head = [
        c.Paragraph(t(lang, key, network=escape_slack(network.name))),
        *render_unreached(lang, digest.unreached),
        *(c.Paragraph(text) for text in digest.renewal),
    ]
    parts = [
        *head,
        *render_summary(lang, digest.summary, budget=MAX_BLOCKS - len(head) + 1 - len(tail)),
        *tail,
    ]
    return c.Message(
        cut_mrkdwn(t(lang, f"{key}.text", network=network.name), 300),
        parts,
        pictures=[preparation_picture(lang, digest.summary)],
    )
