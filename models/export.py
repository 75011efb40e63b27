"""The whole network's records as tables — one per record kind, plus the summary — written as
CSV files in a ZIP and as one XLSX workbook (XlsxWriter)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.attendance import Attendance
from models.followup import ManagerFollowUp
from models.network import Member, Network, Role
from models.prep import Preparation, PrepExample, PrepQuestion
from models.sparring import SparringEntry, SparringReceiver
from models.spread import SpreadAction
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


def export_tables(*, session: Session, network: Network) -> dict[str, Table]:
    """Every record of the network, by kind, with a header row; names instead of ids."""
    zone = network.zone
    people = {
        p.id: p for p in session.scalars(select(Member).where(Member.network_id == network.id))
    }
    ids = [i for i, p in people.items() if p.role is Role.MEMBER]
    number = {m.id: m.number for m in network.meetings}

    receivers: dict[int, list[tuple[int, Any]]] = {}
    for entry_id, member_id, disputed in session.execute(
        select(SparringReceiver.entry_id, SparringReceiver.member_id, SparringReceiver.disputed_at)
        .join(SparringEntry, SparringEntry.id == SparringReceiver.entry_id)
        .where(SparringEntry.giver_id.in_(ids))
        .order_by(SparringReceiver.id)
    ):
        receivers.setdefault(entry_id, []).append((member_id, disputed))

    def name(member_id: int | None) -> str:
        return people[member_id].name if member_id in people else ""

    tables: dict[str, Table] = {
        "members": [["name", "slack_id", "organisation", "manager", "email", "language", "active"]]
        + [
            [p.name, p.slack_user_id, p.organisation, p.manager_name, p.email, p.language, p.active]
            for p in sorted(people.values(), key=lambda p: p.name)
            if p.role is Role.MEMBER
        ],
        "meetings": [["number", "theme", "starts", "ends", "host", "place"]]
        + [[m.number, m.theme, m.starts_at, m.ends_at, m.host, m.place] for m in network.meetings],
        "manager_alignment": [["meeting", "member", "aligned", "aligned_on", "agreed"]]
        + [
            [
                number.get(p.meeting_id),
                name(p.member_id),
                p.manager_aligned,
                p.manager_aligned_on,
                p.manager_agreed,
            ]
            for p in session.scalars(select(Preparation).where(Preparation.member_id.in_(ids)))
        ],
        "questions": [["meeting", "member", "position", "question", "primary", "secondary"]]
        + [
            [
                number.get(q.meeting_id),
                name(q.member_id),
                q.position,
                q.text,
                name(q.primary_id),
                name(q.secondary_id),
            ]
            for q in session.scalars(select(PrepQuestion).where(PrepQuestion.member_id.in_(ids)))
        ],
        "examples": [
            ["meeting", "member", "title", "idea", "effect", "learning", "source", "did_not_work"]
        ]
        + [
            [
                number.get(e.meeting_id),
                name(e.member_id),
                e.title,
                e.idea,
                e.effect,
                e.learning,
                e.source,
                e.did_not_work,
            ]
            for e in session.scalars(select(PrepExample).where(PrepExample.member_id.in_(ids)))
        ],
        "sparring": [["date", "giver", "minutes", "receivers", "note", "removed", "disputed"]]
        + [
            [
                e.given_on,
                name(e.giver_id),
                e.minutes,
                ", ".join(name(r) for r, _ in receivers.get(e.id, [])),
                e.note,
                e.removed_at is not None,
                any(d for _, d in receivers.get(e.id, [])),
            ]
            for e in session.scalars(
                select(SparringEntry)
                .where(SparringEntry.giver_id.in_(ids))
                .order_by(SparringEntry.given_on, SparringEntry.id)
            )
        ],
        "followups": [["date", "member", "agreed", "next_step"]]
        + [
            [f.followed_up_on, name(f.member_id), f.agreed, f.next_step]
            for f in session.scalars(
                select(ManagerFollowUp)
                .where(ManagerFollowUp.member_id.in_(ids))
                .order_by(ManagerFollowUp.followed_up_on)
            )
        ],
        "spreading": [["member", "solution", "from", "meeting", "status", "effect", "created"]]
        + [
            [
                name(a.member_id),
                a.solution,
                name(a.source_member_id),
                number.get(a.meeting_id) if a.meeting_id else None,
                a.status,
                a.effect,
                a.created_at,
            ]
            for a in session.scalars(select(SpreadAction).where(SpreadAction.member_id.in_(ids)))
        ],
        "attendance": [["meeting", "member", "answer", "substitute_name", "substitute_email"]]
        + [
            [
                number.get(a.meeting_id),
                name(a.member_id),
                a.status,
                a.substitute_name,
                a.substitute_email,
            ]
            for a in session.scalars(select(Attendance).where(Attendance.member_id.in_(ids)))
        ],
    }
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
    for meeting in network.meetings:
        for line in meeting_summary(session=session, network=network, meeting=meeting).lines:
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
    tables = {"summary": summary, **tables}
    return {kind: [[_cell(v, zone) for v in row] for row in rows] for kind, rows in tables.items()}


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


def to_xlsx(tables: dict[str, Table]) -> bytes:
    """One worksheet per table, header row in bold, frozen. Member text is written as text."""
    buffer = io.BytesIO()
    import xlsxwriter  # here, not at the top: only an export needs it

    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_urls": False})
    bold = workbook.add_format({"bold": True})
    for kind, rows in tables.items():
        sheet = workbook.add_worksheet(kind[:31])
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                _write_cell(sheet, r, c, value, bold if r == 0 else None)
        sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
