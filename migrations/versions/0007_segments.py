"""segments: member scores (stage, RFM, influence), shares, page views, KOL runs, WeChat tags

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('member_scores',
    sa.Column('member_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=8), nullable=False),
    sa.Column('recency_days', sa.Integer(), nullable=True),
    sa.Column('frequency', sa.Integer(), nullable=False),
    sa.Column('monetary_fen', sa.BigInteger(), nullable=False),
    sa.Column('r', sa.SmallInteger(), nullable=True),
    sa.Column('f', sa.SmallInteger(), nullable=True),
    sa.Column('m', sa.SmallInteger(), nullable=True),
    sa.Column('rfm_segment', sa.String(length=24), nullable=True),
    sa.Column('influence', sa.Double(), nullable=False),
    sa.Column('parts', sa.JSON(), nullable=False),
    sa.Column('kol', sa.Boolean(), nullable=False),
    sa.Column('computed_at', models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_scores'))
    )
    op.create_index('ix_member_scores_account_influence', 'member_scores', ['account_id', 'influence'], unique=False)
    op.create_index('ix_member_scores_account_stage', 'member_scores', ['account_id', 'stage'], unique=False)
    op.create_table('kol_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('full', sa.Boolean(), nullable=False),
    sa.Column('started_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('finished_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('watermark', sa.BigInteger(), nullable=False),
    sa.Column('members_scored', sa.Integer(), nullable=False),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('added', sa.JSON(), nullable=False),
    sa.Column('dropped', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_kol_runs_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kol_runs'))
    )
    op.create_index(op.f('ix_kol_runs_account_id'), 'kol_runs', ['account_id'], unique=False)
    op.create_table('wechat_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('wechat_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_wechat_tags_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wechat_tags')),
    sa.UniqueConstraint('account_id', 'name', name=op.f('uq_wechat_tags_account_id_name'))
    )
    op.create_table('page_views',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('viewer_openid', sa.String(length=64), nullable=False),
    sa.Column('page', sa.String(length=120), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sharer_id', sa.Integer(), nullable=True),
    sa.Column('viewed_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('followed_at', models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_page_views_account_id_accounts')),
    sa.ForeignKeyConstraint(['sharer_id'], ['members.id'], name=op.f('fk_page_views_sharer_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_page_views')),
    sa.UniqueConstraint('account_id', 'viewer_openid', 'page', 'day', name=op.f('uq_page_views_account_id_viewer_openid_page_day'))
    )
    op.create_index('ix_page_views_sharer', 'page_views', ['sharer_id', 'day'], unique=False)
    op.create_table('shares',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('page', sa.String(length=120), nullable=False),
    sa.Column('target', sa.String(length=16), nullable=False),
    sa.Column('shared_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_shares_account_id_accounts')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_shares_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shares'))
    )
    op.create_index('ix_shares_member', 'shares', ['member_id', 'shared_at'], unique=False)
    with op.batch_alter_table("member_tags") as batch_op:
        batch_op.add_column(sa.Column("removed_at", models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("mirrored_at", models.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table("members") as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("registered_at", models.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table("programmes") as batch_op:
        for name, default in (("active_days", "30"), ("loyal_orders", "2"), ("loyal_streak", "7")):
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default=default))
        batch_op.add_column(sa.Column("rfm_window_days", sa.Integer(), nullable=False, server_default="365"))
        batch_op.add_column(sa.Column("kol_weights", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column("kol_top_n", sa.Integer(), nullable=False, server_default="20"))
        batch_op.add_column(sa.Column("kol_threshold", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("programmes") as batch_op:
        for name in ("kol_threshold", "kol_top_n", "kol_weights", "rfm_window_days"):
            batch_op.drop_column(name)
        for name in ("loyal_streak", "loyal_orders", "active_days"):
            batch_op.drop_column(name)
    with op.batch_alter_table("members") as batch_op:
        batch_op.drop_column("registered_at")
        batch_op.drop_column("phone")
    with op.batch_alter_table("member_tags") as batch_op:
        batch_op.drop_column("mirrored_at")
        batch_op.drop_column("removed_at")
    op.drop_index('ix_shares_member', table_name='shares')
    op.drop_table('shares')
    op.drop_index('ix_page_views_sharer', table_name='page_views')
    op.drop_table('page_views')
    op.drop_table('wechat_tags')
    op.drop_index(op.f('ix_kol_runs_account_id'), table_name='kol_runs')
    op.drop_table('kol_runs')
    op.drop_index('ix_member_scores_account_stage', table_name='member_scores')
    op.drop_index('ix_member_scores_account_influence', table_name='member_scores')
    op.drop_table('member_scores')
