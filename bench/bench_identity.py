"""Who is asking: `find_people` (a Slack id -> the person's network roles, with network and
identities loaded), as every request does, among 10,000 people in 100 networks.

    .venv/bin/python bench/bench_identity.py [--members 10000] [--lookups 3000] [--postgres URL]

Prints the time per lookup (session opened and closed, as a request does) beside an anchor:
the same row read by a bare indexed SELECT through the same engine. Target: the lookup stays
one statement and within a few times the anchor, whatever the number of people.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, event, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from models.db import make_engine, make_session_factory, upgrade_schema  # noqa: E402
from models.network import Identity, Member, Network, Platform, Role, find_people  # noqa: E402
from tests.pgtemp import temporary_database  # noqa: E402

NOW = datetime(2015, 10, 5, 8, 0, tzinfo=UTC)


def build(factory: sessionmaker[Session], networks: int, members: int) -> list[str]:
    per_network = max(1, members // networks)
    with factory.begin() as s:
        s.add_all(
            Network(
                key=f"net-{n}",
                name=f"Net {n}",
                timezone="Europe/Copenhagen",
                country="DK",
                language="da",
                season_start=date(2015, 9, 1),
                season_end=date(2016, 5, 31),
                sparring_target_minutes=120,
            )
            for n in range(networks)
        )
        s.flush()
        ids = s.scalars(select(Network.id)).all()
        s.execute(
            insert(Member),
            [
                {
                    "network_id": nid,
                    "role": Role.MEMBER,
                    "name": f"M {nid}-{i}",
                    "active": True,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for nid in ids
                for i in range(per_network)
            ],
        )
        people = s.execute(select(Member.id, Member.network_id)).all()
        s.execute(
            insert(Identity),
            [
                {
                    "member_id": mid,
                    "network_id": nid,
                    "platform": Platform.SLACK,
                    "external_id": f"U{mid:09d}",
                    "created_at": NOW,
                }
                for mid, nid in people
            ],
        )
    return [f"U{mid:09d}" for mid, _ in people]


def per_call(lookups: int, call: object) -> float:
    assert callable(call)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(lookups):
            call()
        best = min(best, (time.perf_counter() - start) / lookups)
    return best * 1e6


def run(engine: Engine, members: int, networks: int, lookups: int) -> None:
    upgrade_schema(engine)
    factory = make_session_factory(engine)
    ids = build(factory, networks, members)
    who = ids[len(ids) // 2]
    statements = 0

    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    def ours() -> None:
        with factory() as s:
            (person,) = find_people(s, who)
            assert person.slack_user_id == who and person.network.key

    event.listen(engine, "before_cursor_execute", count)
    ours()
    event.remove(engine, "before_cursor_execute", count)
    anchor_sql = text(
        "SELECT m.id, n.id FROM identity i JOIN member m ON m.id = i.member_id "
        "JOIN network n ON n.id = m.network_id WHERE i.platform = 'slack' AND i.external_id = :e"
    )

    def anchor() -> None:
        with engine.connect() as conn:
            assert conn.execute(anchor_sql, {"e": who}).first()

    print(f"  {len(ids)} people in {networks} networks; statements per lookup: {statements}")
    print(f"  find_people: {per_call(lookups, ours):7.0f} µs per lookup")
    print(f"  anchor (bare indexed SELECT): {per_call(lookups, anchor):7.0f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--networks", type=int, default=100)
    parser.add_argument("--lookups", type=int, default=3000)
    parser.add_argument("--postgres", metavar="URL", help="also run on a PostgreSQL server")
    args = parser.parse_args()
    with ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        print("SQLite:")
        run(make_engine(f"sqlite:///{folder}/bench.db"), args.members, args.networks, args.lookups)
        if args.postgres:
            print("PostgreSQL:")
            url = stack.enter_context(temporary_database(args.postgres, prefix="bench_identity"))
            engine = make_engine(url)
            run(engine, args.members, args.networks, args.lookups)
            engine.dispose()


if __name__ == "__main__":
    main()
