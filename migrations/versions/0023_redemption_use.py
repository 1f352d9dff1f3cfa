"""redemptions are used once at the till (核销): when and by whom; a code names one redemption

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("redemptions") as batch_op:
        batch_op.add_column(sa.Column("used_at", models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("used_by", sa.String(length=60), nullable=True))
        batch_op.create_unique_constraint("uq_redemptions_account_code", ["account_id", "code"])


def downgrade() -> None:
    with op.batch_alter_table("redemptions") as batch_op:
        batch_op.drop_constraint("uq_redemptions_account_code", type_="unique")
        batch_op.drop_column("used_by")
        batch_op.drop_column("used_at")
