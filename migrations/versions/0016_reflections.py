"""reflections: each member's answers to the meeting's three questions, per meeting

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 05:14:49

One row per member per meeting (editable): what is common to all, what to some, what is
particular to their organisation; whether it may be shown with their name, and whether it is
shared with the sister network. Rows go with their member or meeting.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reflection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("common", sa.Text(), nullable=False),
        sa.Column("some", sa.Text(), nullable=False),
        sa.Column("particular", sa.Text(), nullable=False),
        sa.Column("named", sa.Boolean(), nullable=False),
        sa.Column("share_with_sister", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_reflection_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_reflection_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection")),
        sa.UniqueConstraint("member_id", "meeting_id", name="uq_reflection_member_meeting"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("reflection")
