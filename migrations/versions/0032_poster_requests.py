"""poster requests kept in the database: a poster job lost with Redis's data is queued again,
and a sent poster is never sent twice

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("settled_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "poster_requests",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("claimed_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("settled_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_poster_requests")),
    )
    op.create_index(
        "ix_poster_requests_open",
        "poster_requests",
        ["requested_at"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_poster_requests_open", table_name="poster_requests")
    op.drop_table("poster_requests")
