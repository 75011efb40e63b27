"""The request's hot path on the database driver: who is asking (with the replay check) and
`/sparring logged 2h` (the period, its sum, the entry and the replay keys, one commit).

Through SQLAlchemy each statement costs 40–100 µs of Python; here the same statements — the
models' own Core statements, compiled once per dialect — run on the driver's cursor of the
request session's pooled connection, in its transaction. Parameters and results go through
the columns' own type processors (the same stored text, the same Python values as Core),
and text parameters are cleaned as the engine's hook cleans them (`models.db`).

Only the common case runs here: a plain entry (no receivers) that passes every check. Any
other input goes the ORM way (`models.sparring`), which gives the errors; the tests hold the
two ways to the same rows, totals and replay semantics.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ClauseElement,
    Insert,
    Select,
    String,
    Text,
    bindparam,
    cast,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm.attributes import instance_dict
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.sqltypes import NullType

from models.base import Base, clean_text
from models.db import PING_AFTER_IDLE_S, sqlite_write_lock
from models.network import (
    _MEETING_STARTS,
    _MEMBER_KEYS,
    _NETWORK_KEYS,
    _PEOPLE_ROWS,
    Meeting,
    Network,
    Period,
    Platform,
    Role,
    period_containing,
)
from models.replay import _SEEN_AND_PEOPLE, AlreadyHandledError
from models.sparring import (
    _PERIOD_SUM,
    MAX_MINUTES_PER_ENTRY,
    MAX_NOTE_LENGTH,
    PeriodTotal,
    SparringEntry,
)

log = logging.getLogger(__name__)

Row = tuple[Any, ...]
_Processor = Callable[[Any], Any] | None


_PYFORMAT = re.compile(r"%\((\w+)\)s")


class Prepared:
    """One Core statement compiled once for a dialect, run on a driver cursor."""

    __slots__ = ("binds", "named", "names", "processors", "results", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self.sql = str(compiled)
        self.named = not compiled.positional
        self.names: list[str] = list(compiled.positiontup or compiled.binds)
        if self.named and dialect.paramstyle == "pyformat":
            # psycopg: positional %s, as the driver takes them with the least work.
            self.names = _PYFORMAT.findall(self.sql)
            self.sql, self.named = _PYFORMAT.sub("%s", self.sql), False
        # Per parameter: its name, its value when none is given, its type's processor, and
        # whether it is text (the only values that can hold what a person typed).
        self.binds: list[tuple[str, Any, _Processor, bool]] = [
            (
                name,
                compiled.binds[name].effective_value,
                compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect),
                isinstance(compiled.binds[name].type, String | NullType),
            )
            for name in self.names
        ]
        self.results: list[tuple[int, Callable[[Any], Any]]] = []
        for index, column in enumerate(compiled._result_columns or ()):
            processor = column[3].dialect_impl(dialect).result_processor(dialect, None)
            if processor is not None:
                self.results.append((index, processor))
        self.processors = dict(self.results)

    def parameters(self, values: dict[str, Any]) -> Any:
        """The driver's parameters: processed by type, text cleaned (as `models.db` does)."""
        out = []
        get = values.get
        for name, default, processor, text in self.binds:
            value = get(name, default)
            if processor is not None:
                value = processor(value)
            out.append(clean_text(value) if text and value.__class__ is str else value)
        return dict(zip(self.names, out, strict=True)) if self.named else tuple(out)

    def rows(self, cursor: Any, values: dict[str, Any]) -> list[Row]:
        cursor.execute(self.sql, self.parameters(values))
        return self.fetched(cursor)

    def fetched(self, cursor: Any) -> list[Row]:
        """The rows of this statement, run last on `cursor`, processed by type."""
        rows = cursor.fetchall()
        if not self.results:
            return [tuple(row) for row in rows]
        return [self.processed(row) for row in rows]

    def processed_value(self, index: int, value: Any) -> Any:
        """One column's value as the driver gave it, processed by type."""
        processor = self.processors.get(index)
        return value if processor is None else processor(value)

    def processed(self, row: Row) -> Row:
        """One row as the driver gave it, processed by type."""
        values_ = list(row)
        for index, processor in self.results:
            values_[index] = processor(values_[index])
        return tuple(values_)

    def run(self, cursor: Any, values: dict[str, Any]) -> None:
        cursor.execute(self.sql, self.parameters(values))

    def run_many(self, cursor: Any, rows: Sequence[dict[str, Any]]) -> None:
        cursor.executemany(self.sql, [self.parameters(r) for r in rows])


