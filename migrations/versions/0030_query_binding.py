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
INDEX = "uq_inbound_events_query"


def upgrade() -> None:
    column = sa.Column("query_key", sa.String(length=32), nullable=True)
    if op.get_bind().dialect.name == "postgresql":
        op.add_column("inbound_events", column, if_not_exists=True)  # a re-run after a failed build
        _create_concurrently()
        return
    with op.batch_alter_table("inbound_events") as batch_op:
        batch_op.add_column(column)
    op.create_index(INDEX, "inbound_events", ["account_id", "query_key"], unique=True, sqlite_where=NOT_NULL)


def _create_concurrently() -> None:
    """Built without blocking the webhook's INSERTs on a large outbox (a plain CREATE INDEX holds
    off writes for as long as it builds). CONCURRENTLY cannot run in a transaction, so the column
    above is committed first; a build that failed half-way leaves an INVALID index, dropped and
    built again here when the migration is re-run."""
    with op.get_context().autocommit_block():
        invalid = (
            op.get_bind()
            .execute(
                sa.text(
                    "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relname = :name AND n.nspname = current_schema() AND NOT i.indisvalid"
                ),
                {"name": INDEX},
            )
            .first()
        )
        if invalid:
            op.drop_index(INDEX, table_name="inbound_events", postgresql_concurrently=True)
        op.create_index(
            INDEX,
            "inbound_events",
            ["account_id", "query_key"],
            unique=True,
            postgresql_where=NOT_NULL,
            postgresql_concurrently=True,
            if_not_exists=True,
        )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="inbound_events")
    with op.batch_alter_table("inbound_events") as batch_op:
        batch_op.drop_column("query_key")
