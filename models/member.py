"""A member: one follower (openid) of one account, kept after unfollowing."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime, utcnow


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("account_id", "openid"),
        # first follows since a time: the reads they came from (scoring), audiences "followed since".
        # BRIN: members arrive in follow order; a summary per block range costs next to nothing on
        # the updates this table takes all day (a B-tree entry per non-HOT update slowed expiry ~10 %)
        Index(
            "ix_members_first_followed",
            "first_followed_at",
            postgresql_using="brin",
            postgresql_with={"autosummarize": "on"},
        ),
        # one account's follows per day (the dashboard): the BRIN reads every account's members of the range
        Index("ix_members_account_followed", "account_id", "first_followed_at"),
        # the console's member list, newest first (and its filters that walk it: following)
        Index("ix_members_account_id", "account_id", "id"),
        # a phone, exact or by its first digits (LIKE 'prefix%' reads a pattern_ops B-tree)
        Index(
            "ix_members_account_phone", "account_id", "phone", postgresql_ops={"phone": "text_pattern_ops"}
        ),
        Index("ix_members_account_tier", "account_id", "tier_code", "id"),  # a tier's members, newest first
        # a nickname by its first characters (LIKE 'prefix%')
        Index(
            "ix_members_account_nickname",
            "account_id",
            "nickname",
            postgresql_ops={"nickname": "text_pattern_ops"},
        ),
        # the daily birthday job: only the members who gave a birthday, per account
        Index(
            "ix_members_account_birthday",
            "account_id",
            "birthday",
            postgresql_where=text("birthday IS NOT NULL"),
            sqlite_where=text("birthday IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    openid: Mapped[str] = mapped_column(String(64))
    following: Mapped[bool] = mapped_column(default=True)
    first_followed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_followed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unfollowed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_count: Mapped[int] = mapped_column(default=0)
    first_scene: Mapped[str | None] = mapped_column(String(64))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"))  # first channel they came by
    phone: Mapped[str | None] = mapped_column(String(20))
    nickname: Mapped[str | None] = mapped_column(String(20))  # 昵称: set on the profile page, or WeChat's
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # bound a phone / completed profile
    birthday: Mapped[date | None]  # set once by the member (the birthday gift is not to be farmed)
    last_interaction_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    points_balance: Mapped[int] = mapped_column(default=0)  # the ledger's sum, kept in step with it
    points_earned: Mapped[int] = mapped_column(default=0)  # awards minus reversals: what tiers count
    spend_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # paid minus refunded
    tier_code: Mapped[str | None] = mapped_column(String(32))
    tier_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tier_grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
