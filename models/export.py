"""The whole network's records as tables — one per record kind, plus the summary — written as
CSV files in a ZIP and as one XLSX workbook (XlsxWriter)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.applications import Application, fee_of, workplace_key
from models.attendance import Attendance
from models.base import utc_now
from models.bazaar import BazaarItem, bazaar_items
from models.competencies import competency_spread
from models.followup import ManagerFollowUp
from models.network import Member, Network, Role
from models.prep import Preparation, PrepExample, PrepQuestion
from models.reflection import Reflection
from models.renewal import SeatClaim, renewal_tally
from models.sparring import SparringEntry, SparringReceiver
from models.spread import SpreadAction, SpreadStatus
from models.summary import meeting_summary

Table = list[list[Any]]


def _cell(value: Any, zone: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


@dataclass(frozen=True)
class _Source:
    """What every table of one network's export looks things up in."""

    session: Session
    network: Network
    people: dict[int, Member]  # everyone of the network, by id
    ids: list[int]  # the members' ids (not facilitators or hosts)
    number: dict[int, int]  # meeting id -> its number

    def name(self, member_id: int | None) -> str:
        return self.people[member_id].name if member_id in self.people else ""


def export_tables(*, session: Session, network: Network) -> dict[str, Table]:
    """Every record of the network, by kind, with a header row; names instead of ids."""
    people = {
        p.id: p for p in session.scalars(select(Member).where(Member.network_id == network.id))
    }
    source = _Source(
        session=session,
        network=network,
        people=people,
        ids=[i for i, p in people.items() if p.role is Role.MEMBER],
        number={m.id: m.number for m in network.meetings},
    )
    zone = network.zone
    return {
        kind: [[_cell(v, zone) for v in row] for row in table(source)]
        for kind, table in _TABLES.items()
    }


def _summary(s: _Source) -> Table:
    summary: Table = [
        [
            "meeting",
            "member",
            "manager",
            "questions",
            "examples",
            "prepared",
            "sparring_given_min",
            "sparring_received_min",
            "followups",
            "spreading",
            "attendance",
        ]
    ]
    for meeting in s.network.meetings:
        for line in meeting_summary(session=s.session, network=s.network, meeting=meeting).lines:
            summary.append(
                [
                    meeting.number,
                    line.member.name,
                    line.p1,
                    line.questions,
                    line.examples,
                    line.prepared,
                    line.given_minutes,
                    line.received_minutes,
                    line.followups,
                    line.spread,
                    line.attendance.value if line.attendance else "",
                ]
            )
    return summary


def _season(s: _Source) -> Table:
    """Per meeting: members, how many were prepared, sparring given per member (hours, on
    average, in the period before it) and the target — what the summary sheet's charts show."""
    target = round(s.network.sparring_target_minutes / 60, 1)
    rows: Table = [["meeting", "members", "prepared", "sparring_hours_per_member", "target_hours"]]
    for meeting in s.network.meetings:
        summary = meeting_summary(session=s.session, network=s.network, meeting=meeting)
        prepared = sum(1 for line in summary.lines if line.prepared)
        hours = summary.hours_per_member
        rows.append([meeting.number, len(summary.lines), prepared, hours, target])
    return rows


def _spreading_status(s: _Source) -> Table:
    """How many spreading actions are at each status."""
    counts = dict.fromkeys(SpreadStatus, 0)
    for status in s.session.scalars(
        select(SpreadAction.status).where(SpreadAction.member_id.in_(s.ids))
    ):
        counts[status] += 1
    return [["status", "actions"], *([status.value, n] for status, n in counts.items())]


def _members(s: _Source) -> Table:
    return [["name", "slack_id", "organisation", "manager", "email", "language", "active"]] + [
        [p.name, p.slack_user_id, p.organisation, p.manager_name, p.email, p.language, p.active]
        for p in sorted(s.people.values(), key=lambda p: p.name)
        if p.role is Role.MEMBER
    ]


def _meetings(s: _Source) -> Table:
    return [["number", "theme", "starts", "ends", "host", "place"]] + [
        [m.number, m.theme, m.starts_at, m.ends_at, m.host, m.place] for m in s.network.meetings
    ]


def _manager_alignment(s: _Source) -> Table:
    return [["meeting", "member", "aligned", "aligned_on", "agreed"]] + [
        [
            s.number.get(p.meeting_id),
            s.name(p.member_id),
            p.manager_aligned,
            p.manager_aligned_on,
            p.manager_agreed,
        ]
        for p in s.session.scalars(select(Preparation).where(Preparation.member_id.in_(s.ids)))
    ]


