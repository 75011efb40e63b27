"""Engine, sessions and schema upgrades for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import logging
import os
import pickle
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import (
    ORMExecuteState,
    Session,
    SessionTransaction,
    make_transient_to_detached,
    sessionmaker,
)
from sqlalchemy.orm.attributes import instance_dict

import migrations
from models.base import clean_parameters

# How long a writer waits for another process's write on the same SQLite file before giving up
# ("database is locked"); TOVHOLDER_SQLITE_BUSY_MS overrides it (the tests make it short).
SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("TOVHOLDER_SQLITE_BUSY_MS", "5000"))

# SQLite's page cache per connection (KiB). Its default, 2 MB, fills as the database grows,
# in every pooled connection: the process grew ~0.3 KB per stored request, up to ~30 MB,
# with no plateau in sight (bench/bench_soak.py). Reads come from the OS's file cache anyway.
SQLITE_CACHE_KIB = 256

# SQLite, in a long-running process (start_wal_checkpoints): how often the write-ahead log is
# checkpointed off the request path, and the log's size in pages at which a commit does it
# after all (SQLite's own default is 1,000; reached only when that thread falls behind).
WAL_CHECKPOINT_INTERVAL_S = 0.5
WAL_BACKSTOP_PAGES = 20_000

E = TypeVar("E")
log = logging.getLogger(__name__)

# PostgreSQL: a pooled connection idle this long is pinged before it is used again, and none
# is kept longer than POOL_RECYCLE_S (see _ping_after_idle).
PING_AFTER_IDLE_S = 10.0
POOL_RECYCLE_S = 1800


def _clean_text_parameters(
    _conn: Any,
    _cursor: Any,
    statement: str,
    parameters: Any,
    _context: Any,
    _executemany: bool,
) -> tuple[str, Any]:
    """Every text written, through the ORM or Core, loses control characters here, the same
    on SQLite and PostgreSQL (which refuses NUL); tabs and newlines stay."""
    return statement, clean_parameters(parameters)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and foreign keys on every connection.
    Text parameters are cleaned of control characters on both backends."""
    engine = _make_engine(url, **kwargs)
    event.listen(engine, "before_cursor_execute", _clean_text_parameters, retval=True)
    return engine


def _make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            if engine in _WAL_CHECKPOINTERS:
                cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_BACKSTOP_PAGES}")
            cursor.close()

        return engine
    engine = create_engine(url, **{"pool_recycle": POOL_RECYCLE_S, **kwargs})
    _ping_after_idle(engine)
    return engine


def _ping_after_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it lay idle for a while.

    `pool_pre_ping` pings on every checkout: a round trip on each request. A connection in
    steady use is alive (had it died, its last statement failed, and a failure SQLAlchemy
    recognises as a disconnect retires every older connection of the pool). The ones that
    go stale are the ones left idle — through a database restart, a failover or a firewall's
    idle timeout — and those are pinged; a dead one is replaced before the request gets it.
    """

    @event.listens_for(engine, "checkin")
    def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)  # what pool_pre_ping runs
        except Exception as error:
            # The pool throws this connection away and checks out another (or a new one).
            raise exc.DisconnectionError(f"stale pooled connection: {error!r}") from error


class WalCheckpointer:
    """Moves a SQLite file's write-ahead log into the database in a thread of its own, so that
    no request's commit does.

    By SQLite's default the commit that takes the log past 1,000 pages copies them into the
    database file itself: a few milliseconds in which that request, and every writer queued
    behind it, waits (the tail latency of `/sparring logged` under load), all of it holding
    Python's GIL between the copy's steps. Here the engine's connections only checkpoint
    when the log passes `WAL_BACKSTOP_PAGES` (this thread has fallen behind), and the thread
    runs a PASSIVE checkpoint every `interval` seconds: it blocks neither readers nor
    writers, and SQLite does the copying with the GIL released, on another core. At the stop
    a last TRUNCATE checkpoint empties the log.
    """

    def __init__(self, engine: Engine, interval: float = WAL_CHECKPOINT_INTERVAL_S) -> None:
        self.engine = engine
        self.interval = interval
        self.checkpoints = 0  # how many ran: for the tests and the health of the thread
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def start(self) -> WalCheckpointer:
        _WAL_CHECKPOINTERS[self.engine] = self
        # Connections made before now still checkpoint by SQLite's default: make them anew.
        self.engine.dispose()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        _WAL_CHECKPOINTERS.pop(self.engine, None)
        self._checkpoint("TRUNCATE")

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._checkpoint("PASSIVE")

    def _checkpoint(self, mode: str) -> None:
        try:
            with self.engine.connect() as connection:
                connection.exec_driver_sql(f"PRAGMA wal_checkpoint({mode})").all()
            self.checkpoints += 1
        except Exception:  # housekeeping: the next one tries again, the backstop holds
            log.warning("could not checkpoint the SQLite log", exc_info=True)


def start_wal_checkpoints(engine: Engine) -> WalCheckpointer | None:
    """For a long-running process on a SQLite file: its log is checkpointed off the request
    path (`WalCheckpointer`); `stop` it at the end. None on PostgreSQL or in-memory SQLite."""
    if engine.dialect.name != "sqlite" or in_memory_sqlite(engine):
        return None
    return WalCheckpointer(engine).start()


def in_memory_sqlite(engine: Engine) -> bool:
    """Whether `engine` is an in-memory SQLite database (`:memory:`, no file, or a `file:`
    URI with `mode=memory`): the process's own, with no file another process could open."""
    database = engine.url.database
    return engine.url.get_backend_name() == "sqlite" and (
        database in (None, "", ":memory:") or "mode=memory" in str(engine.url)
    )


