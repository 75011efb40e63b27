from pathlib import Path

from alembic import command
from sqlalchemy import Engine, inspect, text

from models.attendance import AttendanceStatus, set_attendance
from models.base import Base
from models.db import alembic_config, make_engine, make_session_factory
from models.history import delete_with_history
from models.network import Member
from models.network_import import import_network_file
from models.prep import ExampleInput, ExampleSource, save_examples
from tests.conftest import EXAMPLE_NETWORK, SEASON_NOW


def test_models_and_migrations_agree(engine: Engine) -> None:
    """`alembic check` on the schema the migrations built: no drift from the models."""
    command.check(alembic_config(engine))


def test_every_model_table_exists(engine: Engine) -> None:
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_stable_ids_migration_keeps_every_row_on_sqlite(tmp_path: Path) -> None:
    """0007 rebuilds the tables with history as AUTOINCREMENT: no row is lost (not
    even through the cascades a dropped parent table would set off), and no id a history
    record names is given out again."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    # The data is made with today's models, then taken down to 0006 with it.
    command.upgrade(config, "head")
    factory = make_session_factory(engine)
    with factory.begin() as s:
        import_network_file(s, EXAMPLE_NETWORK, now=SEASON_NOW)
    with factory.begin() as s:
        anna = s.query(Member).filter_by(slack_user_id="U0ANNA0001").one()
        meeting = next(m for m in anna.network.meetings if m.number == 2)
        (example,) = save_examples(
            session=s,
            member=anna,
            meeting=meeting,
            now=SEASON_NOW,
            examples=[ExampleInput("new", "E", "I", "", "", ExampleSource.OWN, False)],
        )
        set_attendance(
            session=s, member=anna, meeting=meeting, status=AttendanceStatus.YES, now=SEASON_NOW
        )
        s.flush()
        deleted_id = example.id
        delete_with_history(
            session=s,
            obj=example,
            entity="example",
            member_id=anna.id,
            fields=["title"],
            now=SEASON_NOW,
        )
    command.downgrade(config, "0006")

    def counts() -> dict[str, int]:
        with engine.connect() as conn:
            return {
                t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() or 0)
                for t in inspect(conn).get_table_names()
                if t != "alembic_version"
            }

    before = counts()
    command.upgrade(config, "head")
    after = counts()
    assert {table: after[table] for table in before} == before
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert "AUTOINCREMENT" in str(
            conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'prep_example'")).scalar()
        )
    with factory.begin() as s:
        anna = s.query(Member).filter_by(slack_user_id="U0ANNA0001").one()
        meeting = next(m for m in anna.network.meetings if m.number == 2)
        (new,) = save_examples(
            session=s,
            member=anna,
            meeting=meeting,
            now=SEASON_NOW,
            examples=[ExampleInput("new", "F", "I", "", "", ExampleSource.OWN, False)],
        )
        s.flush()
        assert new.id > deleted_id
    command.downgrade(config, "0006")
    assert counts() == {**before, "prep_example": 1}
    engine.dispose()


_APART = """
import sys
from models.db import make_engine, upgrade_schema_apart
try:
    upgrade_schema_apart(make_engine(sys.argv[1]))
except Exception as error:
    print("raised", type(error).__module__, type(error).__name__)
print("alembic imported:", "alembic" in sys.modules)
"""


def _apart(url: str) -> str:
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run(
        [sys.executable, "-c", _APART, url], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_bot_upgrades_its_schema_in_a_child_and_never_imports_alembic(tmp_path: Path) -> None:
    """`bot run` migrates in a forked child: the schema is at head, and the process that goes
    on to serve has not loaded Alembic (about 11 MB held for nothing)."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert _apart(url) == "alembic imported: False\n"
    engine = make_engine(url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    command.check(alembic_config(engine))  # at head, no drift
    assert _apart(url) == "alembic imported: False\n"  # a second start: nothing to do, no error
    # An in-memory database is the process's own: upgraded here, not in a child.
    memory = "sqlite:///file:apart?mode=memory&cache=shared&uri=true"
    assert _apart(memory) == "alembic imported: True\n"


def test_an_upgrade_that_fails_in_the_child_raises_its_own_error_in_the_bot(
    tmp_path: Path,
) -> None:
    """The child's error crosses over as itself (a locked or unreachable database stays
    SQLAlchemy's OperationalError, which `bot` turns into its one-line message)."""
    from tests.bot.test_run import free_port

    out = _apart(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    assert out == "raised sqlalchemy.exc OperationalError\nalembic imported: False\n"