class PeopleRows(Sequence[Row]):
    """The people rows (member, then network columns) of the seen-and-people statement, as
    the driver gave them, processed by type only when read: who is asking needs a few
    columns, which `person_of_row` reads as they come (`raw`); the ORM way needs them all,
    processed, and reads the rows themselves. On SQLite processing a row costs some 40 µs
    (its dates and times are text parsed in Python), so a `/sparring logged` skips it."""

    __slots__ = ("_full", "_processed", "_statement")

    def __init__(self, full: list[Row], statement: Prepared) -> None:
        self._full = full  # whole rows: the seen flag first, the meeting times last
        self._statement = statement
        self._processed: list[Row] | None = None

    @property
    def raw(self) -> list[Row]:
        return [row[1:-1] for row in self._full]

    def _rows(self) -> list[Row]:
        if self._processed is None:
            self._processed = [self._statement.processed(row)[1:-1] for row in self._full]
        return self._processed

    def __getitem__(self, index: Any) -> Any:
        return self._rows()[index]

    def __len__(self) -> int:
        return len(self._full)


_ENTRY = Base.metadata.tables[SparringEntry.__tablename__]
_ENTRY_COLUMNS = ("giver_id", "given_on", "minutes", "note", "created_at", "removed_at")
_INSERT_PLAIN_ENTRY = insert(_ENTRY).values(
    {name: bindparam(name, type_=_ENTRY.c[name].type) for name in _ENTRY_COLUMNS}
)
_INSERT_ENTRY = _INSERT_PLAIN_ENTRY.returning(_ENTRY.c.id)
_SEEN = Base.metadata.tables["seen_request"]
_INSERT_SEEN = insert(_SEEN).values(
    {name: bindparam(name, type_=_SEEN.c[name].type) for name in ("key", "seen_at")}
)


def _insert_keys(count: int) -> Insert:
    """`count` replay keys in one INSERT (parameters key_0, seen_at_0, key_1, …)."""
    return insert(_SEEN).values(
        [
            {
                "key": bindparam(f"key_{i}", type_=_SEEN.c.key.type),
                "seen_at": bindparam(f"seen_at_{i}", type_=_SEEN.c.seen_at.type),
            }
            for i in range(count)
        ]
    )


# The period's sum as it was before the entry, returned by the insert: PostgreSQL runs a
# statement's subqueries on the snapshot it started with, which does not hold the row the
# statement inserts. Not correlated: its sparring_entry is its own, not the insert's row.
_SUM_BEFORE = _PERIOD_SUM.correlate(None).scalar_subquery()


def _entry_with_keys(count: int) -> Insert:
    """PostgreSQL: the entry and `count` replay keys in one statement (a data-modifying CTE),
    returning the entry's id and the period's sum before it: one round trip for all three."""
    return _INSERT_ENTRY.returning(_SUM_BEFORE).add_cte(_insert_keys(count).cte("seen_keys"))


