"""`/network summary` and `/network export` at scale: a network of 1,000 members with a full
season of records (more than 20,000 rows), timing both and counting their SQL statements.

    .venv/bin/python bench/bench_summary.py [--members 1000] [--postgres URL]

Target: a summary under 200 ms with a constant number of statements, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, event, func, insert, select  # noqa: E402

from bench.bench_nudges import KICKOFF, build  # noqa: E402
from handlers.network import render_summary  # noqa: E402
from models.attendance import Attendance, AttendanceStatus  # noqa: E402
from models.base import Base  # noqa: E402
from models.db import make_engine, make_session_factory, upgrade_schema  # noqa: E402
from models.export import export_tables, to_csv_zip, to_xlsx  # noqa: E402
from models.followup import ManagerFollowUp  # noqa: E402
from models.network import Member, Network  # noqa: E402
from models.prep import Preparation, PrepExample, PrepQuestion  # noqa: E402
from models.sparring import SparringEntry, SparringReceiver  # noqa: E402
from models.summary import meeting_summary  # noqa: E402
from tests.pgtemp import temporary_database  # noqa: E402


def fill(factory, members: int) -> int:  # type: ignore[no-untyped-def]
    """One network of `members` members, everyone busy all season; returns the row count."""
    build(factory, 1, members)
    with factory.begin() as s:
        network = s.scalars(select(Network)).one()
        meetings = list(network.meetings)
        ids = s.scalars(select(Member.id).order_by(Member.id)).all()
        for m in meetings:
            s.execute(
                insert(Preparation),
                [
                    {
                        "member_id": i,
                        "meeting_id": m.id,
                        "manager_aligned": n % 3 != 0,
                        "manager_agreed": "Aftalt",
                        "updated_at": KICKOFF,
                    }
                    for n, i in enumerate(ids)
                ],
            )
            s.execute(
                insert(PrepQuestion),
                [
                    {
                        "member_id": i,
                        "meeting_id": m.id,
                        "position": p,
                        "text": "Spørgsmål",
                        "primary_id": ids[(n + 1) % len(ids)],
                        "secondary_id": ids[(n + 2) % len(ids)],
                        "updated_at": KICKOFF,
                    }
                    for n, i in enumerate(ids)
                    for p in (1, 2, 3)
                    if n % 4 != 0 or p == 1
                ],
            )
            s.execute(
                insert(PrepExample),
                [
                    {
                        "member_id": i,
                        "meeting_id": m.id,
                        "title": "Eks",
                        "idea": "Idé",
                        "effect": "",
                        "learning": "",
                        "source": "own",
                        "did_not_work": False,
                        "created_at": KICKOFF,
                        "updated_at": KICKOFF,
                    }
                    for n, i in enumerate(ids)
                    if n % 2 == 0
                ],
            )
            s.execute(
                insert(Attendance),
                [
                    {
                        "member_id": i,
                        "meeting_id": m.id,
                        "status": (AttendanceStatus.YES, AttendanceStatus.NO)[n % 5 == 0],
                        "created_at": KICKOFF,
                        "updated_at": KICKOFF,
                    }
                    for n, i in enumerate(ids)
                ],
            )
        start = network.season_start
        entries = (
            s.execute(
                insert(SparringEntry).returning(SparringEntry.id),
                [
                    {
                        "giver_id": i,
                        "given_on": start + timedelta(days=(n * 7 + k * 13) % 260),
                        "minutes": 30 + 15 * (k % 4),
                        "note": "",
                        "created_at": KICKOFF,
                    }
                    for n, i in enumerate(ids)
                    for k in range(8)
                ],
            )
            .scalars()
            .all()
        )
        s.execute(
            insert(SparringReceiver),
            [{"entry_id": e, "member_id": ids[(n + 3) % len(ids)]} for n, e in enumerate(entries)],
        )
        s.execute(
            insert(ManagerFollowUp),
            [
                {
                    "member_id": i,
                    "followed_up_on": start + timedelta(days=(n * 11 + k * 60) % 260),
                    "agreed": "Opfølgning",
                    "next_step": "",
                    "created_at": KICKOFF,
                    "updated_at": KICKOFF,
                }
                for n, i in enumerate(ids)
                for k in range(4)
            ],
        )
    with factory() as s:
        return sum(
            s.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--postgres", metavar="URL")
    args = parser.parse_args()
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        targets = [("sqlite", f"sqlite:///{tmp}/summary.db")]
        if args.postgres:
            targets.append(
                (
                    "postgresql",
                    stack.enter_context(temporary_database(args.postgres, "tovholder_bench")),
                )
            )
        for (name, url), members in [
            (t, n) for t in targets for n in (args.members // 10, args.members)
        ]:
            engine = make_engine(url)
            upgrade_schema(engine)
            factory = make_session_factory(engine)
            rows = fill(factory, members)
            count = {"n": 0}

            def tick(*_a: object, _c: dict[str, int] = count) -> None:
                _c["n"] += 1

            event.listen(engine, "before_cursor_execute", tick)
            for m_number in (2, 4):
                timings = []
                for _ in range(5):
                    with factory() as s:
                        network = s.scalars(select(Network)).one()
                        meeting = next(m for m in network.meetings if m.number == m_number)
                        count["n"] = 0
                        started = time.perf_counter()
                        summary = meeting_summary(session=s, network=network, meeting=meeting)
                        render_summary("da", summary)  # what /network summary shows
                        timings.append(time.perf_counter() - started)
                        statements = count["n"]
                timings.sort()
                print(
                    f"{name}: {rows} rows, summary of meeting {m_number} for "
                    f"{len(summary.lines)} members: median {timings[2] * 1000:.0f} ms, "
                    f"best {timings[0] * 1000:.0f} ms, {statements} SQL statements; "
                    f"{len(summary.behind)} behind"
                )
            with factory() as s:
                network = s.scalars(select(Network)).one()
                count["n"] = 0
                started = time.perf_counter()
                tables = export_tables(session=s, network=network)
                xlsx, zipped = to_xlsx(tables), to_csv_zip(tables)
                seconds = time.perf_counter() - started
                print(
                    f"{name}: export of {sum(len(t) - 1 for t in tables.values())} records: "
                    f"{seconds * 1000:.0f} ms, {count['n']} SQL statements, XLSX "
                    f"{len(xlsx) // 1024} KiB, CSV zip {len(zipped) // 1024} KiB"
                )
            event.remove(engine, "before_cursor_execute", tick)
            with factory.begin() as s:
                for table in reversed(Base.metadata.sorted_tables):
                    s.execute(delete(table))
            engine.dispose()


if __name__ == "__main__":
    main()
