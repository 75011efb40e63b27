"""`/network`: the facilitator's view — summaries, members, meetings, fees. Facilitators only;
everyone else gets the same polite no, whatever they typed (nothing leaks)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.blocks import cut_mrkdwn, mrkdwn_section
from handlers.catalogue import (
    Mrkdwn,
    format_date,
    format_money,
    format_number,
    markup_join,
    mention,
    person_mention,
    t,
)
from handlers.context import RequestScope, scope_of
from handlers.ids import Action, Block
from handlers.parsing import MENTION_RE, escape_slack, option_name, unescape_slack
from handlers.render import dispute_blocks, render_period
from handlers.replies import reply_ephemeral
from models.errors import InputError
from models.export import export_tables, to_csv_zip, to_xlsx
from models.network import Meeting, Member, Network, Role, find_people, sister_of
from models.network_admin import add_member, move_meeting, remove_member
from models.nudges import unreached_members
from models.privacy import forget_member, people_on_record, personal_data
from models.sparring import SparringReceiver, is_open_dispute, open_disputes, resolve_dispute
from models.summary import (
    MAX_PER_WORKPLACE,
    MemberLine,
    Summary,
    fees,
    meeting_summary,
    next_meeting_for_summary,
)

log = logging.getLogger(__name__)

MAX_BLOCKS = 45
DISPUTES_IN_SUMMARY = 3
# The digest names who could not be reached this past week (and a day: better twice than never).
UNREACHED_SINCE = timedelta(days=8)
LINES_PER_SECTION = 8


def facilitated_network(scope: RequestScope) -> Network | None:
    """The network the user facilitates (the newest season), or None."""
    if scope.user_id is None:
        return None
    roles = [p for p in find_people(scope.db, scope.user_id) if p.role is Role.FACILITATOR]
    return roles[0].network if roles else None


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


def _pack(lines: Sequence[str]) -> list[list[str]]:
    """Lines grouped into sections of Slack's 3,000 characters (at most 8 lines each)."""
    chunks: list[list[str]] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and (len(chunk) == LINES_PER_SECTION or len("\n".join([*chunk, line])) > 2900):
            chunks.append(chunk)
            chunk = []
        chunk.append(line)
    if chunk:
        chunks.append(chunk)
    return chunks


def _sections(
    lang: str,
    lines: Sequence[str],
    budget: int,
    *,
    page: int = 1,
    command: str | None = None,
) -> list[dict[str, Any]]:
    """Lines packed into sections, at most `budget` blocks. A list that does not fit says how
    many are left out and where to see them: the next `page` of `command`, or the export."""
    chunks = _pack(lines)
    if len(chunks) <= budget and page == 1:
        return [mrkdwn_section("\n".join(c)) for c in chunks]
    per_page = budget - 1
    first = (max(page, 1) - 1) * per_page
    shown = chunks[first : first + per_page]
    blocks = [mrkdwn_section("\n".join(c)) for c in shown]
    left = sum(len(c) for c in chunks[first + per_page :])
    if left and command is not None:
        more = t(lang, "network.list.more_page", count=left, command=f"{command} {page + 1}")
        blocks.append(mrkdwn_section(more))
    elif left:
        blocks.append(mrkdwn_section(t(lang, "network.list.more_export", count=left)))
    return blocks


def dispute_overview(
    lang: str, disputes: list[SparringReceiver], shown: int, more_key: str
) -> list[dict[str, Any]]:
    """Open disputes, each with Keep / Remove, the first `shown` of them; then how many more."""
    if not disputes:
        return []
    blocks = [mrkdwn_section(t(lang, "network.disputes.header", count=len(disputes)))]
    for receiver in disputes[:shown]:
        blocks += dispute_blocks(lang, receiver)
    if len(disputes) > shown:
        blocks.append(mrkdwn_section(t(lang, more_key, count=len(disputes) - shown)))
    return blocks


