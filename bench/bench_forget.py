"""`/network forget` on a full season: a network of 1,000 members (more than 20,000 rows),
timing one erasure (outbox, every text column of every table searched, history).

    .venv/bin/python bench/bench_forget.py [--members 1000] [--postgres URL]

Anchor: inside Slack's 3 s acknowledgement window with room to spare (the erasure runs
before the ack), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, select  # noqa: E402

from bench.bench_summary import fill  # noqa: E402
from models.base import Base  # noqa: E402
from models.db import make_engine, make_session_factory, upgrade_schema  # noqa: E402
from models.network import Member, Role  # noqa: E402
from models.privacy import forget_member  # noqa: E402
from tests.pgtemp import temporary_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--postgres", metavar="URL")
    args = parser.parse_args()
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        targets = [("sqlite", f"sqlite:///{tmp}/forget.db")]
        if args.postgres:
            targets.append(
                ("postgresql", stack.enter_context(temporary_database(args.postgres, "forget")))
            )
        for name, url in targets:
            engine = make_engine(url)
            upgrade_schema(engine)
            factory = make_session_factory(engine)
            rows = fill(factory, args.members)
            timings = []
            for n in range(3):
                with factory() as s:
                    people = s.scalars(
                        select(Member).where(Member.role == Role.MEMBER).order_by(Member.id)
                    ).all()
                    target, by = people[10 + n], people[0]
                    started = time.perf_counter()
                    forget_member(session=s, member=target, by=by, now=by.created_at)
                    s.commit()
                    timings.append(time.perf_counter() - started)
            timings.sort()
            print(
                f"{name}: {rows} rows, {args.members} members: forget median "
                f"{timings[1] * 1000:.0f} ms, best {timings[0] * 1000:.0f} ms "
                "(anchor: well under Slack's 3 s)"
            )
            with factory.begin() as s:
                for table in reversed(Base.metadata.sorted_tables):
                    s.execute(delete(table))
            engine.dispose()


if __name__ == "__main__":
    main()
