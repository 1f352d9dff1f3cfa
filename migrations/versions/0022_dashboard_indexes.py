"""Indexes for the dashboard's day series: each figure is one GROUP BY over one account's last 30
days, read from an index (index-only where the sums' columns are included) instead of every row
of the account.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_checkins_account_day", "checkins", ["account_id", "day"], unique=False)
    op.create_index(
        "ix_orders_account_paid",
        "orders",
        ["account_id", "paid_at"],
        unique=False,
        postgresql_include=["amount_fen", "refunded_fen"],
    )
    op.create_index(
        "ix_ledger_entries_account_day",
        "ledger_entries",
        ["account_id", "business_date"],
        unique=False,
        postgresql_include=["kind", "delta"],
    )
    op.create_index("ix_referrals_account_bound", "referrals", ["account_id", "bound_at"], unique=False)
    op.create_index(
        "ix_members_account_followed", "members", ["account_id", "first_followed_at"], unique=False
    )
    op.create_index(
        "ix_inbound_events_unsubscribe",
        "inbound_events",
        ["account_id", "create_time"],
        unique=False,
        postgresql_where=sa.text("event = 'unsubscribe'"),
        sqlite_where=sa.text("event = 'unsubscribe'"),
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_events_unsubscribe", table_name="inbound_events")
    op.drop_index("ix_members_account_followed", table_name="members")
    op.drop_index("ix_referrals_account_bound", table_name="referrals")
    op.drop_index("ix_ledger_entries_account_day", table_name="ledger_entries")
    op.drop_index("ix_orders_account_paid", table_name="orders")
    op.drop_index("ix_checkins_account_day", table_name="checkins")
