"""ix_members_account_first_followed: an incremental scoring run marks the reads whose reader first
followed since its last run, and scanned every member of the account to find those followers
(80 ms at a million members, on the run's critical path). A member's first follow is written once,
so the index costs one entry per new member and no update after.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_members_account_first_followed", "members", ["account_id", "first_followed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_members_account_first_followed", table_name="members")
