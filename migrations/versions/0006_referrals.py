"""referrals: channels, parametric QR codes, referral edges, member tags

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("tag", sa.String(length=30), nullable=False),
        sa.Column("permanent", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_channels_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("account_id", "code", name=op.f("uq_channels_account_id_code")),
    )
    op.create_table(
        "member_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=30), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_member_tags_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_member_tags_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_tags")),
        sa.UniqueConstraint("member_id", "tag", name=op.f("uq_member_tags_member_id_tag")),
    )
    op.create_index("ix_member_tags_account_tag", "member_tags", ["account_id", "tag"], unique=False)
    op.create_table(
        "qr_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("scene", sa.String(length=64), nullable=False),
        sa.Column("permanent", sa.Boolean(), nullable=False),
        sa.Column("ticket", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=200), nullable=True),
        sa.Column("expires_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("issued_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("issue_count", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.String(length=128), nullable=True),
        sa.Column("media_expires_at", models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_qr_codes_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_qr_codes_channel_id_channels")
        ),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_qr_codes_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qr_codes")),
        sa.UniqueConstraint("account_id", "scene", name=op.f("uq_qr_codes_account_id_scene")),
        sa.UniqueConstraint("channel_id", name=op.f("uq_qr_codes_channel_id")),
        sa.UniqueConstraint("member_id", name=op.f("uq_qr_codes_member_id")),
    )
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("referrer_id", sa.Integer(), nullable=False),
        sa.Column("referee_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("scene", sa.String(length=64), nullable=False),
        sa.Column("bound_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("hold_until", models.base.UTCDateTime(), nullable=True),
        sa.Column("decided_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=16), nullable=True),
        sa.Column("reward_points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_referrals_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["code_id"], ["qr_codes.id"], name=op.f("fk_referrals_code_id_qr_codes")),
        sa.ForeignKeyConstraint(
            ["event_id"], ["inbound_events.id"], name=op.f("fk_referrals_event_id_inbound_events")
        ),
        sa.ForeignKeyConstraint(["referee_id"], ["members.id"], name=op.f("fk_referrals_referee_id_members")),
        sa.ForeignKeyConstraint(
            ["referrer_id"], ["members.id"], name=op.f("fk_referrals_referrer_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("event_id", name=op.f("uq_referrals_event_id")),
        sa.UniqueConstraint("referee_id", name=op.f("uq_referrals_referee_id")),
    )
    op.create_index("ix_referrals_referrer", "referrals", ["referrer_id", "bound_at"], unique=False)
    op.create_index("ix_referrals_status_hold", "referrals", ["status", "hold_until"], unique=False)
    with op.batch_alter_table("members") as batch_op:
        batch_op.add_column(sa.Column("channel_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_members_channel_id_channels"), "channels", ["channel_id"], ["id"]
        )
    with op.batch_alter_table("programmes") as batch_op:
        batch_op.add_column(sa.Column("referral_hold_days", sa.Integer(), nullable=False, server_default="3"))
        ladder = sa.text("'[[3, 50], [10, 200], [50, 1000]]'")
        batch_op.add_column(sa.Column("referral_ladder", sa.JSON(), nullable=False, server_default=ladder))
        burst = sa.text("'[5, 10]'")
        batch_op.add_column(sa.Column("referral_burst", sa.JSON(), nullable=False, server_default=burst))
    with op.batch_alter_table("scans") as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch_op:
        batch_op.drop_column("outcome")
    with op.batch_alter_table("programmes") as batch_op:
        batch_op.drop_column("referral_burst")
        batch_op.drop_column("referral_ladder")
        batch_op.drop_column("referral_hold_days")
    with op.batch_alter_table("members") as batch_op:
        batch_op.drop_constraint(op.f("fk_members_channel_id_channels"), type_="foreignkey")
        batch_op.drop_column("channel_id")
    op.drop_index("ix_referrals_status_hold", table_name="referrals")
    op.drop_index("ix_referrals_referrer", table_name="referrals")
    op.drop_table("referrals")
    op.drop_table("qr_codes")
    op.drop_index("ix_member_tags_account_tag", table_name="member_tags")
    op.drop_table("member_tags")
    op.drop_table("channels")
