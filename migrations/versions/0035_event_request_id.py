"""the outbox keeps the id of the web request that stored each callback, for the jobs' log lines

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # nullable, no default: PostgreSQL adds it without rewriting or scanning the table
    with op.batch_alter_table("inbound_events") as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_events") as batch_op:
        batch_op.drop_column("request_id")
