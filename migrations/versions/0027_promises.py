"""promises kept: members.birthday (and the birthday point task for every account), a journey's
reward (journeys.reward_id, journey_grants), a campaign's cover image (campaigns.cover_image_id)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_NULL = sa.text("birthday IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("members") as batch_op:
        batch_op.add_column(sa.Column("birthday", sa.Date(), nullable=True))
    op.create_index(
        "ix_members_account_birthday",
        "members",
        ["account_id", "birthday"],
        postgresql_where=NOT_NULL,
        sqlite_where=NOT_NULL,
    )
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.add_column(sa.Column("cover_image_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_campaigns_cover_image_id_images"), "images", ["cover_image_id"], ["id"]
        )
    with op.batch_alter_table("journeys") as batch_op:
        batch_op.add_column(sa.Column("reward_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_journeys_reward_id_rewards"), "rewards", ["reward_id"], ["id"])
    op.create_table(
        "journey_grants",
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("reward_id", sa.Integer(), nullable=False),
        sa.Column("redemption_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["journey_id"], ["journeys.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"]),
        sa.ForeignKeyConstraint(["reward_id"], ["rewards.id"]),
        sa.ForeignKeyConstraint(["redemption_id"], ["redemptions.id"]),
        sa.PrimaryKeyConstraint("journey_id", "member_id"),
    )
    _birthday_tasks()


def _birthday_tasks() -> None:
    """Every account with a programme gets the birthday task new accounts start with: the seeded
    onboarding message has promised 生日月有惊喜 all along."""
    programmes = sa.table("programmes", sa.column("account_id", sa.Integer()))
    tasks = sa.table(
        "point_tasks",
        sa.column("account_id", sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("name", sa.String()),
        sa.column("points", sa.Integer()),
        sa.column("first_time_only", sa.Boolean()),
        sa.column("target_tiers", sa.JSON()),
        sa.column("enabled", sa.Boolean()),
        sa.column("hold_days", sa.Integer()),
        sa.column("min_length", sa.Integer()),
        sa.column("min_rating", sa.Integer()),
        sa.column("updated_at", models.base.UTCDateTime()),
    )
    present = sa.select(tasks.c.account_id).where(tasks.c.action == "birthday")
    chosen = sa.select(
        programmes.c.account_id,
        sa.literal("birthday"),
        sa.literal("生日礼"),
        sa.literal(100),
        sa.false(),
        sa.literal([], sa.JSON()),
        sa.true(),
        sa.literal(0),
        sa.literal(0),
        sa.literal(1),
        sa.literal(datetime.now(UTC), models.base.UTCDateTime()),
    ).where(programmes.c.account_id.not_in(present))
    columns = [
        "account_id",
        "action",
        "name",
        "points",
        "first_time_only",
        "target_tiers",
        "enabled",
        "hold_days",
        "min_length",
        "min_rating",
        "updated_at",
    ]
    op.execute(tasks.insert().from_select(columns, chosen))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM point_tasks WHERE action = 'birthday'"))
    op.drop_table("journey_grants")
    with op.batch_alter_table("journeys") as batch_op:
        batch_op.drop_constraint(op.f("fk_journeys_reward_id_rewards"), type_="foreignkey")
        batch_op.drop_column("reward_id")
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.drop_constraint(op.f("fk_campaigns_cover_image_id_images"), type_="foreignkey")
        batch_op.drop_column("cover_image_id")
    op.drop_index("ix_members_account_birthday", table_name="members")
    with op.batch_alter_table("members") as batch_op:
        batch_op.drop_column("birthday")
