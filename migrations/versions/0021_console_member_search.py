"""indexes for the console's member search and lists: every filter reads an index, newest first

- members (account_id, id): the list itself, newest first (and `following`, which walks it);
  (account_id, phone text_pattern_ops): a phone, exact or by its first digits;
  (account_id, tier_code, id): a tier's members, newest first. Phone and tier change rarely, so
  the updates every award makes stay HOT.
- member_scores (account_id, stage, member_id) and (account_id, rfm_segment, member_id): a page of
  one stage or segment without reading all of it. 0016 dropped (account_id, stage) because no query
  used it; the search does, and reads it in member order.
- member_tags: (account_id, tag) becomes (account_id, tag, member_id): a tag's newest members;
  everything the old index served it serves.
- orders, redemptions (account_id, id): the account's lists, newest first.

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-10
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_members_account_id", "members", ["account_id", "id"], unique=False)
    op.create_index(
        "ix_members_account_phone",
        "members",
        ["account_id", "phone"],
        unique=False,
        postgresql_ops={"phone": "text_pattern_ops"},
    )
    op.create_index("ix_members_account_tier", "members", ["account_id", "tier_code", "id"], unique=False)
    op.create_index(
        "ix_member_scores_account_stage_member",
        "member_scores",
        ["account_id", "stage", "member_id"],
        unique=False,
    )
    op.create_index(
        "ix_member_scores_account_rfm_member",
        "member_scores",
        ["account_id", "rfm_segment", "member_id"],
        unique=False,
    )
    op.create_index(
        "ix_member_tags_account_tag_member", "member_tags", ["account_id", "tag", "member_id"], unique=False
    )
    op.drop_index("ix_member_tags_account_tag", table_name="member_tags")
    op.create_index("ix_orders_account_id", "orders", ["account_id", "id"], unique=False)
    op.create_index("ix_redemptions_account_id", "redemptions", ["account_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_redemptions_account_id", table_name="redemptions")
    op.drop_index("ix_orders_account_id", table_name="orders")
    op.create_index("ix_member_tags_account_tag", "member_tags", ["account_id", "tag"], unique=False)
    op.drop_index("ix_member_tags_account_tag_member", table_name="member_tags")
    op.drop_index("ix_member_scores_account_rfm_member", table_name="member_scores")
    op.drop_index("ix_member_scores_account_stage_member", table_name="member_scores")
    op.drop_index("ix_members_account_tier", table_name="members")
    op.drop_index("ix_members_account_phone", table_name="members")
    op.drop_index("ix_members_account_id", table_name="members")
