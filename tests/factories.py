"""Small helpers for arranging and reading rows in tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import InboundEvent, Member


def count(session: Session, model: Any, *where: Any) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def member(session: Session, openid: str) -> Member | None:
    session.expire_all()
    return session.scalar(select(Member).where(Member.openid == openid))


def events(session: Session) -> list[InboundEvent]:
    session.expire_all()
    return list(session.scalars(select(InboundEvent).order_by(InboundEvent.id)))


def ledger_of(session: Session, openid: str) -> list[Any]:
    """(key, delta, kind) of a member's ledger entries, oldest first."""
    from models import LedgerEntry

    session.expire_all()
    m = member(session, openid)
    if m is None:
        return []
    rows = session.scalars(select(LedgerEntry).where(LedgerEntry.member_id == m.id).order_by(LedgerEntry.id))
    return [(e.key.split(":")[0], e.delta, e.kind) for e in rows]


def shanghai(day_offset: int = 0, hour: int = 10, minute: int = 0) -> int:
    """A CreateTime `day_offset` days from today at this local time in Asia/Shanghai; today's, never
    in the future (a check-in from the future would be points not yet earned)."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    now = datetime.now(tz)
    moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0) + timedelta(days=day_offset)
    if moment > now and moment.date() == now.date():  # today's hour is still ahead (a run after
        moment = now.replace(microsecond=0)  # midnight in Shanghai): now, the same business day
    return int(moment.timestamp())
