"""`python -m bot applications import FILE`: applications that came by e-mail, from a CSV or
XLSX file, checked as a whole and imported all or nothing (models/application_import.py)."""

from __future__ import annotations

import argparse
import csv
import sys
import zipfile
from typing import Any

from bot.settings import database_url_from_env
from handlers.catalogue import plain_text, t
from models.application_import import (
    COLUMNS,
    OPTIONAL,
    ApplicationFileError,
    Problem,
    import_applications,
    read_rows,
)
from models.base import utc_now
from models.db import make_engine, make_session_factory, upgrade_schema

EXIT_INPUT = 4  # a bad file, as bot.cli's EXIT_INPUT


def _where(problem: Problem) -> str:
    parts = [
        f"row {problem.row}" if problem.row else "",
        f'column "{problem.column}"' if problem.column else "",
    ]
    return ", ".join(p for p in parts if p) or "file"


def problem_lines(problems: list[Problem]) -> list[str]:
    """Each problem as a line: where it is, and what is wrong (in English, as the texts say)."""
    return [f"  - {_where(p)}: {plain_text(t('en', p.key, **p.params))}" for p in problems]


def cmd_applications_import(args: argparse.Namespace) -> int:
    """Import the file's applications in one transaction, or name every problem and import
    nothing (exit code 4)."""
    try:
        rows = read_rows(args.file)
    except (OSError, UnicodeDecodeError, csv.Error, zipfile.BadZipFile, ValueError) as exc:
        print(f"{args.file}: cannot read the file ({exc}); nothing was imported", file=sys.stderr)
        return EXIT_INPUT
    engine = make_engine(database_url_from_env())
    upgrade_schema(engine)
    try:
        with make_session_factory(engine).begin() as session:
            result = import_applications(session, rows, utc_now())
    except ApplicationFileError as exc:
        lines = problem_lines(exc.problems)
        print(f"{args.file}: {len(lines)} problem(s), nothing was imported:", file=sys.stderr)
        print("\n".join(lines), file=sys.stderr)
        return EXIT_INPUT
    print(
        f"Applications: {result.added} added, {result.changed} changed, "
        f"{result.unchanged} unchanged."
    )
    return 0


def add_parser(sub: Any) -> None:
    """`applications import FILE` under the main parser's subcommands."""
    applications = sub.add_parser("applications", help="applications for a seat")
    app_sub = applications.add_subparsers(dest="applications_command", required=True)
    imp = app_sub.add_parser(
        "import",
        help="import applications from a CSV or XLSX file, columns: "
        + ", ".join([*COLUMNS, *(f"[{c}]" for c in OPTIONAL)]),
    )
    imp.add_argument("file", help="the .csv (UTF-8) or .xlsx file")
    imp.set_defaults(func=cmd_applications_import)
