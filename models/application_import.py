"""Applications that came by e-mail, from a CSV or XLSX file (one row an application, the
form's fields as columns): checked as a whole, every problem named with its row and column,
applied in one transaction or not at all; idempotent (the key is network + e-mail)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.applications import (
    Applicant,
    Application,
    ApplicationField,
    ApplicationInput,
    ApplicationStatus,
    apply_values,
    network_by_key,
    problems_of,
    save_application,
)
from models.network import LANGUAGES, Network, Platform

# The file's columns: each field of the form by its plain name.
COLUMNS = {
    "network": None,
    "name": ApplicationField.NAME,
    "email": ApplicationField.EMAIL,
    "workplace": ApplicationField.WORKPLACE,
    "about": ApplicationField.ABOUT,
    "tasks": ApplicationField.TASKS,
    "competencies": ApplicationField.COMPETENCIES,
    "wants": ApplicationField.WANTS,
    "contributes": ApplicationField.CONTRIBUTES,
    "confirmed_time": ApplicationField.CONFIRM,
    "confirmed_binding": ApplicationField.CONFIRM,
}
OPTIONAL = ("language", "slack_id", "teams_id")
COLUMN_OF_FIELD = {f: name for name, f in COLUMNS.items() if f is not None}
YES = {"yes", "ja", "y", "j", "x", "true", "1"}
NO = {"no", "nej", "n", "false", "0", ""}


@dataclass(frozen=True)
class Problem:
    """One problem: where (row number as in the file, the header being row 1; column), and
    what (a catalogue key and its values)."""

    row: int | None
    column: str | None
    key: str
    params: dict[str, object] = field(default_factory=dict)


class ApplicationFileError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class ImportResult:
    added: int = 0
    changed: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class _Row:
    number: int
    network: Network
    applicant: Applicant
    values: ApplicationInput


def read_rows(path: str | Path) -> list[dict[str, str]]:
    """The file's rows as column -> text (an .xlsx's first sheet, else CSV in UTF-8, with
    commas or semicolons as Excel writes it)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return _xlsx_rows(path)
    text = path.read_text(encoding="utf-8-sig")
    dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    return [dict(r) for r in csv.DictReader(io.StringIO(text), dialect=dialect)]


def _xlsx_rows(path: Path) -> list[dict[str, str]]:
    from openpyxl import load_workbook  # only the import command needs it

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = [
            ["" if v is None else str(v) for v in row]
            for row in book.worksheets[0].iter_rows(values_only=True)
        ]
    finally:
        book.close()
    if not rows:
        return []
    header = [h.strip() for h in rows[0]]
    return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(v.strip() for v in r)]


def _yes(text: str) -> bool | None:
    value = text.strip().lower()
    return True if value in YES else (False if value in NO else None)


def _header_problems(rows: list[dict[str, str]]) -> list[Problem]:
    if not rows:
        return [Problem(None, None, "applications.import.empty")]
    header = {h.strip() for h in rows[0] if h}
    allowed = set(COLUMNS) | set(OPTIONAL)
    problems = [
        Problem(1, name, "applications.import.unknown_column", {"allowed": ", ".join(allowed)})
        for name in sorted(header - allowed)
    ]
    problems += [
        Problem(1, name, "applications.import.missing_column")
        for name in COLUMNS
        if name not in header
    ]
    return problems


