"""competencies of members, and what they share with the sister network

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 05:10:00

`member.competencies` (keywords, a JSON list, empty by default) and `member.contributes` (what
the person can contribute); `sister_share`: one row per example or question its author shares
with the sister network (east/west), deleted when withdrawn.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("competencies", sa.JSON(), server_default="[]", nullable=False)
        )
        batch_op.add_column(sa.Column("contributes", sa.Text(), nullable=True))
    op.create_table(
        "sister_share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("example_id", sa.Integer(), nullable=True),
        sa.Column("question_id", sa.Integer(), nullable=True),
        sa.Column("shared_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(example_id IS NULL) <> (question_id IS NULL)",
            name=op.f("ck_sister_share_one_item"),
        ),
        sa.ForeignKeyConstraint(
            ["example_id"],
            ["prep_example.id"],
            name=op.f("fk_sister_share_example_id_prep_example"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_sister_share_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["prep_question.id"],
            name=op.f("fk_sister_share_question_id_prep_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sister_share")),
        sa.UniqueConstraint("example_id", name=op.f("uq_sister_share_example_id")),
        sa.UniqueConstraint("question_id", name=op.f("uq_sister_share_question_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("sister_share", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sister_share_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sister_share", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sister_share_member_id"))
    op.drop_table("sister_share")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("contributes")
        batch_op.drop_column("competencies")
