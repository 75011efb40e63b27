"""the example library (an example's kind of experience, asking an example's owner for
sparring) and the idea bazaar (the network's bazaar meeting, items and claims)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("prep_example") as batch:
        batch.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "challenge",
                    "insight",
                    "idea",
                    "concept",
                    "recipe",
                    "measurement",
                    "failure",
                    name="examplekind",
                    native_enum=False,
                    length=16,
                ),
                nullable=True,
            )
        )
    op.create_table(
        "example_sparring_ask",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("example_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["example_id"],
            ["prep_example.id"],
            name=op.f("fk_example_sparring_ask_example_id_prep_example"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_example_sparring_ask_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_example_sparring_ask")),
        sa.UniqueConstraint(
            "example_id", "member_id", name=op.f("uq_example_sparring_ask_example_id_member_id")
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("example_sparring_ask") as batch:
        batch.create_index(batch.f("ix_example_sparring_ask_example_id"), ["example_id"])
        batch.create_index(batch.f("ix_example_sparring_ask_member_id"), ["member_id"])

    with op.batch_alter_table("network") as batch:
        batch.add_column(sa.Column("bazaar_meeting", sa.Integer(), nullable=True))
    op.create_table(
        "bazaar_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "idea",
                "approach",
                "failure",
                "solution",
                name="bazaarkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("example_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["example_id"],
            ["prep_example.id"],
            name=op.f("fk_bazaar_item_example_id_prep_example"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_bazaar_item_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_bazaar_item_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bazaar_item")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("bazaar_item") as batch:
        batch.create_index(batch.f("ix_bazaar_item_member_id"), ["member_id"])
    op.create_table(
        "bazaar_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("spread_action_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["bazaar_item.id"],
            name=op.f("fk_bazaar_claim_item_id_bazaar_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_bazaar_claim_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["spread_action_id"],
            ["spread_action.id"],
            name=op.f("fk_bazaar_claim_spread_action_id_spread_action"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bazaar_claim")),
        sa.UniqueConstraint("item_id", "member_id", name=op.f("uq_bazaar_claim_item_id_member_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("bazaar_claim") as batch:
        batch.create_index(batch.f("ix_bazaar_claim_item_id"), ["item_id"])
        batch.create_index(batch.f("ix_bazaar_claim_member_id"), ["member_id"])


def downgrade() -> None:
    op.drop_table("bazaar_claim")
    op.drop_table("bazaar_item")
    with op.batch_alter_table("network") as batch:
        batch.drop_column("bazaar_meeting")
    op.drop_table("example_sparring_ask")
    with op.batch_alter_table("prep_example") as batch:
        batch.drop_column("kind")
