"""The outbox of inbound callbacks: store once with its reply, then drain in batches."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.orm import Session

from models import EventStatus, InboundEvent, Scan, utcnow
from models.fast import fast
from models.sql import insert_for, table_of, upsert
from rules.clock import from_create_time
from rules.messages import INTERACTIONS, Inbound, valid_scene
from services import members

MAX_ATTEMPTS = 5


def record_inbound(conn: Connection, account_id: int, msg: Inbound, reply: str | None) -> int | None:
    """Store the callback and the reply it gets; None when this delivery was seen before."""
    params = {
        "account_id": account_id,
        "dedup_key": msg.dedup_key,
        "openid": msg.openid,
        "msg_type": msg.msg_type,
        "event": msg.event,
        "event_key": msg.event_key,
        "content": msg.content,
        "msg_id": msg.msg_id,
        "create_time": from_create_time(msg.create_time),
        "payload": msg.xml,
        "reply": reply,
        "status": EventStatus.PENDING.value,
        "attempts": 0,
        "received_at": utcnow(),
    }
    rows = fast(conn, "record_inbound", lambda dialect: _record_stmt(dialect, params)).execute(conn, params)
    return int(rows[0][0]) if rows else None


def _record_stmt(dialect: str, params: dict[str, object]) -> object:
    return (
        insert_for(dialect, InboundEvent)
        .values({name: bindparam(name) for name in params})
        .on_conflict_do_nothing(index_elements=[InboundEvent.account_id, InboundEvent.dedup_key])
        .returning(InboundEvent.id)
    )


def first_reply(conn: Connection | Session, account_id: int, msg: Inbound) -> str | None:
    """The reply the first delivery of this callback got (a retry gets the same)."""
    return conn.execute(
        select(InboundEvent.reply).where(
            InboundEvent.account_id == account_id, InboundEvent.dedup_key == msg.dedup_key
        )
    ).scalar_one_or_none()


def claim(
    session: Session, limit: int, only: int | None = None, exclude: Collection[int] = ()
) -> list[InboundEvent]:
    """Lock up to `limit` pending events, oldest first, skipping rows another worker holds."""
    stmt = select(InboundEvent).where(InboundEvent.status == EventStatus.PENDING.value)
    if only is not None:
        stmt = stmt.where(InboundEvent.id == only)
    if exclude:
        stmt = stmt.where(InboundEvent.id.not_in(exclude))
    stmt = stmt.order_by(InboundEvent.id).limit(limit).with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def apply_batch(session: Session, events: list[InboundEvent]) -> None:
    """Apply what the replies did not, set-based: unfollows, scans, interaction times; mark done."""
    by_account: dict[int, set[str]] = defaultdict(set)
    for e in events:
        by_account[e.account_id].add(e.openid)
    member_ids = {
        (account_id, openid): member_id
        for account_id, openids in by_account.items()
        for openid, member_id in members.ensure_members(session, account_id, openids).items()
    }
    follows: list[tuple[int, datetime]] = []
    unfollows: list[tuple[int, datetime]] = []
    interactions: dict[int, datetime] = {}
    messages: dict[int, datetime] = {}
    scans: list[dict[str, object]] = []
    first_scenes: dict[int, str] = {}
    for e in events:
        member_id = member_ids[(e.account_id, e.openid)]
        at = e.create_time
        if e.event == "unsubscribe":
            unfollows.append((member_id, at))
            continue
        if e.event in ("subscribe", "subscribe_scan"):
            follows.append((member_id, at))
        if e.event in ("subscribe_scan", "scan") and valid_scene(e.event_key):
            kind = "subscribe" if e.event == "subscribe_scan" else "scan"
            scans.append(_scan_row(e, member_id, kind))
            if kind == "subscribe":
                first_scenes.setdefault(member_id, e.event_key or "")
        if e.msg_type != "event":
            messages[member_id] = max(at, messages.get(member_id, at))
        if e.msg_type != "event" or e.event in INTERACTIONS:
            interactions[member_id] = max(at, interactions.get(member_id, at))
    members.follow_many(session, follows)
    members.unfollow_many(session, unfollows)
    last: dict[int, bool] = {}  # member → was their last follow-or-unfollow here a follow?
    for e in events:  # in id order: the order WeChat delivered them
        if e.event in ("subscribe", "subscribe_scan", "unsubscribe"):
            last[member_ids[(e.account_id, e.openid)]] = e.event != "unsubscribe"
    members.settle_following(
        session, [m for m, f in last.items() if f], [m for m, f in last.items() if not f]
    )
    members.touch_many(session, interactions, messages)
    members.record_first_scenes(session, first_scenes)
    if scans:
        session.execute(upsert(session, Scan).on_conflict_do_nothing(index_elements=[Scan.event_id]), scans)
    _mark_done(session, [e.id for e in events])


def _scan_row(e: InboundEvent, member_id: int, kind: str) -> dict[str, object]:
    return {
        "account_id": e.account_id,
        "member_id": member_id,
        "event_id": e.id,
        "scene": e.event_key,
        "kind": kind,
        "scanned_at": e.create_time,
    }


def _mark_done(session: Session, ids: list[int]) -> None:
    session.execute(
        update(table_of(InboundEvent))
        .where(InboundEvent.id.in_(ids))
        .values(status=EventStatus.DONE.value, processed_at=utcnow())
    )


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


def pending_ids(session: Session, limit: int, exclude: Collection[int] = ()) -> list[int]:
    stmt = (
        select(InboundEvent.id)
        .where(InboundEvent.status == EventStatus.PENDING.value, InboundEvent.id.not_in(exclude))
        .order_by(InboundEvent.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def count_stale(session: Session, older_than: timedelta, now: datetime | None = None) -> int:
    """How many events wait unprocessed for longer than `older_than` (a drain was lost)."""
    cutoff = (now or utcnow()) - older_than
    stmt = select(func.count()).where(
        InboundEvent.status == EventStatus.PENDING.value, InboundEvent.received_at < cutoff
    )
    return int(session.scalar(stmt) or 0)
