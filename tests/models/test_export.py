"""`/network export`: member text stays text in the XLSX and CSV files (no formula injection)."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from datetime import date

import openpyxl

from models.export import to_csv_zip, to_xlsx

HOSTILE = [
    '=HYPERLINK("https://evil.example/login","Klik")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "Almindelig note, æøå",
]
TABLES = {
    "followups": [["date", "member", "agreed", "next_step", "minutes", "done"]]
    + [["2015-10-01", "Anna Lund", text, text, 90, True] for text in HOSTILE]
}


def test_xlsx_writes_member_text_as_text_never_as_formula() -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx(TABLES)))
    sheet = workbook["followups"]
    rows = list(sheet.iter_rows(min_row=2))
    for row, text in zip(rows, HOSTILE, strict=True):
        for cell in (row[2], row[3]):
            assert cell.data_type == "s", (text, cell.data_type)  # a string, not "f" (formula)
            # What a reader sees is unchanged (XLSX stores a CR as _x000D_, which Excel reads
            # back as CR; openpyxl leaves it escaped).
            assert cell.value.replace("_x000D_", "\r") == text
            assert cell.hyperlink is None
        assert row[4].value == 90 and row[4].data_type == "n"  # numbers stay numbers
        assert row[5].value is True


def test_csv_neutralises_cells_a_spreadsheet_would_run() -> None:
    with zipfile.ZipFile(io.BytesIO(to_csv_zip(TABLES))) as archive:
        raw = archive.read("followups.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw, newline=""), delimiter=";"))
    got = [r[3] for r in rows[1:]]
    assert got == [("'" + t if t[0] in "=+-@\t\r" else t) for t in HOSTILE]
    assert got[-1] == "Almindelig note, æøå"  # ordinary text untouched
    assert [r[4] for r in rows[1:]] == ["90"] * len(HOSTILE)  # numbers are not quoted


def test_the_same_export_built_twice_is_the_same_file() -> None:
    # Teams' file consent offers the file (with its size), then builds it again on accept.
    first = to_xlsx(TABLES, date(2015, 10, 5))
    time.sleep(1.1)  # the workbook's own clock moves on; its stamped date does not
    assert to_xlsx(TABLES, date(2015, 10, 5)) == first
    created = openpyxl.load_workbook(io.BytesIO(first)).properties.created
    assert created is not None and created.date() == date(2015, 10, 5)
