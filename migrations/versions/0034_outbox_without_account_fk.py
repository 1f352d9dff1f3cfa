"""the outbox's account_id without a foreign key: its check locked the account's row on every
webhook INSERT (a WAL record each, a MultiXact when two web processes insert at once)

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_events") as batch_op:
        batch_op.drop_constraint("fk_inbound_events_account_id_accounts", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("inbound_events") as batch_op:
        batch_op.create_foreign_key("fk_inbound_events_account_id_accounts", "accounts", ["account_id"], ["id"])
