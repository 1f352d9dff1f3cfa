"""member_scores keeps each member's referral sums and what it lends to its referrer's, so that an
incremental run moves a referrer's sums by its touched referees' changes instead of re-summing
every referee, and the tier its tier tag names, so that only members whose tags may change are
compared with their tags; kol_runs says whether a run kept them (the next run after one that did not is full);
a covering index counts a referrer's live referrals, two more find the shares and likes since the
last run

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMS = ("second_degree", "downstream", "lent_second_degree", "lent_downstream")


def upgrade() -> None:
    op.create_index("ix_review_likes_created_at", "review_likes", ["created_at"])
    op.create_index("ix_shares_account_shared", "shares", ["account_id", "shared_at"])
    op.create_index(
        "ix_referrals_referrer_live", "referrals", ["referrer_id"], postgresql_include=["account_id", "status"]
    )
    with op.batch_alter_table("member_scores") as batch:
        for name in SUMS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("tier_code", sa.String(length=32), nullable=True))
    with op.batch_alter_table("kol_runs") as batch:
        batch.add_column(sa.Column("referral_sums", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("kol_runs") as batch:
        batch.drop_column("referral_sums")
    op.drop_index("ix_referrals_referrer_live", table_name="referrals")
    op.drop_index("ix_shares_account_shared", table_name="shares")
    op.drop_index("ix_review_likes_created_at", table_name="review_likes")
    with op.batch_alter_table("member_scores") as batch:
        batch.drop_column("tier_code")
        for name in reversed(SUMS):
            batch.drop_column(name)
