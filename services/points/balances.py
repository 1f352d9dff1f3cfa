"""A member's points as they see them: balance, points still on hold, points about to expire, history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import LedgerEntry, Member, PointLot
from rules.points.tiers import Tier, next_tier, tier_for
from services.points.programme import ProgrammeConfig

SOON = timedelta(days=30)


@dataclass(frozen=True)
class Statement:
    member_id: int | None
    balance: int
    pending: int  # on hold (a purchase that might still be refunded): not yet spendable
    expiring: tuple[int, date] | None  # (points, first day they expire) within 30 days
    earned: int
    tier: Tier | None
    next: tuple[Tier, int] | None

    @property
    def available(self) -> int:
        return max(self.balance - self.pending, 0)


def statement(
    session: Session, account_id: int, openid: str, tiers: list[Tier], basis: str, tz: str, now: datetime
) -> Statement:
    member = session.scalar(select(Member).where(Member.account_id == account_id, Member.openid == openid))
    if member is None:
        return Statement(None, 0, 0, None, 0, tier_for(0, tiers), next_tier(0, tiers))
    value = member.spend_fen // 100 if basis == "spend" else member.points_earned
    tier = next((t for t in tiers if t.code == member.tier_code), None) or tier_for(value, tiers)
    return Statement(
        member.id,
        member.points_balance,
        _pending(session, member.id, now),
        _expiring(session, member.id, now, tz),
        member.points_earned,
        tier,
        next_tier(value, tiers),
    )


def statement_under(session: Session, prog: ProgrammeConfig, openid: str, now: datetime) -> Statement:
    """`statement` for a member of the programme's account, with the programme's tiers and clock."""
    return statement(session, prog.account_id, openid, prog.tiers, prog.tier_basis, prog.timezone, now)


def _pending(session: Session, member_id: int, now: datetime) -> int:
    stmt = select(func.coalesce(func.sum(PointLot.remaining), 0)).where(
        PointLot.member_id == member_id, PointLot.remaining > 0, PointLot.available_at > now
    )
    return int(session.scalar(stmt) or 0)


def _expiring(session: Session, member_id: int, now: datetime, tz: str) -> tuple[int, date] | None:
    stmt = select(func.coalesce(func.sum(PointLot.remaining), 0), func.min(PointLot.expires_at)).where(
        PointLot.member_id == member_id,
        PointLot.remaining > 0,
        PointLot.expires_at > now,
        PointLot.expires_at <= now + SOON,
    )
    points, first = session.execute(stmt).one()
    if not points or first is None:
        return None
    first = first if first.tzinfo else first.replace(tzinfo=ZoneInfo("UTC"))
    return int(points), first.astimezone(ZoneInfo(tz)).date()


def history(
    session: Session, member_id: int, page: int = 1, per_page: int = 20, sign: int = 0, by_time: bool = False
) -> tuple[list[LedgerEntry], int]:
    """One page of the member's ledger, newest first (as written, or by when each happened: a
    purchase is dated when it was paid), and how many entries there are in all; only what came in
    (`sign` 1) or went out (-1) when asked."""
    where = [LedgerEntry.member_id == member_id]
    if sign:
        where.append(LedgerEntry.delta > 0 if sign > 0 else LedgerEntry.delta < 0)
    total = int(session.scalar(select(func.count()).where(*where)) or 0)
    rows = session.scalars(
        select(LedgerEntry)
        .where(*where)
        .order_by(*((LedgerEntry.created_at.desc(),) if by_time else ()), LedgerEntry.id.desc())
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    )
    return list(rows), total
