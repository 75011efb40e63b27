"""The benchmark's same-work anchor: a bare Bolt app doing `/sparring logged 2h` minimally.

It does what our `/sparring logged 2h` must do and nothing more: Bolt verifies the signature,
the listener looks the member up, inserts the entry, sums the member's period and acks with
the total — the entry committed before the ack. It talks to the database with the driver
directly: the standard library's `sqlite3` (WAL, synchronous=NORMAL, like ours) or psycopg,
one connection per server thread. SQLite writes are queued on one lock, as ours are.

It reads the schema directly (the person found through their Slack identity, as ours is);
it is a bench fixture, not product code.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App
from slack_sdk import WebClient

MEMBER_SQL = (
    "SELECT m.id, m.timezone, n.timezone, n.id, n.season_start, n.season_end, "
    "n.sparring_target_minutes FROM identity i JOIN member m ON m.id = i.member_id "
    "JOIN network n ON n.id = m.network_id "
    "WHERE i.platform = 'slack' AND i.external_id = {p} AND m.active AND m.role = 'member' "
    "ORDER BY n.season_end DESC LIMIT 1"
)
MEETINGS_SQL = "SELECT starts_at FROM meeting WHERE network_id = {p} ORDER BY number"
INSERT_SQL = (
    "INSERT INTO sparring_entry (giver_id, given_on, minutes, note, created_at) "
    "VALUES ({p}, {p}, {p}, '', {p})"
)
SUM_SQL = (
    "SELECT coalesce(sum(minutes), 0) FROM sparring_entry WHERE giver_id = {p} "
    "AND removed_at IS NULL AND given_on >= {p} AND given_on <= {p}"
)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Store:
    """One connection per thread; `run(user)` does the command's database work."""

    def __init__(self, database_url: str) -> None:
        self.postgres = database_url.startswith("postgresql")
        p = "%s" if self.postgres else "?"
        self.sql = {
            name: sql.format(p=p)
            for name, sql in (
                ("member", MEMBER_SQL),
                ("meetings", MEETINGS_SQL),
                ("insert", INSERT_SQL),
                ("sum", SUM_SQL),
            )
        }
        if self.postgres:
            self.dsn = database_url.replace("postgresql+psycopg://", "postgresql://")
        else:
            self.path = database_url.split("sqlite:///", 1)[1]
        self.local = threading.local()
        self.write_lock = threading.Lock()

    def connection(self) -> Any:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            if self.postgres:
                import psycopg

                conn = psycopg.connect(self.dsn)
            else:
                conn = sqlite3.connect(self.path, timeout=5, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=ON")
            self.local.conn = conn
        return conn

    def log_two_hours(self, user_id: str, now: datetime) -> int | None:
        """Insert 120 minutes for today and return the period's total (None: no member)."""
        conn = self.connection()
        cur = conn.cursor()
        cur.execute(self.sql["member"], (user_id,))
        row = cur.fetchone()
        if row is None:
            conn.rollback()
            return None
        member_id, member_zone, network_zone, network_id, start, end, _target = row
        zone = ZoneInfo(member_zone or network_zone)
        today = now.astimezone(zone).date()
        start, end = _as_date(start), _as_date(end)
        cur.execute(self.sql["meetings"], (network_id,))
        days = [_as_datetime(r[0]).astimezone(zone).date() for r in cur.fetchall()]
        bounds = [start, *days, end + timedelta(days=1)]
        day = min(max(today, start), end)
        lo, hi = start, end
        for a, b in pairwise(bounds):
            if a <= day < b:
                lo, hi = a, b - timedelta(days=1)
                break
        args: tuple[Any, ...] = (member_id, today, 120, now)
        if not self.postgres:
            args = (member_id, today.isoformat(), 120, now.strftime("%Y-%m-%d %H:%M:%S.%f"))
        lock = self.write_lock if not self.postgres else None
        if lock is not None:
            lock.acquire()
        try:
            cur.execute(self.sql["insert"], args)
            if self.postgres:
                cur.execute(self.sql["sum"], (member_id, lo, hi))
            else:
                cur.execute(self.sql["sum"], (member_id, lo.isoformat(), hi.isoformat()))
            total = int(cur.fetchone()[0])
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            if lock is not None:
                lock.release()
        return total


def same_work_app(database_url: str, signing_secret: str, slack_url: str, now: datetime) -> App:
    store = Store(database_url)
    app = App(
        client=WebClient(token="xoxb-bench", base_url=slack_url),
        signing_secret=signing_secret,
        process_before_response=True,
    )

    @app.command("/sparring")
    def logged(ack: Ack, body: dict[str, Any]) -> None:
        total = store.log_two_hours(str(body["user_id"]), now)
        if total is None:
            ack(response_type="ephemeral", text="not a member")
        else:
            ack(response_type="ephemeral", text=f"Logged 2 h. This period: {total} min.")

    return app


def ack_only_app(signing_secret: str, slack_url: str) -> App:
    app = App(
        client=WebClient(token="xoxb-bench", base_url=slack_url),
        signing_secret=signing_secret,
        process_before_response=True,
    )

    @app.command("/sparring")
    def ack_only(ack: Ack) -> None:
        ack()

    return app
