"""member tags keep no foreign keys: the scoring job writes them a million at a time

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = [
    ("fk_member_tags_account_id_accounts", ["account_id"], "accounts"),
    ("fk_member_tags_member_id_members", ["member_id"], "members"),
]


def upgrade() -> None:
    with op.batch_alter_table("member_tags") as batch_op:
        for name, _, _ in DROPPED:
            batch_op.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("member_tags") as batch_op:
        for name, columns, referred in DROPPED:
            batch_op.create_foreign_key(name, referred, columns, ["id"])
