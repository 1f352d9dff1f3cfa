"""drop ix_member_scores_account_stage: no query used it (stage counts and audiences by stage scan
member_scores faster than they read four stages' worth of index and heap), and every score written
paid for it

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_member_scores_account_stage", table_name="member_scores")


def downgrade() -> None:
    op.create_index("ix_member_scores_account_stage", "member_scores", ["account_id", "stage"], unique=False)
