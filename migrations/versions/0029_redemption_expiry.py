"""redemption codes expire: a reward's validity in days, and when each redemption's code expires

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rewards") as batch_op:
        batch_op.add_column(sa.Column("valid_days", sa.Integer(), nullable=True))
    with op.batch_alter_table("redemptions") as batch_op:
        batch_op.add_column(sa.Column("expires_at", models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("redemptions") as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("rewards") as batch_op:
        batch_op.drop_column("valid_days")
