"""The rewards catalogue (积分兑换), redemptions, and tier changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Reward(Base):
    __tablename__ = "rewards"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(16))  # coupon | gift
    points_price: Mapped[int]
    stock: Mapped[int]
    description: Mapped[str | None] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    image_id: Mapped[int | None] = mapped_column(ForeignKey("images.id"))  # its picture, if any
    valid_days: Mapped[int | None]  # a redemption's code is good this many days; None: no expiry


class Redemption(Base):
    __tablename__ = "redemptions"
    __table_args__ = (
        UniqueConstraint("account_id", "request_key"),
        UniqueConstraint("account_id", "code", name="uq_redemptions_account_code"),
        Index("ix_redemptions_account_id", "account_id", "id"),  # the account's redemptions, newest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    reward_id: Mapped[int] = mapped_column(ForeignKey("rewards.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    points: Mapped[int]
    code: Mapped[str] = mapped_column(String(16))  # shown to the shop to hand over the reward
    request_key: Mapped[str] = mapped_column(String(64))  # the form's one-time token: a retry redeems once
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 核销: handed over at the till
    used_by: Mapped[str | None] = mapped_column(String(60))  # the staff member or token who did it
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # from the reward's valid_days


class TierChange(Base):
    __tablename__ = "tier_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    from_code: Mapped[str | None] = mapped_column(String(32))
    to_code: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))  # upgrade | downgrade
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notify_error: Mapped[str | None] = mapped_column(String(200))
    notice_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a job is sending it
