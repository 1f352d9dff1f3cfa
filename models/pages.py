"""A page of a select: its rows and the total the select would give."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def page_of(session: Session, stmt: Any, page: int, per_page: int) -> tuple[list[Any], int]:
    total = int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    rows = session.execute(stmt.offset((page - 1) * per_page).limit(per_page)).all()
    return [row[0] if len(row) == 1 else tuple(row) for row in rows], total
