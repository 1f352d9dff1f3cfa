"""index only the pending inbound events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table("inbound_events") as batch_op:
        batch_op.drop_index("ix_inbound_events_status_received")
        batch_op.create_index(
            "ix_inbound_events_pending", ["id"], postgresql_where=PENDING, sqlite_where=PENDING
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_events") as batch_op:
        batch_op.drop_index("ix_inbound_events_pending")
        batch_op.create_index("ix_inbound_events_status_received", ["status", "received_at"])
