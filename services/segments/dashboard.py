"""The dashboard's figures: a day series over the last 30 days in the account's time zone, and the
today / 7-day / 30-day totals derived from it.

Each figure is one set-based query over a range of days (a GROUP BY, never a query per day).
Columns that hold a local date already (the ledger's business_date, a check-in's day) are grouped
by it; timestamps are grouped by UTC quarter-hour and the quarters mapped to local days here, so
that every zone (DST, half-hour offsets) is bucketed exactly, on SQLite and PostgreSQL alike.

Settled days come from a rollup (`dashboard_days`), so a request costs the same however many rows
the account has. A day is settled once it is more than `SETTLE_DAYS` days before today in the
account's zone; today and the `SETTLE_DAYS` days before it are always counted live, and so is any
settled day the rollup lacks (with every day after it: one range). The days newly counted that are
settled are then written to the rollup, in the caller's transaction, for the next request. A row
remembers the zone its day was cut in; after the account changes zone its rows count as missing.

The trade-off: the rollup keeps a settled day's figures as they were when it was written. What may
still land on a recent day is inside the margin: a drain catching up (events keep WeChat's
create_time), 补签 (a make-up check-in and its ledger entry are dated yesterday, never earlier,
rules/points/checkins.py makeup_day), expiry run late by a day. Orders are the exception the
product makes: revenue is "paid minus refunded, by the day paid", an order may be posted with a
paid_at long past, and a refund may come any time later; no margin covers that, and counting
refunds on the refund's day would change what the dashboard says. So services/points/orders.py
calls `forget(...)` on a new order and on a refund: the order's paid day (in any zone) drops out of
the rollup and is counted live again at the next request. Still not reflected on a day older than
the margin: a drain more than `SETTLE_DAYS` days behind, the points the drain awards for a
back-dated order if a dashboard request re-rolls the paid day between the order and its award
(seconds, normally), expiry running more than the margin late, and rows written or changed
outside the product's flows (SQL by hand, imports). Deleting an account's rows from
`dashboard_days` makes every day count live once and be rolled again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, case, delete, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from models import Campaign, Checkin, DashboardDay, InboundEvent, LedgerEntry, Member, Order, Referral
from models.upsert import upsert

DAYS = 30
PERIODS = (("today", "今天", 1), ("7d", "近 7 天", 7), ("30d", "近 30 天", 30))
QUARTER = 900  # seconds: every zone's offset is a whole number of quarter-hours
SETTLE_DAYS = 2  # today and this many days before it may still change: counted live, never rolled up
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
    campaigns active now. Settled days are read from the rollup; the rest are counted and the
    newly settled ones among them rolled up (see the module's docstring)."""
    listed, _, end = window(now, tz, days)
    zone = ZoneInfo(tz)
    settled = listed[-1] - timedelta(days=SETTLE_DAYS + 1)  # the last settled day
    columns = [getattr(DashboardDay, name) for name in FIGURES]
    stored = {
        row[0]: row[1:]
        for row in session.execute(
            select(DashboardDay.day, *columns).where(
                DashboardDay.account_id == account_id,
                DashboardDay.day >= listed[0],
                DashboardDay.day <= settled,
                DashboardDay.timezone == tz,
            )
        )
    }
    first_live = next(i for i, d in enumerate(listed) if d > settled or d not in stored)
    live_days = listed[first_live:]
    live_start = datetime.combine(live_days[0], time(), zone).astimezone(UTC)
    live = count_days(session, account_id, zone, live_days, live_start, end)
    out = Series(listed, {name: [0] * days for name in FIGURES})
    for i, d in enumerate(listed):
        figures = stored[d] if d in stored else [live[name][i - first_live] for name in FIGURES]
        for name, value in zip(FIGURES, figures, strict=True):
            out.values[name][i] = int(value)
    rolled = [
        {"account_id": account_id, "day": d, "timezone": tz, **{name: live[name][j] for name in FIGURES}}
        for j, d in enumerate(live_days)
        if d <= settled and d not in stored
    ]
    if rolled:
        stmt = upsert(session, DashboardDay).values(rolled)
        keep = {name: stmt.excluded[name] for name in ("timezone", *FIGURES)}
        session.execute(stmt.on_conflict_do_update(index_elements=["account_id", "day"], set_=keep))
    out.active_campaigns = active_campaigns(session, account_id)
    return out


def forget(session: Session, account_id: int, at: datetime) -> None:
    """Drop from the rollup the local day `at` falls on, whatever the account's zone (the UTC day
    and the one on either side): for a write that changes a past day, such as an order's refund."""
    day = (at.astimezone(UTC) if at.tzinfo else at).date()
    session.execute(
        delete(DashboardDay).where(
            DashboardDay.account_id == account_id,
            DashboardDay.day >= day - timedelta(days=1),
            DashboardDay.day <= day + timedelta(days=1),
        )
    )


def count_days(
    session: Session, account_id: int, zone: ZoneInfo, listed: list[date], start: datetime, end: datetime
) -> dict[str, list[int]]:
    """Each figure per local day of `listed` (consecutive days, from `start` to `end` in UTC),
    counted from the account's rows."""
    out = {name: [0] * len(listed) for name in FIGURES}
    index = {d: i for i, d in enumerate(listed)}
    day_of_quarter: dict[int, date] = {}

    def add(name: str, day: date | None, value: Any) -> None:
        i = index.get(day) if day is not None else None
        if i is not None:
            out[name][i] += int(value or 0)

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
