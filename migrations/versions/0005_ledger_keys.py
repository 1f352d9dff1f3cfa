"""ledger and lots keep only the member's foreign key on entries

A foreign key check per key per row cost more than the row's own insert in the award
stage; lots are written with their entry by one service from the same values.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = [
    ("ledger_entries", "fk_ledger_entries_account_id_accounts", ["account_id"], "accounts"),
    ("point_lots", "fk_point_lots_account_id_accounts", ["account_id"], "accounts"),
    ("point_lots", "fk_point_lots_member_id_members", ["member_id"], "members"),
    ("point_lots", "fk_point_lots_entry_id_ledger_entries", ["entry_id"], "ledger_entries"),
]


def upgrade() -> None:
    for table, name, _, _ in DROPPED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    for table, name, columns, referred in DROPPED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_foreign_key(name, referred, columns, ["id"])
