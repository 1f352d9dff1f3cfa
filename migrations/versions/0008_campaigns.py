"""campaigns: campaigns, deliveries (one per campaign and member), mass sends, contact windows

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('variants', sa.JSON(), nullable=False),
    sa.Column('page', sa.String(length=40), nullable=False),
    sa.Column('send_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('recurring', sa.String(length=40), nullable=True),
    sa.Column('quiet_start', sa.Integer(), nullable=False),
    sa.Column('quiet_end', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('started_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('finished_at', models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_campaigns_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    op.create_index(op.f('ix_campaigns_account_id'), 'campaigns', ['account_id'], unique=False)
    op.create_table('mass_sends',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('clientmsgid', sa.String(length=64), nullable=False),
    sa.Column('msg_id', sa.BigInteger(), nullable=True),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('finished_at', models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_mass_sends_campaign_id_campaigns')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mass_sends')),
    sa.UniqueConstraint('clientmsgid', name=op.f('uq_mass_sends_clientmsgid')),
    sa.UniqueConstraint('msg_id', name=op.f('uq_mass_sends_msg_id'))
    )
    op.create_index(op.f('ix_mass_sends_campaign_id'), 'mass_sends', ['campaign_id'], unique=False)
    op.create_table('contact_windows',
    sa.Column('member_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('message_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('message_used', sa.Integer(), nullable=False),
    sa.Column('event_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('event_used', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_contact_windows_member_id_members')),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_contact_windows'))
    )
    op.create_table('deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('variant', sa.String(length=8), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('mass_id', sa.BigInteger(), nullable=True),
    sa.Column('planned_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('claimed_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('sent_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('opened_at', models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_deliveries_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_deliveries_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('campaign_id', 'member_id', name=op.f('uq_deliveries_campaign_id_member_id'))
    )
    op.create_index('ix_deliveries_campaign_status', 'deliveries', ['campaign_id', 'status'], unique=False)
    op.create_index('ix_deliveries_member_sent', 'deliveries', ['member_id', 'sent_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_deliveries_member_sent', table_name='deliveries')
    op.drop_index('ix_deliveries_campaign_status', table_name='deliveries')
    op.drop_table('deliveries')
    op.drop_table('contact_windows')
    op.drop_index(op.f('ix_mass_sends_campaign_id'), table_name='mass_sends')
    op.drop_table('mass_sends')
    op.drop_index(op.f('ix_campaigns_account_id'), table_name='campaigns')
    op.drop_table('campaigns')
