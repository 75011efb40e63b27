"""the idea bazaar: the giver's own view of a claim (status, effect note, when answered)

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bazaar_claim") as batch:
        batch.add_column(
            sa.Column(
                "giver_status",
                sa.Enum(
                    "planned",
                    "adapting",
                    "in_use",
                    "dropped",
                    name="spreadstatus",
                    native_enum=False,
                    length=16,
                ),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("giver_effect", sa.Text(), nullable=True))
        batch.add_column(sa.Column("giver_answered_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bazaar_claim") as batch:
        batch.drop_column("giver_answered_at")
        batch.drop_column("giver_effect")
        batch.drop_column("giver_status")
