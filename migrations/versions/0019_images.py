"""images: pictures merchants upload (a reward's), re-encoded and kept in the database; rewards.image_id

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-14
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("bytes", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_images_account_id"), "images", ["account_id"], unique=False)
    with op.batch_alter_table("rewards") as batch_op:
        batch_op.add_column(sa.Column("image_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_rewards_image_id_images"), "images", ["image_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("rewards") as batch_op:
        batch_op.drop_constraint(op.f("fk_rewards_image_id_images"), type_="foreignkey")
        batch_op.drop_column("image_id")
    op.drop_index(op.f("ix_images_account_id"), table_name="images")
    op.drop_table("images")
