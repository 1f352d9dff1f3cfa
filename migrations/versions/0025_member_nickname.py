"""members have a nickname (昵称), searchable by its first characters

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch_op:
        batch_op.add_column(sa.Column("nickname", sa.String(length=20), nullable=True))
    op.create_index(
        "ix_members_account_nickname",
        "members",
        ["account_id", "nickname"],
        postgresql_ops={"nickname": "text_pattern_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_members_account_nickname", table_name="members")
    with op.batch_alter_table("members") as batch_op:
        batch_op.drop_column("nickname")
