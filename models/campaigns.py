"""Targeted H5 campaigns: what is sent to whom, each delivery once, and the members' contact windows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime, utcnow
from rules.campaigns.lifecycle import CampaignStatus, MassSendStatus


class Campaign(Base):
    """A message to a segment: audience, content (an H5 landing page), schedule, variants.

    Its status is a `rules.campaigns.lifecycle.CampaignStatus`, moved by services.campaigns.lifecycle.
    A recurring campaign (status "recurring") sends nothing itself: each time its cron expression
    fires, a copy is made (parent_id, occurs_at; unique, so two schedulers make one) and sent.
    """

    __tablename__ = "campaigns"
    __table_args__ = (UniqueConstraint("parent_id", "occurs_at", name="uq_campaigns_occurrence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.DRAFT)  # CampaignStatus
    kind: Mapped[str] = mapped_column(String(8), default="campaign")  # campaign | journey
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # see rules/campaigns/audience.py
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # code, split, title, summary
    page: Mapped[str] = mapped_column(String(40), default="campaign")  # the H5 landing page template
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: now
    recurring: Mapped[str | None] = mapped_column(String(40))  # a cron expression, for rq cron
    quiet_start: Mapped[int] = mapped_column(default=22 * 60)  # minutes after local midnight
    quiet_end: Mapped[int] = mapped_column(default=8 * 60)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when the merchant pressed send: a draft with it set and no job left (Redis lost its data)
    # is queued again by the sweeper (tasks.campaigns.resume_stalled)
    send_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", name="fk_campaigns_parent"))
    occurs_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # an occurrence's firing time
    cover_image_id: Mapped[int | None] = mapped_column(ForeignKey("images.id"))  # served at /media/…


class Delivery(Base):
    """One member's message of one campaign: unique, so a re-run never sends twice."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("campaign_id", "member_id"),
        Index("ix_deliveries_member_sent", "member_id", "sent_at"),
        Index("ix_deliveries_campaign_status", "campaign_id", "status"),
        Index("ix_deliveries_claim", "campaign_id", "channel", "status", "id"),  # the senders' next batch
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int]
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    variant: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str | None] = mapped_column(String(8))  # kf (customer service) | mass
    status: Mapped[str] = mapped_column(String(12))  # DeliveryStatus
    reason: Mapped[str | None] = mapped_column(String(40))  # why held or failed
    attempts: Mapped[int] = mapped_column(default=0)
    mass_id: Mapped[int | None] = mapped_column(BigInteger)  # the mass send that carried it
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a sender took it
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MassSend(Base):
    """One mass-send call (an openid list) and what MASSSENDJOBFINISH said of it."""

    __tablename__ = "mass_sends"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int]
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    clientmsgid: Mapped[str] = mapped_column(String(64), unique=True)  # WeChat de-duplicates retries by it
    msg_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    members: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=MassSendStatus.SENDING)  # MassSendStatus
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # MASSSENDJOBFINISH's counts
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ContactWindow(Base):
    """A member's customer-service windows as WeChat counts them, each with the messages used.

    A message from the member opens one (48 hours, 5 messages); a follow, a scan or a menu click
    another (1 minute, 3 messages). The lengths and quotas are settings the planner reads.
    """

    __tablename__ = "contact_windows"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True, autoincrement=False)
    message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_used: Mapped[int] = mapped_column(default=0)
    event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    event_used: Mapped[int] = mapped_column(default=0)


class Journey(Base):
    """A triggered message: when a member does (or stops doing) something, after a delay, send the
    content of its campaign (kind "journey") through the same planner, caps and delivery."""

    __tablename__ = "journeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    trigger: Mapped[str] = mapped_column(String(20))  # follow | first_checkin | streak_at_risk | …
    trigger_days: Mapped[int | None]  # inactive: days without a thing; streak_at_risk: the streak
    delay_minutes: Mapped[int] = mapped_column(default=0)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), unique=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # triggers before it: ignored
    # granted (0 points) to each member the message is delivered to, once: see services/campaigns/grants.py
    reward_id: Mapped[int | None] = mapped_column(ForeignKey("rewards.id"))


class JourneyGrant(Base):
    """What a journey's reward did for one member its message reached: granted (the redemption), or
    why not (out_of_stock, withdrawn). One per journey and member, so a retry never grants twice."""

    __tablename__ = "journey_grants"

    journey_id: Mapped[int] = mapped_column(ForeignKey("journeys.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    account_id: Mapped[int]
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"))
    redemption_id: Mapped[int | None] = mapped_column(ForeignKey("redemptions.id"))
    outcome: Mapped[str] = mapped_column(String(16))  # granted | out_of_stock | withdrawn
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
