"""What the scheduled jobs compute about members (stage, RFM, influence), share tracking, KOL runs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime, utcnow
from rules.segments.scoring import PARTS


class ScoreParts(TypeDecorator[dict[str, Any]]):
    """Influence by part, stored as a JSON array in `PARTS` order: the keys written out on every
    row made up two thirds of a score row, and a million rows are rewritten by every full run.
    Read back as {part: points}; rows written before (JSON objects) read as they were."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, dict):
            return [value.get(p, 0) for p in PARTS]
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dict[str, Any]:
        if isinstance(value, list):
            return dict(zip(PARTS, value, strict=False))
        return dict(value or {})


class MemberScore(Base):
    """One row per scored member: relationship stage, RFM and influence, with the parts."""

    __tablename__ = "member_scores"
    __table_args__ = (
        Index("ix_member_scores_account_influence", "account_id", "influence"),
        Index(  # the few KOL candidates, found without a scan (the tags, the next pick)
            "ix_member_scores_kol", "account_id", postgresql_where=text("kol"), sqlite_where=text("kol")
        ),
        # the console's member search by stage or RFM segment, newest member first (a page of a
        # million-member stage without reading it all): paid on the score rows a run rewrites
        Index("ix_member_scores_account_stage_member", "account_id", "stage", "member_id"),
        Index("ix_member_scores_account_rfm_member", "account_id", "rfm_segment", "member_id"),
    )

    member_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    account_id: Mapped[int]
    stage: Mapped[str] = mapped_column(String(8))  # light 浅 | sticky 粘 | deep 深 | iron 铁
    recency_days: Mapped[int | None]  # days since the last purchase in the window
    frequency: Mapped[int] = mapped_column(default=0)  # purchases in the window
    monetary_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # paid minus refunded, in the window
    r: Mapped[int | None] = mapped_column(SmallInteger)  # 1–5 quintile scores; None: no purchase
    f: Mapped[int | None] = mapped_column(SmallInteger)
    m: Mapped[int | None] = mapped_column(SmallInteger)
    rfm_segment: Mapped[str | None] = mapped_column(String(24))
    influence: Mapped[float] = mapped_column(default=0.0)
    parts: Mapped[dict[str, Any]] = mapped_column(ScoreParts, default=dict)  # summing to the influence
    kol: Mapped[bool] = mapped_column(default=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the referral sums, kept so that an incremental run can move them by its referees' changes:
    second_degree: Mapped[int] = mapped_column(default=0, server_default="0")  # referees' live referrals
    downstream: Mapped[int] = mapped_column(default=0, server_default="0")  # their check-ins and reviews
    # what this member adds to its referrer's two sums (0 while its referral is not live)
    lent_second_degree: Mapped[int] = mapped_column(default=0, server_default="0")
    lent_downstream: Mapped[int] = mapped_column(default=0, server_default="0")
    tier_code: Mapped[str | None] = mapped_column(String(32))  # the tier its 等级 tag names


class Share(Base):
    """A member shared an H5 page (WeChat's JS-SDK tells the page, the page tells us)."""

    __tablename__ = "shares"
    __table_args__ = (
        Index("ix_shares_member", "member_id", "shared_at"),
        Index("ix_shares_account_shared", "account_id", "shared_at"),  # shares since the last scoring run
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    page: Mapped[str] = mapped_column(String(120))
    target: Mapped[str] = mapped_column(String(16), default="friend")  # friend | timeline
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PageView(Base):
    """Someone opened an H5 page, once a day per page: through a member's share (`sharer_id`) or not.

    Viewers are known by openid (WeChat OAuth), follower or not: what the funnel's 了解 counts.
    """

    __tablename__ = "page_views"
    __table_args__ = (
        UniqueConstraint("account_id", "viewer_openid", "page", "day"),
        Index("ix_page_views_sharer", "sharer_id", "day"),
        # a sharer's reads and follows without reading the rows (incremental scoring)
        Index(
            "ix_page_views_sharer_reads",
            "sharer_id",
            postgresql_include=["account_id", "followed_at", "viewer_openid"],
        ),
        Index("ix_page_views_account_viewed", "account_id", "viewed_at"),  # reads since the last run
        Index("ix_page_views_account_followed", "account_id", "followed_at"),  # follows since then
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    viewer_openid: Mapped[str] = mapped_column(String(64))
    page: Mapped[str] = mapped_column(String(120))
    day: Mapped[date]
    sharer_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    followed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the viewer followed after it


class KolRun(Base):
    """One run of the scoring job: what it covered and which KOL candidates came and went."""

    __tablename__ = "kol_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    full: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    watermark: Mapped[int] = mapped_column(BigInteger, default=0)  # events up to this id were counted
    members_scored: Mapped[int] = mapped_column(default=0)
    candidates: Mapped[list[int]] = mapped_column(JSON, default=list)
    added: Mapped[list[int]] = mapped_column(JSON, default=list)
    dropped: Mapped[list[int]] = mapped_column(JSON, default=list)
    # it left member_scores' referral sums right for the next incremental run (from 0014 on)
    referral_sums: Mapped[bool] = mapped_column(default=False, server_default=false())


class WeChatTag(Base):
    """A Tiefen tag's twin among the account's WeChat user tags (for mass sends by tag)."""

    __tablename__ = "wechat_tags"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(30))
    wechat_id: Mapped[int]


class DashboardDay(Base):
    """One settled local day of an account's dashboard figures (services/segments/dashboard.py):
    written once the day is past the settling margin, read instead of the day's rows."""

    __tablename__ = "dashboard_days"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))  # the zone the day was cut in
    follows: Mapped[int] = mapped_column(BigInteger)
    unfollows: Mapped[int] = mapped_column(BigInteger)
    checkins: Mapped[int] = mapped_column(BigInteger)
    points_issued: Mapped[int] = mapped_column(BigInteger)
    points_spent: Mapped[int] = mapped_column(BigInteger)
    points_expired: Mapped[int] = mapped_column(BigInteger)
    orders: Mapped[int] = mapped_column(BigInteger)
    revenue_fen: Mapped[int] = mapped_column(BigInteger)
    referrals: Mapped[int] = mapped_column(BigInteger)