def _questions(s: _Source) -> Table:
    return [["meeting", "member", "position", "question", "primary", "secondary"]] + [
        [
            s.number.get(q.meeting_id),
            s.name(q.member_id),
            q.position,
            q.text,
            s.name(q.primary_id),
            s.name(q.secondary_id),
        ]
        for q in s.session.scalars(select(PrepQuestion).where(PrepQuestion.member_id.in_(s.ids)))
    ]


def _examples(s: _Source) -> Table:
    header = ["meeting", "member", "title", "idea", "effect", "learning", "source", "did_not_work"]
    return [header] + [
        [
            s.number.get(e.meeting_id),
            s.name(e.member_id),
            e.title,
            e.idea,
            e.effect,
            e.learning,
            e.source,
            e.did_not_work,
        ]
        for e in s.session.scalars(select(PrepExample).where(PrepExample.member_id.in_(s.ids)))
    ]


def _sparring(s: _Source) -> Table:
    receivers: dict[int, list[tuple[int, Any]]] = {}
    for entry_id, member_id, disputed in s.session.execute(
        select(SparringReceiver.entry_id, SparringReceiver.member_id, SparringReceiver.disputed_at)
        .join(SparringEntry, SparringEntry.id == SparringReceiver.entry_id)
        .where(SparringEntry.giver_id.in_(s.ids))
        .order_by(SparringReceiver.id)
    ):
        receivers.setdefault(entry_id, []).append((member_id, disputed))
    return [["date", "giver", "minutes", "receivers", "note", "removed", "disputed"]] + [
        [
            e.given_on,
            s.name(e.giver_id),
            e.minutes,
            ", ".join(s.name(r) for r, _ in receivers.get(e.id, [])),
            e.note,
            e.removed_at is not None,
            any(d for _, d in receivers.get(e.id, [])),
        ]
        for e in s.session.scalars(
            select(SparringEntry)
            .where(SparringEntry.giver_id.in_(s.ids))
            .order_by(SparringEntry.given_on, SparringEntry.id)
        )
    ]


def _followups(s: _Source) -> Table:
    return [["date", "member", "agreed", "next_step"]] + [
        [f.followed_up_on, s.name(f.member_id), f.agreed, f.next_step]
        for f in s.session.scalars(
            select(ManagerFollowUp)
            .where(ManagerFollowUp.member_id.in_(s.ids))
            .order_by(ManagerFollowUp.followed_up_on)
        )
    ]


def _spreading(s: _Source) -> Table:
    return [["member", "solution", "from", "meeting", "status", "effect", "created"]] + [
        [
            s.name(a.member_id),
            a.solution,
            s.name(a.source_member_id),
            s.number.get(a.meeting_id) if a.meeting_id else None,
            a.status,
            a.effect,
            a.created_at,
        ]
        for a in s.session.scalars(select(SpreadAction).where(SpreadAction.member_id.in_(s.ids)))
    ]


def _attendance(s: _Source) -> Table:
    return [["meeting", "member", "answer", "substitute_name", "substitute_email"]] + [
        [
            s.number.get(a.meeting_id),
            s.name(a.member_id),
            a.status,
            a.substitute_name,
            a.substitute_email,
        ]
        for a in s.session.scalars(select(Attendance).where(Attendance.member_id.in_(s.ids)))
    ]


def _competencies(s: _Source) -> Table:
    return [["name", "organisation", "competencies", "contributes"]] + [
        [p.name, p.organisation, ", ".join(p.competencies or []), p.contributes or ""]
        for p in sorted(s.people.values(), key=lambda p: p.name)
        if p.role is Role.MEMBER and p.active
    ]


def _competency_spread(s: _Source) -> Table:
    """Each keyword and how many active members have it; last, how many have none."""
    spread = competency_spread(session=s.session, network=s.network)
    return [
        ["competency", "members"],
        *([k, n] for k, n in spread.keywords),
        ["(none)", len(spread.without)],
    ]


def _applications(s: _Source) -> Table:
    """Every application, with the fee each applicant pays and their workplace's count."""
    rows = list(
        s.session.scalars(
            select(Application)
            .where(Application.network_id == s.network.id)
            .order_by(Application.created_at, Application.id)
        )
    )
    per_workplace = Counter(workplace_key(a.workplace) for a in rows)
    header = [
        "id",
        "name",
        "email",
        "workplace",
        "from_workplace",
        "about",
        "tasks",
        "competencies",
        "wants",
        "contributes",
        "confirmed_time",
        "confirmed_binding",
        "fee",
        "status",
        "wait_list_position",
        "message",
        "source",
        "applied",
        "changed",
        "decided",
        "told",
    ]
    return [header] + [
        [
            a.id,
            a.name,
            a.email,
            a.workplace,
            per_workplace[workplace_key(a.workplace)],
            a.about,
            a.tasks,
            ", ".join(a.competencies),
            a.wants,
            a.contributes,
            a.confirmed_time,
            a.confirmed_binding,
            fee_of(s.session, a),
            a.status,
            a.position,
            a.outcome_message,
            a.source,
            a.created_at,
            a.updated_at,
            a.decided_at,
            a.told_at,
        ]
        for a in rows
    ]


