"""The dashboard's figures: what happened today and over the last 7 and 30 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from models import Campaign, Checkin, LedgerEntry, Member, Order, Referral

PERIODS = (("today", 1), ("7d", 7), ("30d", 30))


@dataclass(frozen=True)
class Totals:
    follows: int
    checkins: int
    points_issued: int
    points_spent: int
    orders: int
    revenue_fen: int
    referrals: int


def _since(now: datetime, tz: str, days: int) -> datetime:
    today = now.astimezone(ZoneInfo(tz)).date()
    return datetime.combine(today - timedelta(days=days - 1), time(), ZoneInfo(tz))


def totals(session: Session, account_id: int, tz: str, now: datetime) -> dict[str, Totals]:
    """Per period (today, 7d, 30d): follows, check-ins, points issued and spent, orders and revenue,
    referrals."""
    out = {}
    for name, days in PERIODS:
        since = _since(now, tz, days)
        issued = session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
                LedgerEntry.account_id == account_id, LedgerEntry.created_at >= since, LedgerEntry.delta > 0
            )
        )
        spent = session.scalar(
            select(func.coalesce(func.sum(-LedgerEntry.delta), 0)).where(
                LedgerEntry.account_id == account_id, LedgerEntry.created_at >= since, LedgerEntry.delta < 0
            )
        )
        orders, revenue = session.execute(
            select(func.count(), func.coalesce(func.sum(Order.amount_fen), 0)).where(
                Order.account_id == account_id, Order.paid_at >= since
            )
        ).one()
        out[name] = Totals(
            follows=_count(session, Member.account_id == account_id, Member.first_followed_at >= since),
            checkins=_count(session, Checkin.account_id == account_id, Checkin.created_at >= since),
            points_issued=int(issued or 0),
            points_spent=int(spent or 0),
            orders=int(orders),
            revenue_fen=int(revenue),
            referrals=_count(session, Referral.account_id == account_id, Referral.bound_at >= since),
        )
    return out


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).where(*where)) or 0)


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
