"""Referrals (代言): channels, parametric QR codes, who brought whom, and member tags."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Channel(Base):
    """Where a merchant shows a code: a shop counter, a poster, a staff member."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("account_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    code: Mapped[str] = mapped_column(String(60))  # in the scene: c-<code>
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(16), default="other")  # counter | poster | staff | other
    tag: Mapped[str] = mapped_column(String(30))  # members who follow through it get this tag
    permanent: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QrCode(Base):
    """A parametric code created through the WeChat API for a member or a channel.

    A member's code keeps its scene; when it nears its expiry a new ticket replaces the old one.
    """

    __tablename__ = "qr_codes"
    __table_args__ = (UniqueConstraint("account_id", "scene"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), unique=True)
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), unique=True)
    scene: Mapped[str] = mapped_column(String(64))
    permanent: Mapped[bool] = mapped_column(default=False)
    ticket: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(200))  # what the code encodes
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: permanent
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issue_count: Mapped[int] = mapped_column(default=0)
    media_id: Mapped[str | None] = mapped_column(String(128))  # the poster uploaded as temporary media
    media_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Referral(Base):
    """One referrer → referee edge: a never-seen follower who came through a member's code.

    The referee is unique: the first bind wins, forever.
    """

    __tablename__ = "referrals"
    __table_args__ = (
        UniqueConstraint("referee_id"),
        Index("ix_referrals_referrer", "referrer_id", "bound_at"),
        Index("ix_referrals_account_bound", "account_id", "bound_at"),  # the dashboard's day series
        Index("ix_referrals_status_hold", "status", "hold_until"),
        # a referrer's live referrals counted from the index alone (incremental scoring)
        Index("ix_referrals_referrer_live", "referrer_id", postgresql_include=["account_id", "status"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    referrer_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    referee_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    code_id: Mapped[int | None] = mapped_column(ForeignKey("qr_codes.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_events.id"), unique=True)
    scene: Mapped[str] = mapped_column(String(64))
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the follow's CreateTime
    status: Mapped[str] = mapped_column(String(16))  # held | review | refused | paid | voided
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    hold_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(16))  # rules | merchant
    reward_points: Mapped[int] = mapped_column(default=0)  # what the referrer was paid for it


class MemberTag(Base):
    """A label on a member: set by a rule (a channel, later stages and segments) or by the merchant."""

    __tablename__ = "member_tags"
    __table_args__ = (
        UniqueConstraint("member_id", "tag"),
        # a tag's members, newest first (the console's search); what (account_id, tag) served, too
        Index("ix_member_tags_account_tag_member", "account_id", "tag", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int]  # no foreign keys: the scoring job writes a million at a time, and the
    member_id: Mapped[int]  # checks cost more than the rows (the ledger's lesson, migration 0005)
    tag: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(16), default="rule")  # rule | channel | manual
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # kept until WeChat forgets it too
    mirrored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last told to WeChat


class PosterRequest(Base):
    """A member asked for their poster (邀请) and the reply promised it: the job that makes and
    sends it marks it here, so a job lost with Redis's data is queued again by the sweeper and a
    sent one is never sent twice."""

    __tablename__ = "poster_requests"
    __table_args__ = (
        # what the sweeper looks for: small, since nearly every request is settled within seconds
        Index(
            "ix_poster_requests_open",
            "requested_at",
            postgresql_where=text("settled_at IS NULL"),
            sqlite_where=text("settled_at IS NULL"),
        ),
    )

    event_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # the inbound event
    account_id: Mapped[int]  # no foreign keys: the drain writes these in its batch
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a job is making it
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # sent, or never to be
    outcome: Mapped[str | None] = mapped_column(String(200))  # "sent", or why not