def _reflections(s: _Source) -> Table:
    """Each member's reflection per meeting; the name only where the member agreed to it."""
    return [
        ["meeting", "member", "common_to_all", "common_to_some", "particular", "shared_with_sister"]
    ] + [
        [
            s.number.get(r.meeting_id),
            s.name(r.member_id) if r.named else "",
            r.common,
            r.some,
            r.particular,
            r.share_with_sister,
        ]
        for r in s.session.scalars(
            select(Reflection)
            .where(Reflection.member_id.in_(s.ids))
            .order_by(Reflection.meeting_id, Reflection.created_at, Reflection.id)
        )
    ]


def _renewal(s: _Source) -> Table:
    """The vote on continuing, as counts only: who voted what is each member's own."""
    tally = renewal_tally(s.session, s.network, utc_now())
    return [
        ["answer", "members"],
        ["yes", tally.yes],
        ["no", tally.no],
        ["unsure", tally.unsure],
        ["not_voted", len(tally.not_voted)],
    ]


def _seat_claims(s: _Source) -> Table:
    """Who took or declined their seat, by name: this season's members for the next season,
    and the previous season's members for this one."""
    claims = s.session.scalars(
        select(SeatClaim)
        .join(Member, Member.id == SeatClaim.member_id)
        .where((SeatClaim.network_id == s.network.id) | (Member.network_id == s.network.id))
        .order_by(SeatClaim.network_id, Member.name, SeatClaim.id)
    ).all()
    rows: Table = [["season", "member", "takes_seat", "answered"]]
    for claim in claims:
        season = s.session.get(Network, claim.network_id)
        member = s.session.get(Member, claim.member_id)
        rows.append(
            [
                season.name if season else "",
                member.name if member else "",
                claim.takes_seat,
                claim.updated_at,
            ]
        )
    return rows


def _library(s: _Source) -> Table:
    """The example library: every member's example with its kind, meeting, owner and workplace."""
    header = ["meeting", "kind", "title", "owner", "workplace", "idea", "effect", "learning"]
    return [header] + [
        [
            s.number.get(e.meeting_id),
            e.kind,
            e.title,
            s.name(e.member_id),
            s.people[e.member_id].organisation if e.member_id in s.people else "",
            e.idea,
            e.effect,
            e.learning,
        ]
        for e in s.session.scalars(
            select(PrepExample)
            .where(PrepExample.member_id.in_(s.ids))
            .order_by(PrepExample.meeting_id, PrepExample.id)
        )
    ]


BAZAAR_HEADER = [
    "item",
    "kind",
    "title",
    "giver",
    "claimed_by",
    "claimed",
    "claimer_status",
    "claimer_effect",
    "giver_status",
    "giver_effect",
]


def _bazaar_rows(s: _Source, item: BazaarItem) -> Table:
    """One row per claim of `item` (both sides' answers), or one row when nobody claimed it."""
    first = [item.id, item.kind, item.title, s.name(item.member_id)]
    if not item.claims:
        return [first + [""] * (len(BAZAAR_HEADER) - len(first))]
    return [
        [
            *first,
            s.name(claim.member_id),
            claim.created_at,
            claim.action.status if claim.action else "",
            claim.action.effect if claim.action else "",
            claim.giver_status or "",
            claim.giver_effect or "",
        ]
        for claim in item.claims
    ]


def _bazaar(s: _Source) -> Table:
    """The idea bazaar: its items, the giver, each claim and how claimer and giver see it."""
    items = bazaar_items(session=s.session, network=s.network)
    return [BAZAAR_HEADER] + [row for item in items for row in _bazaar_rows(s, item)]


# The export's tables, in the order they are written; a new kind of record adds its table here.
_TABLES: dict[str, Callable[[_Source], Table]] = {
    "summary": _summary,
    "season": _season,
    "spreading_status": _spreading_status,
    "members": _members,
    "meetings": _meetings,
    "manager_alignment": _manager_alignment,
    "questions": _questions,
    "examples": _examples,
    "sparring": _sparring,
    "followups": _followups,
    "spreading": _spreading,
    "attendance": _attendance,
    "competencies": _competencies,
    "competency_spread": _competency_spread,
    "applications": _applications,
    "reflections": _reflections,
    "renewal": _renewal,
    "seat_claims": _seat_claims,
    "library": _library,
    "bazaar": _bazaar,
}


