"""Poster requests (邀请 answered with 「海报生成中」): recorded by the drain, claimed by the job that
makes and sends the poster, settled once; the sweeper queues again those a lost job left open."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models import PosterRequest
from models.upsert import bulk_insert

CLAIM = timedelta(minutes=2)  # a job holding a request this long died: another may take it
GIVE_UP = timedelta(days=1)  # older open requests are not sent any more (the chat moved on)


def record(session: Session, requests: list[tuple[int, int]], now: datetime) -> None:
    """(event id, account id) of each request, in the drain's transaction; a replayed batch adds none."""
    rows = [{"event_id": e, "account_id": a, "requested_at": now} for e, a in requests]
    bulk_insert(session, PosterRequest, rows, conflict=("event_id",))


def claim(session: Session, event_id: int, now: datetime) -> bool:
    """Take the request up for making and sending; False when it is settled or another job holds it."""
    taken = session.execute(
        update(PosterRequest)
        .where(
            PosterRequest.event_id == event_id,
            PosterRequest.settled_at.is_(None),
            or_(PosterRequest.claimed_at.is_(None), PosterRequest.claimed_at < now - CLAIM),
        )
        .values(claimed_at=now)
    )
    return bool(getattr(taken, "rowcount", 0))


def release(session: Session, event_id: int) -> None:
    """Let the request go unsettled (a temporary failure: the job's retry claims it again)."""
    session.execute(update(PosterRequest).where(PosterRequest.event_id == event_id).values(claimed_at=None))


def settle(session: Session, event_id: int, now: datetime, outcome: str) -> None:
    session.execute(
        update(PosterRequest)
        .where(PosterRequest.event_id == event_id)
        .values(settled_at=now, claimed_at=None, outcome=outcome[:200])
    )


def unsettled(session: Session, now: datetime, grace: timedelta, limit: int = 500) -> list[int]:
    """Open requests older than `grace` (and younger than GIVE_UP) that no job holds."""
    return list(
        session.scalars(
            select(PosterRequest.event_id)
            .where(
                PosterRequest.settled_at.is_(None),
                PosterRequest.requested_at < now - grace,
                PosterRequest.requested_at > now - GIVE_UP,
                or_(PosterRequest.claimed_at.is_(None), PosterRequest.claimed_at < now - CLAIM),
            )
            .order_by(PosterRequest.requested_at)
            .limit(limit)
        )
    )
