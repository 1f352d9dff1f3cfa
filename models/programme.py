"""The merchant's membership programme: settings, point tasks, tiers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow
from rules.segments.scoring import DEFAULT_KOL_MIN_EVIDENCE, DEFAULT_KOL_MIN_SCORE


class Programme(Base):
    """One row per account: how points expire, how tiers are earned and kept."""

    __tablename__ = "programmes"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    expiry_mode: Mapped[str] = mapped_column(String(16), default="days")  # never | days | year_end
    expiry_days: Mapped[int] = mapped_column(default=365)
    review_approval: Mapped[bool] = mapped_column(default=False)  # reviews wait for the merchant
    makeup_cost: Mapped[int | None] = mapped_column(default=20)  # points a 补签 costs; None: no 补签
    streak_bonuses: Mapped[list[list[int]]] = mapped_column(JSON, default=lambda: [[7, 50], [30, 300]])
    tier_basis: Mapped[str] = mapped_column(String(16), default="points")  # points | spend (yuan)
    tier_grace_days: Mapped[int] = mapped_column(default=30)
    tier_template_id: Mapped[str | None] = mapped_column(String(64))  # service notice for tier changes
    referral_hold_days: Mapped[int] = mapped_column(default=3)  # the referrer's reward waits this long
    referral_ladder: Mapped[list[list[int]]] = mapped_column(
        JSON, default=lambda: [[3, 50], [10, 200], [50, 1000]]
    )  # [nth paid friend, extra points]
    referral_burst: Mapped[list[int]] = mapped_column(JSON, default=lambda: [5, 10])  # [binds, minutes]
    active_days: Mapped[int] = mapped_column(default=30)  # 粘关系: interacted within this many days
    loyal_orders: Mapped[int] = mapped_column(default=2)  # 忠诚: this many purchases …
    loyal_streak: Mapped[int] = mapped_column(default=7)  # … or a check-in streak this long
    rfm_window_days: Mapped[int] = mapped_column(default=365)
    kol_weights: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)  # empty: the defaults
    kol_top_n: Mapped[int] = mapped_column(default=20)
    kol_threshold: Mapped[float | None]  # set: everyone at or above it instead of the top N
    kol_min_score: Mapped[float] = mapped_column(default=DEFAULT_KOL_MIN_SCORE)  # no candidate below it …
    kol_min_evidence: Mapped[int] = mapped_column(default=DEFAULT_KOL_MIN_EVIDENCE)  # … or with less evidence
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointTaskRow(Base):
    __tablename__ = "point_tasks"
    __table_args__ = (UniqueConstraint("account_id", "action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    action: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(60))
    points: Mapped[int] = mapped_column(default=0)
    per_yuan: Mapped[int | None]
    daily_cap: Mapped[int | None]
    weekly_cap: Mapped[int | None]
    lifetime_cap: Mapped[int | None]
    first_time_only: Mapped[bool] = mapped_column(default=False)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    target_tiers: Mapped[list[str]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    hold_days: Mapped[int] = mapped_column(default=0)
    min_length: Mapped[int] = mapped_column(default=0)
    min_rating: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TierRow(Base):
    __tablename__ = "tiers"
    __table_args__ = (UniqueConstraint("account_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(32))
    threshold: Mapped[int]
    benefits: Mapped[str | None] = mapped_column(String(200))