# A spreadsheet reads a cell starting with one of these as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading single quote (OWASP's rule),
    so it is shown as the text it is; numbers and other text are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv_zip(tables: dict[str, Table]) -> bytes:
    """One CSV per table in a ZIP: UTF-8 with a byte-order mark and semicolons, so Danish
    Excel opens them with æ, ø and å intact and the columns split. Text that would start a
    formula is neutralised (`csv_safe`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for kind, rows in tables.items():
            text = io.StringIO()
            csv.writer(text, delimiter=";").writerows([[csv_safe(v) for v in row] for row in rows])
            archive.writestr(f"{kind}.csv", "\ufeff" + text.getvalue())
    return buffer.getvalue()


def _write_cell(sheet: Any, r: int, c: int, value: Any, fmt: Any) -> None:
    """Text always as a string cell (never a formula or a URL, whatever it starts with);
    numbers and booleans as such."""
    if isinstance(value, bool):
        sheet.write_boolean(r, c, value, fmt)
    elif isinstance(value, int | float):
        sheet.write_number(r, c, value, fmt)
    elif value is None or value == "":
        sheet.write_blank(r, c, None, fmt)
    else:
        sheet.write_string(r, c, str(value), fmt)


def to_xlsx(tables: dict[str, Table], day: date | None = None) -> bytes:
    """One worksheet per table, header row in bold, frozen. Member text is written as text.
    The workbook's creation time is the start of `day` (the export's date, as its file name
    says), so the same export built twice — Teams' file consent offers it, then builds it
    again once accepted — is the same file, byte for byte."""
    buffer = io.BytesIO()
    import xlsxwriter  # here, not at the top: only an export needs it

    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_urls": False})
    if day is not None:
        workbook.set_properties({"created": datetime.combine(day, time())})
    bold = workbook.add_format({"bold": True})
    for kind, rows in tables.items():
        sheet = workbook.add_worksheet(kind[:31])
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                _write_cell(sheet, r, c, value, bold if r == 0 else None)
        sheet.freeze_panes(1, 0)
    _add_charts(workbook, tables)
    workbook.close()
    return buffer.getvalue()


# Okabe–Ito colours (safe for colour-blind readers), as in the chat's charts.
BLUE, ORANGE, GREEN, BLACK = "#0072B2", "#E69F00", "#009E73", "#000000"


def _add_charts(workbook: Any, tables: dict[str, Table]) -> None:
    """Native Excel charts on the summary sheet, drawn from the season and spreading sheets:
    prepared members per meeting, sparring per member against the target, spreading actions
    by status. Excel redraws them from the cells."""
    if "summary" not in tables or "season" not in tables:
        return
    summary = workbook.get_worksheet_by_name("summary")
    last = len(tables["season"]) - 1  # the season's rows under its header
    if last < 1:
        return
    column = len(tables["summary"][0]) + 1  # one column right of the summary's table
    prepared = workbook.add_chart({"type": "column"})
    prepared.add_series(_series("season", "C", last, "Prepared", BLUE))
    prepared.add_series(_series("season", "B", last, "Members", ORANGE))
    prepared.set_title({"name": "Prepared members per meeting"})
    summary.insert_chart(1, column, prepared)
    sparring = workbook.add_chart({"type": "column"})
    sparring.add_series(_series("season", "D", last, "Sparring hours per member", GREEN))
    target = workbook.add_chart({"type": "line"})
    dashed = {"line": {"color": BLACK, "dash_type": "dash"}, "marker": {"type": "none"}}
    target.add_series({**_series("season", "E", last, "Target", BLACK), **dashed})
    sparring.combine(target)
    sparring.set_title({"name": "Sparring given per member before each meeting"})
    summary.insert_chart(17, column, sparring)
    if "spreading_status" in tables:
        rows = len(tables["spreading_status"]) - 1
        spread = workbook.add_chart({"type": "bar"})
        spread.add_series(_series("spreading_status", "B", rows, "Actions", BLUE, labels="A"))
        spread.set_title({"name": "Spreading actions by status"})
        summary.insert_chart(33, column, spread)


def _series(
    sheet: str, col: str, last: int, name: str, colour: str, labels: str = "A"
) -> dict[str, Any]:
    return {
        "name": name,
        "categories": f"='{sheet}'!${labels}$2:${labels}${last + 1}",
        "values": f"='{sheet}'!${col}$2:${col}${last + 1}",
        "fill": {"color": colour},
        "line": {"color": colour},
        "data_labels": {"value": True},
    }
