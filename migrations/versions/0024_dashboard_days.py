"""dashboard_days: an account's settled local days of dashboard figures, so the dashboard reads 27
stored rows and computes only the last few days live, however many rows the account has.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIGURES = (
    "follows",
    "unfollows",
    "checkins",
    "points_issued",
    "points_spent",
    "points_expired",
    "orders",
    "revenue_fen",
    "referrals",
)


def upgrade() -> None:
    op.create_table(
        "dashboard_days",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in FIGURES],
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("account_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("dashboard_days")
