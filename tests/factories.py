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