_WAL_CHECKPOINTERS: WeakKeyDictionary[Engine, WalCheckpointer] = WeakKeyDictionary()
_SQLITE_WRITE_LOCKS: WeakKeyDictionary[Engine, threading.RLock] = WeakKeyDictionary()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    if engine.dialect.name == "sqlite":
        _serialise_sqlite_writes(factory, _SQLITE_WRITE_LOCKS.setdefault(engine, threading.RLock()))
    return factory


def sqlite_write_lock(engine: Engine) -> threading.RLock | None:
    """The lock this process's sessions on a SQLite `engine` write under (None elsewhere), for
    a write that goes through a bare connection instead of a session."""
    return _SQLITE_WRITE_LOCKS.get(engine)


def _serialise_sqlite_writes(factory: sessionmaker[Session], lock: threading.RLock) -> None:
    """Let one session at a time write to a SQLite file from this process.

    SQLite allows one writer; a second one waits in SQLite's busy handler, which sleeps in
    steps of up to 100 ms. Queueing writers on a lock instead hands over at once, which keeps
    the tail latency of concurrent requests low. The lock is taken at a session's first
    flush or first INSERT/UPDATE/DELETE statement run through it, and released when its
    transaction ends (commit, rollback or close).
    """

    def take(session: Session, _flush_context: Any = None, _instances: Any = None) -> None:
        _take_write_lock(session, lock)

    def take_for_statement(state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            take(state.session)

    def release(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None and session.info.pop("sqlite_write_lock", False):
            lock.release()

    event.listen(factory, "before_flush", take)
    event.listen(factory, "do_orm_execute", take_for_statement)
    event.listen(factory, "after_transaction_end", release)


def _take_write_lock(session: Session, lock: threading.RLock) -> None:
    if not session.info.get("sqlite_write_lock"):
        lock.acquire()
        session.info["sqlite_write_lock"] = True


def core_connection(session: Session) -> Connection:
    """The session's connection (its transaction), for a Core statement that needs no ORM:
    about half the cost of running it through the session. Pending changes are flushed
    first, as the session's own statements would (unless autoflush is off)."""
    if session.autoflush:
        session.flush()  # returns at once when nothing is pending
    return session.connection()


def core_write_connection(session: Session) -> Connection:
    """`core_connection` for a Core INSERT/UPDATE/DELETE: on SQLite it first takes the write
    lock the session's flushes take, held until the session's transaction ends."""
    connection = core_connection(session)
    lock = sqlite_write_lock(connection.engine)
    if lock is not None:
        _take_write_lock(session, lock)
    return connection


def as_loaded(session: Session, entity: type[E], values: dict[str, Any]) -> E:
    """An entity of `session` made from a whole row, as a query loads it: the values set
    straight into a new instance (no constructor, no change events), then made persistent
    in the session; relationships load when first read. The session's own, if it has one
    with this id. For rows read (or written) with Core on the request path."""
    key = session.identity_key(entity, values["id"])
    if key in session.identity_map:
        found: E = session.identity_map[key]
        return found
    instance: E = entity.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    instance_dict(instance).update(values)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance


def alembic_config(engine: Engine) -> Any:
    """An Alembic config that runs the project's migrations on `engine`."""
    from alembic.config import Config

    # Alembic's default output stream is the sys.stdout of when it was first imported; use
    # today's (a test capturing output, or a closed one, must not break a later upgrade).
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["engine"] = engine
    return config


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the newest migration (safe to run on every start)."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


def upgrade_schema_apart(engine: Engine) -> None:
    """`upgrade_schema` in a forked child, so the long-running bot never imports Alembic (with
    Mako, about 11 MB it would hold for its whole life to run its migrations once at start).
    Call it before any thread starts. An error in the child is raised here, as itself when it
    can be carried over (a locked database stays an OperationalError). Where there is no fork,
    with an in-memory database, or when Alembic is loaded anyway, it runs here."""
    if not hasattr(os, "fork") or in_memory_sqlite(engine) or "alembic" in sys.modules:
        upgrade_schema(engine)
        return
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: its own pool, never the parent's connections
        os.close(read_end)
        _upgrade_in_child(engine, write_end)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        failure = reader.read()
    _pid, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if failure:
        try:
            error = pickle.loads(failure)
        except Exception:  # cut short: the child died while writing it (it checks the rest)
            error = RuntimeError("the schema upgrade failed in its child process")
        raise error
    if code != 0:
        raise RuntimeError(f"the schema upgrade stopped (exit status {code}); see the log above")


def _upgrade_in_child(engine: Engine, write_end: int) -> None:
    """The forked child's part: upgrade, hand an error to the parent, and leave at once (no
    `atexit`, no finalizer touching what the parent still uses)."""
    code = 0
    try:
        engine.dispose(close=False)
        upgrade_schema(engine)
    except BaseException as error:  # every error goes to the parent
        code = 1
        # Its traceback as a note (notes travel with the pickle): where in which migration.
        error.add_note(f"In the schema upgrade's child process:\n{traceback.format_exc()}")
        try:
            carried = pickle.dumps(error)
            pickle.loads(carried)  # and back: an error the parent cannot rebuild is told
        except Exception:  # not picklable: its words, then
            carried = pickle.dumps(RuntimeError(f"{type(error).__name__}: {error}"))
        with os.fdopen(write_end, "wb") as writer:
            writer.write(carried)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