def _row(session: Session, number: int, raw: dict[str, str]) -> tuple[_Row | None, list[Problem]]:
    get = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
    problems: list[Problem] = []
    network = network_by_key(session, get.get("network", ""))
    if network is None:
        problems.append(
            Problem(
                number,
                "network",
                "applications.import.network",
                {"network": get.get("network", "")},
            )
        )
    confirmed = {}
    for column in ("confirmed_time", "confirmed_binding"):
        confirmed[column] = _yes(get.get(column, ""))
        if confirmed[column] is None:
            problems.append(
                Problem(number, column, "applications.import.yes_no", {"value": get[column]})
            )
    language = get.get("language") or None
    if language is not None and language not in LANGUAGES:
        problems.append(
            Problem(number, "language", "applications.import.language", {"value": language})
        )
    values = ApplicationInput(
        **{name: get.get(name, "") for name in list(COLUMNS)[1:9]},
        confirmed_time=bool(confirmed["confirmed_time"]),
        confirmed_binding=bool(confirmed["confirmed_binding"]),
    )
    for name, (key, params) in problems_of(values).errors.items():
        if name != ApplicationField.CONFIRM:  # a "no" is read as not confirmed: said below
            problems.append(
                Problem(number, COLUMN_OF_FIELD[ApplicationField(name)], key, dict(params))
            )
    for column in ("confirmed_time", "confirmed_binding"):
        if confirmed[column] is False:
            problems.append(Problem(number, column, "applications.error.confirm"))
    if problems or network is None:
        return None, problems
    platform, external = (
        (Platform.SLACK, get["slack_id"])
        if get.get("slack_id")
        else (Platform.TEAMS, get["teams_id"])
        if get.get("teams_id")
        else (None, None)
    )
    return _Row(number, network, Applicant(platform, external, language), values), []


def check_rows(session: Session, rows: list[dict[str, str]]) -> list[_Row]:
    """Every row read and checked; ApplicationFileError naming every problem."""
    problems = _header_problems(rows)
    if problems:
        raise ApplicationFileError(problems)
    checked: list[_Row] = []
    seen: dict[tuple[int, str], int] = {}
    for number, raw in enumerate(rows, start=2):
        row, found = _row(session, number, raw)
        problems += found
        if row is None:
            continue
        key = (row.network.id, row.values.email.strip().lower())
        if key in seen:
            problems.append(
                Problem(number, "email", "applications.import.twice", {"row": seen[key]})
            )
        seen.setdefault(key, number)
        checked.append(row)
    problems += _decided_problems(session, checked)
    if problems:
        raise ApplicationFileError(problems)
    return checked


def _decided_problems(session: Session, rows: Iterable[_Row]) -> list[Problem]:
    """A row that would change an application decided already."""
    problems = []
    for row in rows:
        existing = session.scalars(
            select(Application).where(
                Application.network_id == row.network.id,
                Application.email == row.values.email.strip().lower(),
            )
        ).first()
        decided = existing is not None and existing.status is not ApplicationStatus.PENDING
        if decided and existing is not None and _differs(existing, row.values):
            problems.append(Problem(row.number, "email", "applications.error.decided"))
    return problems


def _differs(existing: Application, values: ApplicationInput) -> bool:
    probe = Application()
    for attr in (
        "name",
        "email",
        "workplace",
        "about",
        "tasks",
        "competencies",
        "wants",
        "contributes",
    ):
        setattr(probe, attr, getattr(existing, attr))
    probe.confirmed_time, probe.confirmed_binding = (
        existing.confirmed_time,
        existing.confirmed_binding,
    )
    return apply_values(probe, values)  # the same normalising as a save


def import_applications(
    session: Session, rows: list[dict[str, str]], now: datetime
) -> ImportResult:
    """Check `rows` as a whole, then save each (in the caller's transaction); what changed."""
    result = ImportResult()
    for row in check_rows(session, rows):
        existing = session.scalars(
            select(Application).where(
                Application.network_id == row.network.id,
                Application.email == row.values.email.strip().lower(),
            )
        ).first()
        if existing is not None and (
            existing.status is not ApplicationStatus.PENDING or not _differs(existing, row.values)
        ):
            result.unchanged += 1
            continue
        save_application(
            session=session,
            network=row.network,
            applicant=row.applicant,
            values=row.values,
            now=now,
            source="file",
            check_deadline=False,
        )
        if existing is None:
            result.added += 1
        else:
            result.changed += 1
    return result
