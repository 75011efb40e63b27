"""renewal and the next season: votes, seat claims, seasons linked to the season before

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 05:00:08

A network (one season) may name the season before it (`previous_id`), has a renewal vote
deadline, a claim deadline for the seats of last season's members, and is closed when the next
season takes over. A member who came by claiming their seat points to their row of the season
before (`previous_member_id`). The member table keeps its stable ids (SQLite AUTOINCREMENT)
when SQLite rebuilds it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _member_sequence() -> int | None:
    """SQLite's counter of member ids (above every id ever given out), None elsewhere."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return None
    return bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'member'")).scalar()


def _restore_member_sequence(seq: int | None) -> None:
    """A rebuilt table counts on from its highest row; an id given out before (to a row since
    deleted, still named in the history) must not be given out again."""
    if seq is None:
        return
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'member'"))
    bind.execute(
        sa.text(
            "INSERT INTO sqlite_sequence (name, seq) "
            "SELECT 'member', max(:seq, coalesce(max(id), 0)) FROM member"
        ),
        {"seq": seq},
    )


def upgrade() -> None:
    op.create_table(
        "renewal_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "choice",
            sa.Enum("yes", "no", "unsure", name="renewalchoice", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_renewal_vote_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network.id"],
            name=op.f("fk_renewal_vote_network_id_network"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renewal_vote")),
        sa.UniqueConstraint("member_id", name=op.f("uq_renewal_vote_member_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("renewal_vote", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_renewal_vote_network_id"), ["network_id"], unique=False
        )

    op.create_table(
        "seat_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("takes_seat", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_seat_claim_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network.id"],
            name=op.f("fk_seat_claim_network_id_network"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_claim")),
        sa.UniqueConstraint(
            "network_id", "member_id", name=op.f("uq_seat_claim_network_id_member_id")
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("seat_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seat_claim_member_id"), ["member_id"], unique=False)

    seq = _member_sequence()
    with op.batch_alter_table("member", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column("previous_member_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_member_previous_member_id_member"),
            "member",
            ["previous_member_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _restore_member_sequence(seq)

    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("renewal_deadline", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("claim_deadline", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("closed_at", UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_network_previous_id"), ["previous_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_network_previous_id_network"),
            "network",
            ["previous_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_network_previous_id_network"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_network_previous_id"))
        batch_op.drop_column("closed_at")
        batch_op.drop_column("claim_deadline")
        batch_op.drop_column("renewal_deadline")
        batch_op.drop_column("previous_id")

    seq = _member_sequence()
    with op.batch_alter_table("member", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_member_previous_member_id_member"), type_="foreignkey"
        )
        batch_op.drop_column("previous_member_id")
    _restore_member_sequence(seq)

    with op.batch_alter_table("seat_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seat_claim_member_id"))

    op.drop_table("seat_claim")
    with op.batch_alter_table("renewal_vote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_renewal_vote_network_id"))

    op.drop_table("renewal_vote")
