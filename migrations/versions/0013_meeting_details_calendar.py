"""meeting details (speakers, description), the calendar invitation's sequence, and what a
substitute colleague brought back

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting") as batch:
        batch.add_column(sa.Column("speakers", sa.Text(), server_default="", nullable=False))
        batch.add_column(sa.Column("description", sa.Text(), server_default="", nullable=False))
        batch.add_column(
            sa.Column("calendar_sequence", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("attendance") as batch:
        batch.add_column(sa.Column("substitute_report", sa.Text(), nullable=True))
        batch.add_column(sa.Column("substitute_reported_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attendance") as batch:
        batch.drop_column("substitute_reported_at")
        batch.drop_column("substitute_report")
    with op.batch_alter_table("meeting") as batch:
        batch.drop_column("calendar_sequence")
        batch.drop_column("description")
        batch.drop_column("speakers")