def _numbered(keys: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Replay key rows as the parameters of `_insert_keys`."""
    values: dict[str, Any] = {}
    for i, key in enumerate(keys):
        values[f"key_{i}"], values[f"seen_at_{i}"] = key["key"], key["seen_at"]
    return values


def _is_a_seen_key(error: Exception) -> bool:
    """Whether a unique violation is a replay key's (PostgreSQL names the constraint)."""
    diag = getattr(error, "diag", None)
    return getattr(diag, "constraint_name", None) == _SEEN.primary_key.name


_MEETING = Base.metadata.tables[Meeting.__tablename__]
_NETWORK_ID = Base.metadata.tables[Network.__tablename__].c.id


def _with_meeting_starts(people: Select[Any], dialect: Dialect) -> Select[Any]:
    """The people query with one more column: each row's network's meeting start times, so
    the period of a day needs no statement of its own. PostgreSQL aggregates them into an
    array in meeting order; SQLite into text, "number start;…", put in order when read."""
    if dialect.name == "postgresql":
        starts: Any = func.array_agg(aggregate_order_by(_MEETING.c.starts_at, _MEETING.c.number))
    else:
        pair = cast(_MEETING.c.number, Text) + " " + cast(_MEETING.c.starts_at, Text)
        starts = func.group_concat(pair, ";")
    column = select(starts).where(_MEETING.c.network_id == _NETWORK_ID).scalar_subquery()
    return people.add_columns(column.label("meeting_starts"))


def _meeting_starts_of(value: Any) -> tuple[datetime, ...]:
    """The meeting start times, in meeting order, from `_with_meeting_starts`' column."""
    if value is None:
        return ()
    if isinstance(value, list):  # PostgreSQL: an array, in order, processed
        return tuple(value)
    return _parsed_meeting_starts(value)


# Memoised: every request of a network reads the same text (until a meeting moves).
@lru_cache(maxsize=256)
def _parsed_meeting_starts(value: str) -> tuple[datetime, ...]:
    """SQLite's "number start;…" text as start times in meeting order."""
    pairs = sorted((int(n), start) for n, _, start in (p.partition(" ") for p in value.split(";")))
    return tuple(datetime.fromisoformat(start).replace(tzinfo=UTC) for _n, start in pairs)


@lru_cache(maxsize=256)
def _local_days(starts: tuple[datetime, ...], zone: ZoneInfo) -> list[date]:
    """The local dates of meeting `starts` in the network's `zone` (memoised as above)."""
    return [start.astimezone(zone).date() for start in starts]


class Statements:
    """The hot path's statements, compiled for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        self.seen_people_and_meetings = Prepared(
            _with_meeting_starts(_SEEN_AND_PEOPLE, dialect), dialect
        )
        self.people = Prepared(_PEOPLE_ROWS, dialect)
        self.meeting_starts = Prepared(_MEETING_STARTS, dialect)
        self.period_sum = Prepared(_PERIOD_SUM, dialect)
        # SQLite tells the new row's id itself (the cursor's lastrowid): a RETURNING costs
        # more there; PostgreSQL returns it.
        self.id_returned = dialect.name != "sqlite"
        self.insert_entry = Prepared(
            _INSERT_ENTRY if self.id_returned else _INSERT_PLAIN_ENTRY, dialect
        )
        self.insert_seen = Prepared(_INSERT_SEEN, dialect)
        # The one or two keys a request has (the gate's), in one statement.
        self.insert_keys = {n: Prepared(_insert_keys(n), dialect) for n in (1, 2)}
        # PostgreSQL: the entry and one or two keys in one statement (a data-modifying CTE;
        # SQLite has none), a round trip and a statement less.
        self.insert_entry_with_keys = (
            {n: Prepared(_entry_with_keys(n), dialect) for n in (1, 2)}
            if dialect.name == "postgresql"
            else {}
        )
        self.integrity_error: type[Exception] = dialect.loaded_dbapi.IntegrityError


_STATEMENTS: WeakKeyDictionary[Dialect, Statements] = WeakKeyDictionary()
_COMPILE_LOCK = threading.Lock()


def statements_for(dialect: Dialect) -> Statements:
    found = _STATEMENTS.get(dialect)
    if found is None:
        with _COMPILE_LOCK:
            found = _STATEMENTS.setdefault(dialect, Statements(dialect))
    return found


@dataclass(frozen=True)
class Person:
    """One role of the person asking, as plain values from the people query's row."""

    member_id: int
    role: Role
    language: str
    zone: ZoneInfo
    network_id: int
    network_zone: ZoneInfo
    season_start: date
    season_end: date
    target_minutes: int
    closed: bool = False  # the next season took over

    def today(self, now: datetime) -> date:
        return now.astimezone(self.zone).date()


_M = {key: i for i, key in enumerate(_MEMBER_KEYS)}
_N = {key: i + len(_MEMBER_KEYS) for i, key in enumerate(_NETWORK_KEYS)}
_NETWORK_ID_AT = 1 + _N["id"]  # in a row of the seen-and-people statement


def person_of_row(row: Row) -> Person:
    """The plain facts of a people row (member columns, then the network's), processed by
    type or as the driver gave it (`PeopleRows.raw`: SQLite gives dates as text)."""
    network_zone = ZoneInfo(row[_N["timezone"]])
    own_zone = row[_M["timezone"]] or row[_M["slack_timezone"]]
    return Person(
        member_id=row[_M["id"]],
        role=Role(row[_M["role"]]),
        language=row[_M["language"]] or row[_N["language"]],
        zone=ZoneInfo(own_zone) if own_zone else network_zone,
        network_id=row[_N["id"]],
        network_zone=network_zone,
        season_start=_as_date(row[_N["season_start"]]),
        season_end=_as_date(row[_N["season_end"]]),
        target_minutes=row[_N["sparring_target_minutes"]],
        closed=row[_N["closed_at"]] is not None,
    )


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def pick_person(people: list[Person], now: datetime) -> Person | None:
    """`models.network.pick_member` on plain facts: the member role in a season running now,
    else the newest season's; None when they are no member."""
    candidates = [p for p in people if p.role is Role.MEMBER]
    for person in candidates:
        if not person.closed and person.season_start <= person.today(now) <= person.season_end:
            return person
    return candidates[0] if candidates else None


class HotConnection:
    """A driver connection of `engine` with the hot path's statements; `release` ends what
    was not committed. Made by `hot_connection`, one per server thread, or standalone (a
    pooled connection, given back to the pool by `release`)."""

    def __init__(self, engine: Engine, *, resident: bool = False) -> None:
        pooled = engine.raw_connection()
        driver: Any = pooled.driver_connection
        if resident:
            # Out of the pool for the thread's life: the pool keeps its connections for the
            # sessions, so a request that also opens one never waits for a second.
            pooled.detach()
        self._pooled: Any = pooled
        self.driver = driver
        self.statements = statements_for(engine.dialect)
        self.write_lock = sqlite_write_lock(engine)
        self.resident = resident
        # PostgreSQL, a resident connection (never back in the pool): each statement its own
        # transaction. Saves the BEGIN and COMMIT round trips of a `/sparring logged`, whose
        # reads gain nothing from one transaction (READ COMMITTED takes a snapshot per
        # statement anyway) and whose write is one statement; writes of several statements
        # run in an explicit transaction (`_insert_and_commit`).
        self.autocommit = resident and engine.dialect.driver == "psycopg"
        if self.autocommit:
            try:
                driver.autocommit = True
            except BaseException:
                _close_quietly(driver)  # out of the pool already: nobody else would
                raise
        self.cursor: Any = driver.cursor()
        self.in_use = False
        self.idle_since = time.monotonic()
        # Meeting times read with who is asking, by network id: for this request only.
        self.meeting_starts: dict[int, tuple[datetime, ...]] = {}
        if resident:
            weakref.finalize(self, _close_quietly, driver)

    def release(self) -> None:
        """Roll back what was not committed; a standalone connection goes back to the pool,
        a resident one waits for the thread's next request (or is closed when broken)."""
        if not self.resident:
            if self._pooled is not None:
                try:
                    self.cursor.close()
                finally:
                    self._pooled.close()
                    self._pooled = None
            return
        self.in_use = False
        self.idle_since = time.monotonic()
        self.meeting_starts = {}
        try:
            self.driver.rollback()  # nothing to do, and no round trip, after a commit
        except Exception:
            log.warning("closed a broken hot-path connection", exc_info=True)
            self.close()

    def close(self) -> None:
        """Close a resident connection (out of the pool, so the driver's own close)."""
        if self._pooled is not None:
            _close_quietly(self.driver)
            self._pooled = None

    @property
    def usable(self) -> bool:
        """Not closed, nor known to be broken (psycopg says so; sqlite3 refuses to answer)."""
        if self._pooled is None:
            return False
        closed = getattr(self.driver, "closed", None)
        if closed is not None:
            return not closed and not getattr(self.driver, "broken", False)
        try:
            self.driver.in_transaction  # noqa: B018 - sqlite3 raises once it is closed
        except Exception:
            return False
        return True

    def alive_after_idle(self, dialect: Dialect) -> bool:
        """Whether the connection still answers, asked only after it lay idle a while (as the
        pool asks its own: models.db)."""
        if time.monotonic() - self.idle_since < PING_AFTER_IDLE_S:
            return True
        try:
            dialect.do_ping(self.driver)
        except Exception:
            return False
        return True

    def seen_and_people(
        self, keys: list[str], platform: Platform, external_id: str | None
    ) -> tuple[bool, PeopleRows]:
        """Whether one of (one or two) `keys` was stored before, and the people rows (member
        then network columns, processed when read) of `external_id` on `platform`. Their
        networks' meeting times come along, kept for `period_of` until `release`."""
        params = {"a": keys[0], "b": keys[-1], "platform": platform, "external_id": external_id}
        statement = self.statements.seen_people_and_meetings
        self.cursor.execute(statement.sql, statement.parameters(params))
        rows = self.cursor.fetchall()
        people = []
        for row in rows:
            if row[1] is not None:
                people.append(row)
                starts = row[-1]
                if isinstance(starts, list):  # PostgreSQL: an array, processed by its type
                    starts = statement.processed_value(len(row) - 1, starts)
                self.meeting_starts[row[_NETWORK_ID_AT]] = _meeting_starts_of(starts)
        return bool(rows[0][0]), PeopleRows(people, statement)

    def people(self, platform: Platform, external_id: str) -> list[Row]:
        params = {"platform": platform, "external_id": external_id}
        return self.statements.people.rows(self.cursor, params)

    def period_of(self, person: Person, day: date) -> Period | None:
        starts = self.meeting_starts.get(person.network_id)
        if starts is None:
            params = {"network_id": person.network_id}
            starts = tuple(
                start for (start,) in self.statements.meeting_starts.rows(self.cursor, params)
            )
        days = _local_days(starts, person.network_zone)
        return period_containing(person.season_start, person.season_end, days, day)

    def log_plain_entry(
        self,
        person: Person,
        minutes: int,
        given_on: date,
        note: str,
        now: datetime,
        keys: Sequence[dict[str, Any]] = (),
    ) -> tuple[SparringEntry, PeriodTotal] | None:
        """Log an entry without receivers and commit it with the request's replay `keys`
        (rows of seen_request): the entry (in no session) and the period's total. None, with
        nothing done, when the entry is not valid: the ORM way (`log_sparring_with_total`)
        says why. AlreadyHandledError, with nothing stored, when a key was stored before."""
        note = note.strip()
        if not 0 < minutes <= MAX_MINUTES_PER_ENTRY or len(note) > MAX_NOTE_LENGTH:
            return None
        if given_on > person.today(now):
            return None
        period = self.period_of(person, given_on)
        if period is None:
            return None
        bounds = {"giver_id": person.member_id, "start": period.start, "end": period.end}
        values = {
            "giver_id": person.member_id,
            "given_on": given_on,
            "minutes": minutes,
            "note": note,
            "created_at": now,
            "removed_at": None,
        }
        if len(keys) not in self.statements.insert_entry_with_keys:
            with_sum = None
            ((before,),) = self.statements.period_sum.rows(self.cursor, bounds)
        else:
            with_sum = bounds  # the insert returns the sum before it
        entry_id, summed = self._insert_and_commit(values, keys, with_sum)
        if summed is not None:
            before = summed
        total = PeriodTotal(period, int(before or 0) + minutes, person.target_minutes)
        return _plain_entry({"id": entry_id, **values, "receivers": []}), total

    def _insert_and_commit(
        self,
        values: dict[str, Any],
        keys: Sequence[dict[str, Any]],
        bounds: dict[str, Any] | None,
    ) -> tuple[int, int | None]:
        """Insert the entry and the replay keys, commit: together or not at all. The entry's
        id, and the period's sum before it where the insert could say (PostgreSQL). `bounds`
        (the period's) is given exactly when the entry and its keys go in as one statement
        that returns that sum (`Statements.insert_entry_with_keys`)."""
        lock = self.write_lock
        if lock is not None:
            lock.acquire()
        try:
            if self.autocommit:
                if bounds is not None or not keys:
                    return self._insert(values, keys, bounds)  # one statement: committed
                with self.driver.transaction():
                    return self._insert(values, keys, bounds)
            inserted = self._insert(values, keys, bounds)
            self.driver.commit()
        except BaseException:
            self.driver.rollback()
            raise
        finally:
            if lock is not None:
                lock.release()
        return inserted

    def _insert(
        self, values: dict[str, Any], keys: Sequence[dict[str, Any]], bounds: dict[str, Any] | None
    ) -> tuple[int, int | None]:
        """Insert the entry and the keys; AlreadyHandledError when a key was stored before."""
        statements = self.statements
        try:
            if bounds is not None:
                combined = statements.insert_entry_with_keys[len(keys)]
                parameters = {**values, **bounds, **_numbered(keys)}
                ((entry_id, before),) = combined.rows(self.cursor, parameters)
                return int(entry_id), int(before)
            if statements.id_returned:
                ((entry_id,),) = statements.insert_entry.rows(self.cursor, values)
            else:
                statements.insert_entry.run(self.cursor, values)
                entry_id = self.cursor.lastrowid
        except statements.integrity_error as error:
            if _is_a_seen_key(error):
                raise AlreadyHandledError(_named(keys)) from error
            raise
        if keys:
            together = statements.insert_keys.get(len(keys))
            try:
                if together is not None:
                    together.run(self.cursor, _numbered(keys))
                else:
                    statements.insert_seen.run_many(self.cursor, keys)
            except statements.integrity_error as error:
                raise AlreadyHandledError(_named(keys)) from error
        return int(entry_id), None


def _named(keys: Sequence[dict[str, Any]]) -> str:
    return ", ".join(str(key["key"]) for key in keys)


def _plain_entry(values: dict[str, Any]) -> SparringEntry:
    """A SparringEntry holding `values`, outside any session (no constructor, no events):
    what the reply reads of the entry just stored."""
    entry: SparringEntry = SparringEntry.__mapper__.class_manager.new_instance()
    instance_dict(entry).update(values)
    return entry


class _Resident(threading.local):
    """Per server thread: its hot-path connection of each engine."""

    def __init__(self) -> None:
        self.by_engine: WeakKeyDictionary[Engine, HotConnection] = WeakKeyDictionary()


_RESIDENT = _Resident()


def hot_connection(engine: Engine) -> HotConnection:
    """This thread's driver connection of `engine` for a request's hot path (`release` it
    when the request is done): made once per thread, out of the pool (checking one out and
    back in cost more than the statements of a `/sparring logged`), checked when it lay
    idle, replaced when broken. While it is in use (a request within a request) a pooled one
    stands in."""
    resident = _RESIDENT.by_engine.get(engine)
    if resident is not None and resident.in_use:
        return HotConnection(engine)
    if resident is not None and not (resident.usable and resident.alive_after_idle(engine.dialect)):
        resident.close()
        resident = None
    if resident is None:
        resident = HotConnection(engine, resident=True)
        _RESIDENT.by_engine[engine] = resident
    resident.in_use = True
    return resident


def _close_quietly(driver: Any) -> None:
    try:
        driver.close()
    except Exception:  # closing what may already be gone
        log.debug("could not close a hot-path connection", exc_info=True)
