"""The outbox of inbound callbacks: store once with its reply, then drain in batches."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, or_, select
from sqlalchemy.orm import Session

from models import EventStatus, InboundEvent, Scan, utcnow
from models.upsert import bulk_update, insert_for, one_of, upsert
from models.webhook_statements import fast
from rules.clock import from_create_time
from rules.inbound.lifecycle import Happened, ScanRecord, plan_lifecycle
from rules.inbound.messages import API, Inbound
from rules.referrals.referrals import is_invite
from services.accounts import members
from services.campaigns import delivery
from services.inbound import awards
from services.inbound.awards import AwardOutcome
from services.referrals import attribution as referrals
from services.referrals import poster_requests

MAX_ATTEMPTS = 5
MASS_FINISHED = "masssendjobfinish"
SYSTEM_EVENTS = frozenset({MASS_FINISHED, "templatesendjobfinish"})  # from WeChat, not from a member


class QueryTaken(Exception):
    """A signed query string that already carried another message (a replay, not WeChat retrying)."""


def record_inbound(
    conn: Connection,
    account_id: int,
    msg: Inbound,
    reply: str | None,
    query_key: str | None = None,
    request_id: str | None = None,
) -> int | None:
    """Store the callback and the reply it gets (and the id of the request that brought it); None
    when this delivery was seen before, or when `query_key` (a plaintext callback's signed query
    string) is already held: `first_reply` tells."""
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
        "query_key": query_key,
        "request_id": request_id,
    }
    rows = fast(conn, "record_inbound", lambda dialect: _record_stmt(dialect, params)).execute(conn, params)
    return int(rows[0][0]) if rows else None


def _record_stmt(dialect: str, params: dict[str, object]) -> object:
    return (
        insert_for(dialect, InboundEvent)
        .values({name: bindparam(name) for name in params})
        .on_conflict_do_nothing()  # either unique index: (account, dedup key) or (account, query key)
        .returning(InboundEvent.id)
    )


def first_reply(
    conn: Connection | Session, account_id: int, msg: Inbound, query_key: str | None = None
) -> str | None:
    """The reply the first delivery of this callback got (a retry gets the same, under any query
    string). Raises QueryTaken when `query_key` is held by another message."""
    found = InboundEvent.dedup_key == msg.dedup_key
    if query_key is not None:
        found = or_(found, InboundEvent.query_key == query_key)
    rows = conn.execute(
        select(InboundEvent.dedup_key, InboundEvent.reply).where(InboundEvent.account_id == account_id, found)
    ).all()
    if any(key != msg.dedup_key for key, _ in rows):
        raise QueryTaken("this signed query string already carried another message")
    return next((reply for key, reply in rows if key == msg.dedup_key), None)


CLAIMED = (
    InboundEvent.id,
    InboundEvent.account_id,
    InboundEvent.dedup_key,
    InboundEvent.openid,
    InboundEvent.msg_type,
    InboundEvent.event,
    InboundEvent.event_key,
    InboundEvent.content,
    InboundEvent.create_time,
    InboundEvent.request_id,
)


def claim(session: Session, limit: int, only: int | None = None, exclude: Collection[int] = ()) -> list[Any]:
    """Lock up to `limit` pending events, oldest first, skipping rows another worker holds.

    Plain rows with the columns the drain reads (attribute access like the model's): building
    a thousand ORM objects per batch cost more than the batch's statements.
    """
    stmt = select(*CLAIMED).where(InboundEvent.status == EventStatus.PENDING.value)
    if only is not None:
        stmt = stmt.where(InboundEvent.id == only)
    if exclude:
        stmt = stmt.where(InboundEvent.id.not_in(exclude))
    stmt = stmt.order_by(InboundEvent.id).limit(limit).with_for_update(skip_locked=True)
    return list(session.execute(stmt).all())


MassReportReader = Callable[[str], "tuple[int, dict[str, Any]] | None"]  # wechat.events.mass_job_report


def apply_batch(session: Session, claimed: list[InboundEvent], read_report: MassReportReader) -> AwardOutcome:
    """Apply what the replies did not, set-based: follows, unfollows, scans, interaction times, points.
    WeChat's mass-send reports are read by `read_report` (the XML is the wechat package's to parse).

    Events of members another drain is working on are left pending for a later batch
    (`outcome.deferred`); everything else is applied and marked done.
    """
    reports = [e for e in claimed if e.event in SYSTEM_EVENTS]
    if reports:  # WeChat's own reports about sends: no member behind them
        finished = [e.id for e in reports if e.event == MASS_FINISHED]
        delivery.mass_reports(session, _reports(session, finished, read_report))
        _mark_done(session, [e.id for e in reports])
        claimed = [e for e in claimed if e.event not in SYSTEM_EVENTS]
        if not claimed:
            return AwardOutcome()
    member_ids = _member_ids(session, claimed)
    events = [e for e in claimed if (e.account_id, e.openid) in member_ids]
    if not events:
        return AwardOutcome(deferred=len(claimed))
    batch = [
        Happened(e.id, member_ids[(e.account_id, e.openid)], e.msg_type, e.event, e.event_key, e.create_time)
        for e in events
    ]
    plan = plan_lifecycle(batch)
    account_of = {e.id: e.account_id for e in events}
    before = referrals.priors(session, {s.member_id for s in plan.scans if s.kind == "subscribe"})
    members.follow_many(session, plan.follows)
    members.unfollow_many(session, plan.unfollows)
    members.settle_following(session, plan.followed_last, plan.unfollowed_last)
    members.retag_returning(session, plan.followed_any)
    members.record_first_scenes(session, plan.first_scenes)
    attribution = referrals.attribute(session, plan.scans, account_of, before)
    _record_scans(session, plan.scans, account_of, attribution.outcomes)
    members.open_windows(session, plan.messages, plan.window_events)
    changes = members.Changes()
    changes.touch(plan.interactions, plan.messages)
    outcome = awards.award_batch(session, events, member_ids, utcnow(), changes, attribution.earnings)
    _mark_done(session, [e.id for e in events], [member_ids[(e.account_id, e.openid)] for e in events])
    asked = [e for e in events if is_invite(e.msg_type, e.event, e.event_key, e.content)]
    poster_requests.record(session, [(e.id, e.account_id) for e in asked], utcnow())
    outcome.posters = [e.id for e in asked]
    outcome.deferred = len(claimed) - len(events)
    return outcome


def _reports(
    session: Session, ids: list[int], read_report: MassReportReader
) -> list[tuple[int, int, dict[str, Any]]]:
    """The mass-send reports among the stored callbacks: (account id, msg_id, result)."""
    if not ids:
        return []
    rows = session.execute(
        select(InboundEvent.account_id, InboundEvent.payload).where(one_of(session, InboundEvent.id, ids))
    )
    reports = []
    for account_id, payload in rows:
        report = read_report(str(payload or ""))
        if report is not None:
            reports.append((int(account_id), *report))
    return reports


def _member_ids(session: Session, events: list[InboundEvent]) -> dict[tuple[int, str], int]:
    """The senders' member ids, locked for this batch, created for openids never seen."""
    by_account: dict[int, set[str]] = defaultdict(set)
    for e in events:
        by_account[e.account_id].add(e.openid)
    return {
        (account_id, openid): member_id
        for account_id, openids in by_account.items()
        for openid, member_id in members.lock_members(session, account_id, openids).items()
    }


