"""a plaintext callback's signed query string is bound to its first message in the outbox itself

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_NULL = sa.text("query_key IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("inbound_events") as batch_op:
        batch_op.add_column(sa.Column("query_key", sa.String(length=32), nullable=True))
    op.create_index(
        "uq_inbound_events_query",
        "inbound_events",
        ["account_id", "query_key"],
        unique=True,
        postgresql_where=NOT_NULL,
        sqlite_where=NOT_NULL,
    )


def downgrade() -> None:
    op.drop_index("uq_inbound_events_query", table_name="inbound_events")
    with op.batch_alter_table("inbound_events") as batch_op:
        batch_op.drop_column("query_key")
