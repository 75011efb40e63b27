"""Alembic environment: runs on the engine the caller hands over, else on DATABASE_URL."""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Engine, text

# Every module with tables, so that Base.metadata knows them all.
from models import (  # noqa: F401
    applications,
    attendance,
    bazaar,
    exchange,
    followup,
    history,
    library,
    network,
    nudges,
    prep,
    reflection,
    renewal,
    replay,
    sparring,
    spread,
)
from models.base import Base, UTCDateTime

# Serialises concurrent upgrades of several instances starting at once (PostgreSQL only).
PG_MIGRATION_LOCK = 7468610001


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render our UTC column type as `UTCDateTime()` with its import in new migrations."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("from models.base import UTCDateTime")
        return "UTCDateTime()"
    return False


def _engine() -> Engine:
    engine = context.config.attributes.get("engine")
    if engine is None:
        from bot.settings import database_url_from_env
        from models.db import make_engine

        engine = make_engine(database_url_from_env())
    return engine


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        is_pg = connection.dialect.name == "postgresql"
        if is_pg:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": PG_MIGRATION_LOCK})
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
                render_item=render_item,
            )
            if not is_pg:
                # Rebuilding a table (batch mode) drops the old one; with foreign keys on, that
                # would cascade into every table referring to it. SQLite's own procedure for
                # table changes: keys off (outside a transaction), change, check, keys on.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            try:
                with context.begin_transaction():
                    context.run_migrations()
                    if not is_pg:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
                        if broken is not None:
                            raise RuntimeError(f"foreign key broken by a migration: {broken}")
                connection.commit()
            finally:
                if not is_pg:
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        finally:
            if is_pg:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PG_MIGRATION_LOCK})
                connection.commit()


run_migrations_online()
