"""campaigns: the occurrences of a recurring campaign, one per firing time

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("occurs_at", UTCDateTime(), nullable=True))
        batch.create_foreign_key("fk_campaigns_parent", "campaigns", ["parent_id"], ["id"])
        batch.create_unique_constraint("uq_campaigns_occurrence", ["parent_id", "occurs_at"])


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.drop_constraint("uq_campaigns_occurrence", type_="unique")
        batch.drop_constraint("fk_campaigns_parent", type_="foreignkey")
        batch.drop_column("occurs_at")
        batch.drop_column("parent_id")
