"""`/network add / remove / meeting`, and the lists a facilitator keeps: members, meetings, fees."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time

from handlers import conversation as c
from handlers.calendar import meeting_details
from handlers.catalogue import (
    format_date,
    format_money,
    format_number,
    markup_join,
    t,
)
from handlers.network.common import MAX_BLOCKS, Asking, member_by_mention, sections, teams_ref
from handlers.parsing import MENTION_RE, escape_slack, option_name, unescape_slack
from models.errors import InputError
from models.network import Member, Network, Platform, Role
from models.network_admin import (
    add_member,
    move_meeting,
    remove_member,
    set_meeting_details,
)
from models.people import person_of
from models.summary import MAX_PER_WORKPLACE, FeeLine

OPTION_RE = re.compile(r'(\w+)=(?:["“”]([^"“”]*)["“”]|(\S+))')


def options_of(text: str) -> dict[str, str]:
    """key=value and key="value with spaces" pairs (Slack may send curly quotes), as typed
    (Slack's escaping undone: a name or place is stored as the facilitator wrote it); option
    names in either language."""
    return {
        option_name(m[1]): unescape_slack(m[2] if m[2] is not None else m[3])
        for m in OPTION_RE.finditer(text)
    }


def handle_admin(
    scope: Asking, lang: str, network: Network, by: Member, word: str, text: str
) -> str:
    """add / remove / meeting by facilitator `by`: change the network; returns the reply."""
    if word in {"add", "tilføj"}:
        return _add(scope, lang, network, by, text)
    if word in {"remove", "fjern"}:
        return _remove(scope, lang, network, by, text)
    return _move_meeting(scope, lang, network, by, text)


@dataclass(frozen=True)
class Person:
    """Whom an add or remove names: a Slack user, or a person a Teams message mentioned."""

    platform: Platform
    external_id: str
    label: str  # their name as the mention showed it ("" when it did not)


def person_named(network: Network, text: str) -> Person | None:
    """The first person `text` mentions (a Slack mention or a Teams reference)."""
    found = MENTION_RE.search(text)
    if found is not None:
        label = found.group(0).split("|", 1)[1][:-1] if "|" in found.group(0) else ""
        return Person(Platform.SLACK, found["id"], label)
    ref = teams_ref(text, search=True)
    if ref is None:
        return None
    known = member_by_mention(network, ref.token())  # stored under either of their Teams ids
    external_id = (known.teams_user_id if known else None) or ref.user_id or ref.aad_object_id
    return Person(Platform.TEAMS, external_id, ref.name)


def _add(scope: Asking, lang: str, network: Network, by: Member, text: str) -> str:
    """`add @person name="…" org="…" manager="…" lang=en`"""
    options = options_of(text)
    person = person_named(network, text)
    if person is None:
        raise InputError("network.error.add_form", missing=t(lang, "network.option.mention"))
    try:
        member = add_member(
            session=scope.db,
            network=network,
            by=by,
            platform=person.platform,
            external_id=person.external_id,
            name=options.get("name", person.label),
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
        user=person_of(member),
        organisation=escape_slack(member.organisation or ""),
    )


def _remove(scope: Asking, lang: str, network: Network, by: Member, text: str) -> str:
    """`remove @person`"""
    person = person_named(network, text)
    if person is None:
        raise InputError("network.error.unknown_member")
    member = remove_member(
        session=scope.db,
        network=network,
        by=by,
        platform=person.platform,
        external_id=person.external_id,
        now=scope.now,
    )
    scope.db.commit()
    return t(lang, "network.removed", user=person_of(member))


def _move_meeting(scope: Asking, lang: str, network: Network, by: Member, text: str) -> str:
    """`meeting N date=YYYY-MM-DD time=HH:MM-HH:MM place="…" host="…"`"""
    options = options_of(text)
    today = scope.now.astimezone(network.zone).date()  # the example shows a date ahead
    parts = text.split()
    if len(parts) < 2 or not parts[1].isdigit() or not options:
        raise InputError("network.error.meeting_form", today=today)
    if set(options) <= DETAIL_OPTIONS:
        return _meeting_details(scope, lang, network, by, int(parts[1]), options)
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


DETAIL_OPTIONS = {"speakers", "description"}


def _meeting_details(
    scope: Asking, lang: str, network: Network, by: Member, number: int, options: dict[str, str]
) -> str:
    """`meeting N speakers="Name, title; Name, title" description="…"`"""
    speakers = options.get("speakers")
    meeting = set_meeting_details(
        session=scope.db,
        network=network,
        by=by,
        number=number,
        speakers=speakers.split(";") if speakers is not None else None,
        description=options.get("description"),
        now=scope.now,
    )
    scope.db.commit()
    details = meeting_details(lang, meeting) or [t(lang, "network.meeting_details.none")]
    header = t(lang, "network.meeting_details", number=meeting.number)
    return markup_join("\n", [header, *details])


def members_parts(lang: str, network: Network, page: int = 1) -> list[c.Part]:
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
        c.Paragraph(header),
        *sections(lang, lines, MAX_BLOCKS, page=page, command=t(lang, "network.command.members")),
    ]


def meetings_parts(lang: str, network: Network) -> list[c.Part]:
    lines = []
    for m in network.meetings:
        start, end = m.starts_at.astimezone(network.zone), m.ends_at.astimezone(network.zone)
        line = t(
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
        lines.append(markup_join("\n", [line, *meeting_details(lang, m)]))
    header = t(lang, "network.meetings.header", network=escape_slack(network.name))
    return [c.Paragraph(header), *sections(lang, lines, MAX_BLOCKS)]


def fees_parts(lang: str, network: Network, rows: list[FeeLine], page: int = 1) -> list[c.Part]:
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
        c.Paragraph(header),
        *sections(lang, lines, MAX_BLOCKS - 2, page=page, command=t(lang, "network.command.fees")),
        c.Paragraph(total),
    ]
