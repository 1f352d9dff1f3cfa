"""a tier notice is claimed by the job that sends it: the sweeper's job and the first never both send

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tier_changes") as batch_op:
        batch_op.add_column(sa.Column("notice_claimed_at", models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tier_changes") as batch_op:
        batch_op.drop_column("notice_claimed_at")
