"""stable ids for records with history (SQLite AUTOINCREMENT)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 23:30:00

SQLite gives a deleted row's id to the next new row, so a deleted example's edit history
showed under a new one. AUTOINCREMENT needs the table rebuilt (foreign keys are switched off
for that by env.py, as SQLite's procedure for table changes asks). Each table's counter
starts above every id the history has ever named. PostgreSQL's sequences never reuse an id:
nothing to do there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Table -> the entity name the change history uses for its rows.
TABLES = {
    "member": "member",
    "meeting": "meeting",
    "preparation": "preparation",
    "prep_question": "question",
    "prep_example": "example",
    "manager_followup": "followup",
    "spread_action": "spread",
    "attendance": "attendance",
}


def _rebuild(autoincrement: bool) -> None:
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    _rebuild(True)
    for table, entity in TABLES.items():
        top = bind.execute(
            sa.text(
                f"SELECT max(n) FROM (SELECT max(id) AS n FROM {table} UNION ALL "
                "SELECT max(entity_id) FROM change_record WHERE entity = :entity)"
            ),
            {"entity": entity},
        ).scalar()
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})
        if top:
            bind.execute(
                sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :n)"),
                {"t": table, "n": int(top)},
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(False)
