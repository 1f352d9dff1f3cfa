"""programmes.kol_min_score and kol_min_evidence: the bar a KOL candidate clears (a minimum influence
score and a minimum of referrals, shares and their reads), so one check-in no longer makes one.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("programmes") as batch_op:
        batch_op.add_column(sa.Column("kol_min_score", sa.Double(), nullable=False, server_default="10"))
        batch_op.add_column(sa.Column("kol_min_evidence", sa.Integer(), nullable=False, server_default="3"))


def downgrade() -> None:
    with op.batch_alter_table("programmes") as batch_op:
        batch_op.drop_column("kol_min_evidence")
        batch_op.drop_column("kol_min_score")