def _record_scans(
    session: Session, scans: list[ScanRecord], account_of: dict[int, int], outcomes: dict[int, str]
) -> None:
    if not scans:
        return
    rows = [
        {
            "account_id": account_of[s.event_id],
            "member_id": s.member_id,
            "event_id": s.event_id,
            "scene": s.scene,
            "kind": s.kind,
            "scanned_at": s.at,
            "outcome": outcomes.get(s.event_id),
        }
        for s in scans
    ]
    session.execute(upsert(session, Scan).on_conflict_do_nothing(index_elements=[Scan.event_id]), rows)


def _mark_done(session: Session, ids: list[int], member_ids: list[int | None] | None = None) -> None:
    """Events done, each with the member it was applied to (scoring finds the members by it)."""
    now, members_of = utcnow(), member_ids or [None] * len(ids)
    rows = [{"id": i, "member_id": m, "processed_at": now} for i, m in zip(ids, members_of, strict=True)]
    bulk_update(session, InboundEvent, rows, _done)


def _done(src: Any) -> dict[str, Any]:
    done = EventStatus.DONE.value
    return {"status": done, "processed_at": src["processed_at"], "member_id": src["member_id"]}


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


def fit_key(key: str, size: int = 64) -> str:
    """A dedup key that fits its column: long keys are hashed, never cut (two could share a prefix)."""
    if len(key) <= size:
        return key
    return key[: size - 41] + ":" + hashlib.sha1(key.encode()).hexdigest()


def record_api_event(
    session: Session,
    account_id: int,
    openid: str,
    event: str,
    key: str | None,
    dedup_key: str,
    payload: dict[str, object],
    at: datetime,
) -> int | None:
    """Put something the merchant API or an H5 page did in the outbox; None if this dedup key was seen."""
    stmt = upsert(session, InboundEvent).values(
        account_id=account_id,
        dedup_key=fit_key(dedup_key),
        openid=openid,
        msg_type=API,
        event=event,
        event_key=key,
        create_time=at,
        payload=json.dumps(payload, ensure_ascii=False, default=str),
        status=EventStatus.PENDING.value,
        attempts=0,
        received_at=utcnow(),
    )
    stmt = stmt.on_conflict_do_nothing(index_elements=[InboundEvent.account_id, InboundEvent.dedup_key])
    return session.execute(stmt.returning(InboundEvent.id)).scalar_one_or_none()


def oldest_pending(session: Session) -> datetime | None:
    """When the oldest callback still waiting was received (the pending index's first row)."""
    stmt = (
        select(InboundEvent.received_at)
        .where(InboundEvent.status == EventStatus.PENDING.value)
        .order_by(InboundEvent.id)
        .limit(1)
    )
    found: datetime | None = session.scalar(stmt)
    return found
