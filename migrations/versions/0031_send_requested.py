"""campaigns remember when send was pressed, so that a send whose job Redis lost is queued again

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.add_column(sa.Column("send_requested_at", models.base.UTCDateTime(), nullable=True))
    # a scheduled campaign was sent; a draft may or may not have been, and stays as it is
    op.execute("UPDATE campaigns SET send_requested_at = created_at WHERE status = 'scheduled'")


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.drop_column("send_requested_at")
