"""indexes an incremental scoring run probes by member: likes given, a sharer's reads (covering),
page views read or followed since the last run, and the KOL candidates (partial)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_review_likes_member_id", "review_likes", ["member_id"])
    op.create_index(
        "ix_page_views_sharer_reads",
        "page_views",
        ["sharer_id"],
        postgresql_include=["account_id", "followed_at", "viewer_openid"],
    )
    op.create_index("ix_page_views_account_viewed", "page_views", ["account_id", "viewed_at"])
    op.create_index("ix_page_views_account_followed", "page_views", ["account_id", "followed_at"])
    op.create_index(
        "ix_member_scores_kol",
        "member_scores",
        ["account_id"],
        postgresql_where=sa.text("kol"),
        sqlite_where=sa.text("kol"),
    )


def downgrade() -> None:
    op.drop_index("ix_member_scores_kol", table_name="member_scores")
    op.drop_index("ix_page_views_account_followed", table_name="page_views")
    op.drop_index("ix_page_views_account_viewed", table_name="page_views")
    op.drop_index("ix_page_views_sharer_reads", table_name="page_views")
    op.drop_index("ix_review_likes_member_id", table_name="review_likes")
