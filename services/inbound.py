"""The outbox of inbound callbacks: store once, replay the reply, process, sweep."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import EventStatus, InboundEvent, Scan, utcnow
from models.sql import upsert
from rules.clock import from_create_time
from rules.messages import INTERACTIONS, Inbound, valid_scene
from services import members

MAX_ATTEMPTS = 5


def record_inbound(session: Session, account_id: int, msg: Inbound) -> int | None:
    """Store the callback; return its new id, or None when this delivery was seen before."""
    stmt = (
        upsert(session, InboundEvent)
        .values(
            account_id=account_id,
            dedup_key=msg.dedup_key,
            openid=msg.openid,
            msg_type=msg.msg_type,
            event=msg.event,
            event_key=msg.event_key,
            content=msg.content,
            msg_id=msg.msg_id,
            create_time=from_create_time(msg.create_time),
            payload=msg.xml,
            status=EventStatus.PENDING.value,
            attempts=0,
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[InboundEvent.account_id, InboundEvent.dedup_key])
        .returning(InboundEvent.id)
    )
    return session.execute(stmt).scalar_one_or_none()


def first_reply(session: Session, account_id: int, msg: Inbound) -> str | None:
    """The reply the first delivery of this callback got (a retry gets the same)."""
    return session.scalar(
        select(InboundEvent.reply).where(
            InboundEvent.account_id == account_id, InboundEvent.dedup_key == msg.dedup_key
        )
    )


def save_reply(session: Session, event_id: int, reply: str | None) -> None:
    if reply is not None:
        session.execute(update(InboundEvent).where(InboundEvent.id == event_id).values(reply=reply))


def process_inbound(session: Session, event_id: int) -> str:
    """Apply what the reply did not: unfollows, scans, interaction times. Safe to run twice.

    The row is locked for the transaction; a second worker skips it, and a crash rolls
    everything back so the sweeper can hand it out again.
    """
    event = session.scalar(
        select(InboundEvent)
        .where(InboundEvent.id == event_id, InboundEvent.status == EventStatus.PENDING.value)
        .with_for_update(skip_locked=True)
    )
    if event is None:
        return "skipped"
    member_id = members.ensure_member(session, event.account_id, event.openid)
    _apply(session, event, member_id)
    event.status, event.processed_at = EventStatus.DONE.value, utcnow()
    return "done"


def _apply(session: Session, event: InboundEvent, member_id: int) -> None:
    at = event.create_time
    if event.event == "unsubscribe":
        members.unfollow(session, member_id, at)
        return
    if event.event in ("subscribe_scan", "scan") and valid_scene(event.event_key):
        _record_scan(session, event, member_id)
    is_message = event.msg_type != "event"
    if is_message or event.event in INTERACTIONS:
        members.touch(session, member_id, at, message=is_message)


def _record_scan(session: Session, event: InboundEvent, member_id: int) -> None:
    scene = event.event_key or ""
    kind = "subscribe" if event.event == "subscribe_scan" else "scan"
    stmt = upsert(session, Scan).values(
        account_id=event.account_id,
        member_id=member_id,
        event_id=event.id,
        scene=scene,
        kind=kind,
        scanned_at=event.create_time,
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=[Scan.event_id]))
    if kind == "subscribe":
        members.record_first_scene(session, member_id, scene)


def note_failure(session: Session, event_id: int, error: str) -> int:
    """Count a failed attempt; past the limit the event is parked as failed. Returns attempts."""
    event = session.get(InboundEvent, event_id)
    if event is None:
        return 0
    event.attempts += 1
    event.last_error = error[:2000]
    if event.attempts >= MAX_ATTEMPTS:
        event.status = EventStatus.FAILED.value
    return event.attempts


def claim_stale(
    session: Session, older_than: timedelta, limit: int = 500, now: datetime | None = None
) -> list[int]:
    """Ids of events stored but still unprocessed after `older_than`, skipping rows being worked on."""
    cutoff = (now or utcnow()) - older_than
    stmt = (
        select(InboundEvent.id)
        .where(InboundEvent.status == EventStatus.PENDING.value, InboundEvent.received_at < cutoff)
        .order_by(InboundEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))