def disputes_blocks(scope: RequestScope, lang: str, network: Network) -> list[dict[str, Any]]:
    """`/network disputes`: every open dispute (as many as fit), to settle one by one."""
    disputes = open_disputes(session=scope.db, network_id=network.id)
    if not disputes:
        return [mrkdwn_section(t(lang, "network.disputes.none"))]
    fit = (MAX_BLOCKS - 2) // 2
    return dispute_overview(lang, disputes, fit, "network.disputes.more_later")


def handle_dispute_decision(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """A facilitator keeps or removes a disputed entry (checked again here)."""
    scope = scope_of(context)
    network = facilitated_network(scope)
    ack()
    if network is None:
        context["reply"] = t(scope.lang, "network.not_allowed")
        return
    action = body["actions"][0]
    receiver = scope.db.get(SparringReceiver, int(action.get("value") or 0))
    if receiver is None or receiver.member.network_id != network.id:
        context["reply"] = t(scope.lang, "network.error.unknown_member")
        return
    if not is_open_dispute(receiver):
        context["reply"] = t(scope.lang, "notice.dispute.closed")
        return
    remove = action["action_id"] == Action.DISPUTE_REMOVE
    by = _facilitator(scope, network)
    resolve_dispute(session=scope.db, receiver=receiver, by=by, remove=remove, now=scope.now)
    scope.db.commit()
    log.info("dispute %s settled by %s remove=%s", receiver.id, by.id, remove)
    entry = receiver.entry
    key = "notice.dispute.removed" if remove else "notice.dispute.kept"
    context["reply"] = t(scope.lang, key, minutes=entry.minutes, day=entry.given_on)


def render_summary(lang: str, summary: Summary, budget: int = MAX_BLOCKS) -> list[dict[str, Any]]:
    """A meeting's overview in at most `budget` blocks (a longer list says what is left out)."""
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
    blocks = [mrkdwn_section(header), mrkdwn_section(totals)]
    blocks += dispute_overview(lang, summary.disputes, DISPUTES_IN_SUMMARY, "network.disputes.more")
    behind = summary.behind
    if not behind:
        blocks.append(mrkdwn_section(t(lang, "network.summary.nobody_behind")))
        return blocks
    blocks.append(mrkdwn_section(t(lang, "network.summary.behind")))
    lines = [render_line(lang, line) for line in behind]
    return blocks + _sections(lang, lines, budget - len(blocks))


def _meeting_by_number(network: Network, text: str) -> Any:
    try:
        number = int(text)
    except ValueError:
        number = -1
    meeting = next((m for m in network.meetings if m.number == number), None)
    if meeting is None:
        raise InputError("network.error.unknown_meeting", value=text, count=len(network.meetings))
    return meeting


def summary_blocks(
    scope: RequestScope, lang: str, network: Network, args: list[str]
) -> list[dict[str, Any]]:
    if not args:
        meeting = next_meeting_for_summary(network, scope.now.astimezone(network.zone).date())
        assert meeting is not None, "a network has at least one meeting"
        return render_summary(
            lang, meeting_summary(session=scope.db, network=network, meeting=meeting)
        )
    if args[0].lower() in {"meeting", "møde", "mode"} and len(args) > 1:
        meeting = _meeting_by_number(network, args[1])
        return render_summary(
            lang, meeting_summary(session=scope.db, network=network, meeting=meeting)
        )
    if args[0].lower() in {"season", "sæson", "saeson"}:
        lines: list[str] = []
        for meeting in network.meetings:
            s = meeting_summary(session=scope.db, network=network, meeting=meeting)
            answers = [ln.attendance.value if ln.attendance else None for ln in s.lines]
            lines.append(
                t(
                    lang,
                    "network.season.line",
                    number=meeting.number,
                    date=format_date(lang, meeting.starts_at.astimezone(network.zone).date()),
                    prepared=sum(1 for ln in s.lines if ln.prepared),
                    members=len(s.lines),
                    target_met=s.sparring_target_met,
                    followups=sum(1 for ln in s.lines if ln.followups),
                    yes=answers.count("yes"),
                )
            )
        return [
            mrkdwn_section(f"*{escape_slack(network.name)}*"),
            *_sections(lang, lines, MAX_BLOCKS),
        ]
    found = MENTION_RE.fullmatch(args[0])
    member = None
    if found:
        member = next(
            (m for m in network.people if m.slack_user_id == found["id"] and m.role is Role.MEMBER),
            None,
        )
    if member is None:
        raise InputError("network.error.unknown_member")
    lines = []
    for meeting in network.meetings:
        s = meeting_summary(session=scope.db, network=network, meeting=meeting)
        line = next((ln for ln in s.lines if ln.member.id == member.id), None)
        if line is not None:
            lines.append(f"*{meeting.number}.* " + render_line(lang, line)[2:])
    header = t(
        lang,
        "network.member.header",
        name=escape_slack(member.name),
        organisation=escape_slack(member.organisation or "—"),
        manager=escape_slack(member.manager_name or "—"),
    )
    return [mrkdwn_section(header), *_sections(lang, lines, MAX_BLOCKS)]


def page_of(args: list[str]) -> int:
    """`/network members 2` (or `side 2` / `page 2`): the page asked for, 1 by default."""
    number = next((a for a in args if a.isdigit()), "1")
    return max(int(number), 1)


def members_blocks(
    scope: RequestScope, lang: str, network: Network, page: int = 1
) -> list[dict[str, Any]]:
    people = [p for p in network.people if p.role is Role.MEMBER and p.active]
    people.sort(key=lambda p: p.name)
    lines = [
        t(
            lang,
            "network.members.line",
            name=escape_slack(p.name),
            organisation=escape_slack(p.organisation or "—"),
            manager=escape_slack(p.manager_name or "—"),
            language=f" [{p.language}]" if p.language else "",
        )
        for p in people
    ]
    header = t(
        lang, "network.members.header", network=escape_slack(network.name), count=len(people)
    )
    return [
        mrkdwn_section(header),
        *_sections(lang, lines, MAX_BLOCKS, page=page, command="/network members"),
    ]


def meetings_blocks(lang: str, network: Network) -> list[dict[str, Any]]:
    lines = []
    for m in network.meetings:
        start, end = m.starts_at.astimezone(network.zone), m.ends_at.astimezone(network.zone)
        lines.append(
            t(
                lang,
                "network.meetings.line",
                number=m.number,
                theme=escape_slack(m.theme),
                date=format_date(lang, start.date()),
                start=f"{start:%H:%M}",
                end=f"{end:%H:%M}",
                place=escape_slack(m.place),
                host=escape_slack(m.host),
            )
        )
    header = t(lang, "network.meetings.header", network=escape_slack(network.name))
    return [mrkdwn_section(header), *_sections(lang, lines, MAX_BLOCKS)]


def fees_blocks(
    scope: RequestScope, lang: str, network: Network, page: int = 1
) -> list[dict[str, Any]]:
    rows = fees(session=scope.db, network=network)
    lines = []
    for row in rows:
        warning = t(lang, "network.fees.warning") if len(row.members) > MAX_PER_WORKPLACE else ""
        lines.append(
            t(
                lang,
                "network.fees.line",
                organisation=escape_slack(row.organisation),
                count=len(row.members),
                amounts=" + ".join(format_number(lang, a) for a in row.amounts),
                total=format_money(lang, row.total),
            )
            + warning
        )
    header = t(
        lang,
        "network.fees.header",
        network=escape_slack(network.name),
        fee=format_money(lang, network.fee_per_member),
        discount=format_money(lang, network.colleague_discount),
    )
    total = t(
        lang,
        "network.fees.total",
        total=format_money(lang, sum(r.total for r in rows)),
        count=sum(len(r.members) for r in rows),
    )
    return [
        mrkdwn_section(header),
        *_sections(lang, lines, MAX_BLOCKS - 2, page=page, command="/network fees"),
        mrkdwn_section(total),
    ]


def upload_to_dm(
    client: WebClient,
    user_id: str,
    *,
    filename: str,
    content: bytes | str,
    title: str,
    comment: str,
) -> None:
    """Put a file in the bot's direct message with the user (Slack's current upload API)."""
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=channel, filename=filename, content=content, title=title, initial_comment=comment
    )


