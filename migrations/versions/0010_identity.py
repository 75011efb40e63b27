"""identities: people reach platforms through them, not a slack_user_id column

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 00:45:00

Every member's Slack id becomes their Slack identity (same network, same uniqueness: one id
per network); the column goes. On SQLite the member table is rebuilt (batch mode) with its
AUTOINCREMENT kept; env.py switches foreign keys off for the rebuild, so no row hanging on a
member is lost. The downgrade writes each Slack identity back into the column.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _member_table_kwargs() -> dict[str, object]:
    # Keep the member table's stable ids (0007) when SQLite rebuilds it.
    return {"sqlite_autoincrement": True}


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
        "identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column(
            "platform",
            sa.Enum("slack", "teams", name="platform", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("conversation", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_identity_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["network.id"],
            name=op.f("fk_identity_network_id_network"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity")),
        sa.UniqueConstraint("member_id", "platform", name=op.f("uq_identity_member_id_platform")),
        sa.UniqueConstraint(
            "platform",
            "external_id",
            "network_id",
            name=op.f("uq_identity_platform_external_id_network_id"),
        ),
    )
    op.execute(
        "INSERT INTO identity (member_id, network_id, platform, external_id, created_at) "
        "SELECT id, network_id, 'slack', slack_user_id, created_at FROM member ORDER BY id"
    )
    seq = _member_sequence()
    with op.batch_alter_table("member", table_kwargs=_member_table_kwargs()) as batch_op:
        batch_op.drop_constraint("uq_member_network_id_slack_user_id", type_="unique")
        batch_op.drop_index("ix_member_slack_user_id")
        batch_op.drop_column("slack_user_id")
    _restore_member_sequence(seq)


def downgrade() -> None:
    seq = _member_sequence()
    with op.batch_alter_table("member", table_kwargs=_member_table_kwargs()) as batch_op:
        batch_op.add_column(sa.Column("slack_user_id", sa.String(length=32), nullable=True))
    # A person without a Slack identity (not possible before 0010) keeps a placeholder that
    # names nobody, as an erased person's does.
    op.execute(
        "UPDATE member SET slack_user_id = COALESCE("
        "(SELECT i.external_id FROM identity i "
        "WHERE i.member_id = member.id AND i.platform = 'slack'), "
        "'FORGOTTEN' || CAST(member.id AS VARCHAR(20)))"
    )
    with op.batch_alter_table("member", table_kwargs=_member_table_kwargs()) as batch_op:
        batch_op.alter_column("slack_user_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_index("ix_member_slack_user_id", ["slack_user_id"], unique=False)
        batch_op.create_unique_constraint(
            "uq_member_network_id_slack_user_id", ["network_id", "slack_user_id"]
        )
    _restore_member_sequence(seq)
    op.drop_table("identity")
