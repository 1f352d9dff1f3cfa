"""The points ledger: append-only entries, and the lots that earned points live in until spent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, BigId, UTCDateTime, utcnow


class LedgerEntry(Base):
    """One change to a member's points. Never updated, never deleted.

    The busiest table: it keeps one foreign key (the member's, which names the account too);
    a check per key per row cost more than the row's own insert.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        UniqueConstraint("account_id", "key"),
        Index("ix_ledger_entries_member", "member_id", "id"),
        # the dashboard's day series: index-only over a range of days
        Index(
            "ix_ledger_entries_account_day",
            "account_id",
            "business_date",
            postgresql_include=["kind", "delta"],
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int]
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    key: Mapped[str] = mapped_column(String(160))  # idempotency: source, or rule + member + period
    delta: Mapped[int]  # + earned, - spent, expired or reversed
    kind: Mapped[str] = mapped_column(String(16))  # award | reversal | expiry | redemption | makeup
    action: Mapped[str | None] = mapped_column(String(40))  # the point task, for awards
    note: Mapped[str | None] = mapped_column(String(200))
    business_date: Mapped[date]  # in the account's time zone: what daily and weekly caps count
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PointLot(Base):
    """Points from one award, spent oldest-first and expiring together.

    No foreign keys: a lot is written with its entry, from the same values, by `ledger.credit`.
    """

    __tablename__ = "point_lots"
    __table_args__ = (
        Index(
            "ix_point_lots_open",
            "member_id",
            postgresql_where=text("remaining > 0"),
            sqlite_where=text("remaining > 0"),
        ),
        Index(
            "ix_point_lots_expiring",
            "expires_at",
            postgresql_where=text("remaining > 0"),
            sqlite_where=text("remaining > 0"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int]
    member_id: Mapped[int]
    entry_id: Mapped[int] = mapped_column(BigId, unique=True)
    points: Mapped[int]
    remaining: Mapped[int]
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)  # later than earned_at while on hold
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
