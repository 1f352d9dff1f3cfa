"""accounts have a message mode: plaintext, compatible or safe (a safe-mode account refuses plaintext)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.add_column(
            sa.Column("message_mode", sa.String(length=16), server_default="plaintext", nullable=False)
        )
    # an account with an EncodingAESKey gets every callback encrypted: it is in safe mode
    op.execute("UPDATE accounts SET message_mode = 'safe' WHERE aes_key IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("message_mode")
