"""The dashboard's figures: a day series over the last 30 days in the account's time zone, and the
today / 7-day / 30-day totals derived from it.

Each figure is one set-based query over the whole range (a GROUP BY, never a query per day).
Columns that hold a local date already (the ledger's business_date, a check-in's day) are grouped
by it; timestamps are grouped by UTC quarter-hour and the quarters mapped to local days here, so
that every zone (DST, half-hour offsets) is bucketed exactly, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from models import Campaign, Checkin, InboundEvent, LedgerEntry, Member, Order, Referral

DAYS = 30
PERIODS = (("today", "今天", 1), ("7d", "近 7 天", 7), ("30d", "近 30 天", 30))
QUARTER = 900  # seconds: every zone's offset is a whole number of quarter-hours
FIGURES = (
    "follows",
    "unfollows",
    "checkins",
    "points_issued",
    "points_spent",
    "points_expired",
    "orders",
    "revenue_fen",
    "referrals",
)


class quarter_of(FunctionElement[int]):  # noqa: N801  (an SQL function's name)
    """The UTC quarter-hour a naive-UTC timestamp falls in: seconds since the epoch // 900."""

    type = Integer()
    inherit_cache = True


@compiles(quarter_of, "postgresql")
def _quarter_pg(element: quarter_of, compiler: SQLCompiler, **kw: Any) -> str:
    return (
        f"CAST(floor(extract(epoch FROM {compiler.process(element.clauses, **kw)}) / {QUARTER}) AS INTEGER)"
    )


@compiles(quarter_of)
def _quarter_sqlite(element: quarter_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER) / {QUARTER})"


@dataclass(frozen=True)
class Totals:
    follows: int = 0
    unfollows: int = 0
    checkins: int = 0
    points_issued: int = 0
    points_spent: int = 0
    points_expired: int = 0
    orders: int = 0
    revenue_fen: int = 0
    referrals: int = 0


@dataclass
class Series:
    """One value per figure per local day, oldest first; `days[-1]` is today."""

    days: list[date]
    values: dict[str, list[int]] = field(default_factory=dict)
    active_campaigns: int = 0

    def total(self, last: int) -> Totals:
        """The sum over the last `last` days (1: today)."""
        return Totals(**{name: sum(v[-last:]) for name, v in self.values.items()})

    def totals(self) -> dict[str, Totals]:
        return {key: self.total(n) for key, _, n in PERIODS}


def window(now: datetime, tz: str, days: int = DAYS) -> tuple[list[date], datetime, datetime]:
    """The last `days` local days up to today, and the UTC instants their range starts and ends at."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    listed = [today - timedelta(days=days - 1 - i) for i in range(days)]
    start = datetime.combine(listed[0], time(), zone).astimezone(UTC)
    end = datetime.combine(today + timedelta(days=1), time(), zone).astimezone(UTC)
    return listed, start, end


def series(session: Session, account_id: int, tz: str, now: datetime, days: int = DAYS) -> Series:
    """Follows and unfollows, check-ins, points issued / spent / expired, orders and revenue (paid
    minus refunded, by the day paid), new referrals: per local day over the last `days` days; and the
    campaigns active now."""
    listed, start, end = window(now, tz, days)
    out = Series(listed, {name: [0] * days for name in FIGURES})
    index = {d: i for i, d in enumerate(listed)}
    zone = ZoneInfo(tz)
    day_of_quarter: dict[int, date] = {}

    def add(name: str, day: date | None, value: Any) -> None:
        i = index.get(day) if day is not None else None
        if i is not None:
            out.values[name][i] += int(value or 0)

    def local_day(q: int) -> date:
        if q not in day_of_quarter:
            day_of_quarter[q] = datetime.fromtimestamp(q * QUARTER, zone).date()
        return day_of_quarter[q]

    def by_quarter(column: Any, *where: ColumnElement[bool], sums: tuple[Any, ...] = ()) -> list[Any]:
        q = quarter_of(column)
        stmt = select(q, func.count(), *sums).where(column >= start, column < end, *where).group_by(q)
        return list(session.execute(stmt))

    for q, n in by_quarter(Member.first_followed_at, Member.account_id == account_id):
        add("follows", local_day(q), n)
    unsubscribe = (
        InboundEvent.account_id == account_id,
        InboundEvent.msg_type == "event",
        InboundEvent.event == "unsubscribe",
    )
    for q, n in by_quarter(InboundEvent.create_time, *unsubscribe):
        add("unfollows", local_day(q), n)
    for q, n, fen in by_quarter(
        Order.paid_at, Order.account_id == account_id, sums=(func.sum(Order.amount_fen - Order.refunded_fen),)
    ):
        add("orders", local_day(q), n)
        add("revenue_fen", local_day(q), fen)
    for q, n in by_quarter(Referral.bound_at, Referral.account_id == account_id):
        add("referrals", local_day(q), n)

    checkins = session.execute(
        select(Checkin.day, func.count())
        .where(Checkin.account_id == account_id, Checkin.day >= listed[0], Checkin.day <= listed[-1])
        .group_by(Checkin.day)
    )
    for day, n in checkins:
        add("checkins", day, n)

    positive = func.sum(case((LedgerEntry.delta > 0, LedgerEntry.delta), else_=0))
    negative = func.sum(case((LedgerEntry.delta < 0, -LedgerEntry.delta), else_=0))
    ledger = session.execute(
        select(LedgerEntry.business_date, LedgerEntry.kind, positive, negative)
        .where(
            LedgerEntry.account_id == account_id,
            LedgerEntry.business_date >= listed[0],
            LedgerEntry.business_date <= listed[-1],
        )
        .group_by(LedgerEntry.business_date, LedgerEntry.kind)
    )
    for day, kind, plus, minus in ledger:
        add("points_issued", day, plus)  # awards and make-ups (a reversal that gives back, too)
        if kind == "redemption":
            add("points_spent", day, minus)
        elif kind == "expiry":
            add("points_expired", day, minus)
    out.active_campaigns = active_campaigns(session, account_id)
    return out


def totals(session: Session, account_id: int, tz: str, now: datetime) -> dict[str, Totals]:
    """Per period (today, 7d, 30d), summed from the day series."""
    return series(session, account_id, tz, now).totals()


def active_campaigns(session: Session, account_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                Campaign.account_id == account_id,
                Campaign.kind == "campaign",
                Campaign.status.in_(("scheduled", "sending", "recurring")),
            )
        )
        or 0
    )