def send_files(body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
    """Lazy listener: upload what the ack step prepared (my data), or build and upload the
    export the facilitator asked for — slow work, after the ack, with its own session."""
    for upload in context.get("uploads", []):
        upload_to_dm(client, str(body["user_id"]), **upload)
    network_id = context.get("export_network_id")
    if network_id is None:
        return
    scope = scope_of(context)
    with scope.session_factory() as session:
        network = session.get(Network, network_id)
        assert network is not None
        tables = export_tables(session=session, network=network)
        stamp = scope.now.astimezone(network.zone).strftime("%Y-%m-%d")
        lang = scope.lang
        for filename, content in (
            (f"{network.key}-{stamp}.xlsx", to_xlsx(tables)),
            (f"{network.key}-{stamp}-csv.zip", to_csv_zip(tables)),
        ):
            upload_to_dm(
                client,
                str(body["user_id"]),
                filename=filename,
                content=content,
                title=filename,
                comment=t(lang, "network.export.comment", network=network.name),
            )


def handle_mydata(scope: RequestScope, context: dict[str, Any]) -> str:
    people = people_on_record(scope.db, scope.user_id) if scope.user_id else []
    if not people:
        return t(scope.lang, "network.mydata.nothing")
    lang = people[0].lang
    data = [personal_data(session=scope.db, member=p) for p in people]
    context["uploads"] = [
        {
            "filename": "tovholder-mine-data.json",
            "content": json.dumps(data, ensure_ascii=False, indent=2),
            "title": t(lang, "network.mydata.title"),
            "comment": t(lang, "network.mydata.comment"),
        }
    ]
    return t(lang, "network.mydata.sending")


def forget_blocks(lang: str, target: Member) -> list[dict[str, Any]]:
    return [
        mrkdwn_section(t(lang, "network.forget.confirm", name=escape_slack(target.name))),
        {
            "type": "actions",
            "block_id": Block.FORGET,
            "elements": [
                {
                    "type": "button",
                    "style": "danger",
                    "action_id": Action.FORGET_CONFIRM,
                    "text": {"type": "plain_text", "text": t(lang, "network.forget.button")},
                    "value": str(target.id),
                }
            ],
        },
    ]


def _member_of(network: Network, mention: str) -> Member | None:
    found = MENTION_RE.fullmatch(mention)
    if not found:
        return None
    return next(
        (m for m in network.people if m.slack_user_id == found["id"] and m.role is Role.MEMBER),
        None,
    )


def handle_forget_confirm(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    """The facilitator confirmed: erase the person's personal data (checked again here)."""
    scope = scope_of(context)
    network = facilitated_network(scope)
    ack()
    if network is None:
        context["reply"] = t(scope.lang, "network.not_allowed")
        return
    target = scope.db.get(Member, int(body["actions"][0]["value"]))
    if target is None or target.network_id != network.id or target.role is not Role.MEMBER:
        context["reply"] = t(scope.lang, "network.error.unknown_member")
        return
    facilitator = next(
        p
        for p in find_people(scope.db, str(scope.user_id))
        if p.role is Role.FACILITATOR and p.network_id == network.id
    )
    name = target.name
    forget_member(session=scope.db, member=target, by=facilitator, now=scope.now)
    scope.db.commit()
    log.info("member %s forgotten by facilitator %s", target.id, facilitator.id)
    context["reply"] = t(scope.lang, "network.forget.done", name=escape_slack(name))


OPTION_RE = re.compile(r'(\w+)=(?:["“”]([^"“”]*)["“”]|(\S+))')


def options_of(text: str) -> dict[str, str]:
    """key=value and key="value with spaces" pairs (Slack may send curly quotes), as typed
    (Slack's escaping undone: a name or place is stored as the facilitator wrote it); option
    names in either language."""
    return {
        option_name(m[1]): unescape_slack(m[2] if m[2] is not None else m[3])
        for m in OPTION_RE.finditer(text)
    }


def _facilitator(scope: RequestScope, network: Network) -> Member:
    return next(
        p
        for p in find_people(scope.db, str(scope.user_id))
        if p.role is Role.FACILITATOR and p.network_id == network.id
    )


def handle_admin(scope: RequestScope, lang: str, network: Network, word: str, text: str) -> str:
    """add / remove / meeting: change the network from Slack; returns the reply."""
    by = _facilitator(scope, network)
    options = options_of(text)
    if word in {"add", "tilføj"}:
        found = MENTION_RE.search(text)
        if found is None:
            raise InputError("network.error.add_form", missing=t(lang, "network.option.mention"))
        label = found.group(0).split("|", 1)[1][:-1] if "|" in found.group(0) else ""
        try:
            member = add_member(
                session=scope.db,
                network=network,
                by=by,
                slack_user_id=found["id"],
                name=options.get("name", label),
                organisation=options.get("org", ""),
                manager=options.get("manager", ""),
                language=options.get("lang"),
                now=scope.now,
            )
        except InputError as error:  # name the missing option in the member's own words
            if error.key != "network.error.add_form":
                raise
            option = t(lang, f"network.option.{error.params['missing']}")
            raise InputError(error.key, missing=option) from None
        scope.db.commit()
        return t(
            lang,
            "network.added",
            user=mention(member.slack_user_id),
            organisation=escape_slack(member.organisation or ""),
        )
    if word in {"remove", "fjern"}:
        found = MENTION_RE.search(text)
        if found is None:
            raise InputError("network.error.unknown_member")
        member = remove_member(
            session=scope.db, network=network, by=by, slack_user_id=found["id"], now=scope.now
        )
        scope.db.commit()
        return t(lang, "network.removed", user=mention(member.slack_user_id))
    # meeting N date=YYYY-MM-DD time=HH:MM-HH:MM place="…" host="…"
    today = scope.now.astimezone(network.zone).date()  # the example shows a date ahead
    parts = text.split()
    if len(parts) < 2 or not parts[1].isdigit() or not options:
        raise InputError("network.error.meeting_form", today=today)
    try:
        day = date.fromisoformat(options["date"]) if "date" in options else None
        start = end = None
        if "time" in options:
            first, _, last = options["time"].partition("-")
            start, end = time.fromisoformat(first), time.fromisoformat(last)
    except ValueError:
        raise InputError("network.error.meeting_form", today=today) from None
    meeting = move_meeting(
        session=scope.db,
        network=network,
        by=by,
        number=int(parts[1]),
        day=day,
        start=start,
        end=end,
        place=options.get("place"),
        host=options.get("host"),
        now=scope.now,
    )
    scope.db.commit()
    local = meeting.starts_at.astimezone(network.zone)
    return t(
        lang,
        "network.meeting_changed",
        number=meeting.number,
        date=format_date(lang, local.date()),
        start=f"{local:%H:%M}",
        place=escape_slack(meeting.place),
        host=escape_slack(meeting.host),
    )


def handle_network_command(ack: Ack, body: dict[str, Any], context: dict[str, Any]) -> None:
    scope = scope_of(context)
    first = str(body.get("text", "")).strip().split(maxsplit=1)
    if first and first[0].lower() in {"mydata", "minedata"}:  # anyone, about themselves only
        ack(response_type="ephemeral", text=handle_mydata(scope, context))
        return
    network = facilitated_network(scope)
    if network is None:
        ack(response_type="ephemeral", text=t(scope.lang, "network.not_allowed"))
        return
    lang = scope.lang
    args = re.split(r"\s+", str(body.get("text", "")).strip()) if body.get("text") else []
    word = args[0].lower() if args else "help"
    if word in {"help", "hjælp", "hjaelp", "?"}:
        blocks = [mrkdwn_section(t(lang, "network.help"))]
    elif word in {"summary", "overblik"}:
        blocks = summary_blocks(scope, lang, network, args[1:])
    elif word in {"members", "medlemmer"}:
        blocks = members_blocks(scope, lang, network, page_of(args[1:]))
    elif word in {"disputes", "indsigelser"}:
        blocks = disputes_blocks(scope, lang, network)
    elif word in {"meetings", "møder", "moder"}:
        blocks = meetings_blocks(lang, network)
    elif word in {"fees", "gebyr", "gebyrer"}:
        blocks = fees_blocks(scope, lang, network, page_of(args[1:]))
    elif word in {"add", "tilføj", "remove", "fjern", "meeting", "møde"}:
        text = str(body.get("text", "")).strip()
        reply = handle_admin(scope, lang, network, word, text)
        ack(response_type="ephemeral", text=reply)
        return
    elif word in {"export", "eksport", "eksportér"}:
        context["export_network_id"] = network.id
        ack(response_type="ephemeral", text=t(lang, "network.export.sending"))
        return
    elif word in {"forget", "glem"}:
        target = _member_of(network, args[1]) if len(args) > 1 else None
        if target is None:
            raise InputError("network.error.unknown_member")
        blocks = forget_blocks(lang, target)
    else:
        text = t(lang, "network.error.unknown_subcommand", word=unescape_slack(word))
        ack(response_type="ephemeral", text=text + "\n\n" + t(lang, "network.help"))
        return
    fallback = cut_mrkdwn(blocks[0]["text"]["text"], 300)
    ack(response_type="ephemeral", text=fallback, blocks=blocks)


def render_unreached(
    lang: str, *, session: Session, network: Network, now: datetime
) -> list[dict[str, Any]]:
    """Members whom the bot's messages could not reach this past week, for the facilitator."""
    people = unreached_members(session=session, network_id=network.id, since=now - UNREACHED_SINCE)
    if not people:
        return []
    names = markup_join(
        ", ", (Mrkdwn(f"{person_mention(lang, m.slack_user_id)} ({n:d})") for m, n in people)
    )
    return [mrkdwn_section(t(lang, "network.digest.unreached", names=names))]


def build_digest(
    *, session: Session, member: Member, meeting: Meeting | None, now: datetime
) -> dict[str, Any] | None:
    """The facilitator's readiness report for `meeting`, or (with None) the weekly digest:
    the summary of the next meeting. None outside the season's meetings."""
    network, lang = member.network, member.lang
    if meeting is None:
        meeting = next_meeting_for_summary(network, now.astimezone(network.zone).date())
        key = "network.digest.weekly"
    else:
        key = "network.digest.readiness"
    if meeting is None:
        return None
    summary = meeting_summary(session=session, network=network, meeting=meeting)
    tail: list[dict[str, Any]] = []
    sister = sister_of(session, network) if key == "network.digest.weekly" else None
    if sister is not None:  # shared: the sister's totals only, no one by name
        sister_meeting = next_meeting_for_summary(sister, now.astimezone(sister.zone).date())
        if sister_meeting is not None:
            shared = meeting_summary(session=session, network=sister, meeting=sister_meeting)
            tail = [
                mrkdwn_section(t(lang, "network.digest.sister", network=escape_slack(sister.name))),
                *render_summary(lang, shared)[:2],
            ]
    # Within Slack's 50 blocks: what does not fit in the overview says so (never cut silently);
    # the notification's text is plain: no mrkdwn asterisks.
    head = [
        mrkdwn_section(t(lang, key, network=escape_slack(network.name))),
        *render_unreached(lang, session=session, network=network, now=now),
    ]
    blocks = [
        *head,
        *render_summary(lang, summary, budget=MAX_BLOCKS - len(head) + 1 - len(tail)),
        *tail,
    ]
    return {"text": cut_mrkdwn(t(lang, f"{key}.text", network=network.name), 300), "blocks": blocks}


def register(app: App) -> None:
    app.command("/network")(ack=handle_network_command, lazy=[send_files])
    app.action(Action.FORGET_CONFIRM)(ack=handle_forget_confirm, lazy=[reply_ephemeral])
    for action in (Action.DISPUTE_KEEP, Action.DISPUTE_REMOVE):
        app.action(action)(ack=handle_dispute_decision, lazy=[reply_ephemeral])
