"""The audit log: every change made through the API or the console, written in the transaction of the
change — who, what, which record, each changed row before and after, when, from which address."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from models import AuditEntry


@dataclass
class Diff:
    """The rows a transaction added, changed or removed through the ORM, by `table:id`."""

    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


def _plain(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):  # an uploaded image: its size, not its contents
        return f"{len(value)} bytes"
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


SECRET = {"password_hash", "token_hash", "invite_hash", "secret", "aes_key", "token"}


def _key(obj: object) -> str:
    state = inspect(obj)
    return f"{state.mapper.local_table.name}:{':'.join(str(k) for k in state.identity or ())}"


def _values(obj: object) -> dict[str, object]:
    state = inspect(obj)
    return {
        a.key: "***" if a.key in SECRET else _plain(a.value)
        for a in state.attrs
        if a.key in state.mapper.columns
    }


def watch(session: Session) -> Diff:
    """Collect what the session's flushes change from now on (AuditEntry rows themselves aside)."""
    diff = Diff()

    def after_flush(s: Session, _: object) -> None:
        for obj in s.new:
            if not isinstance(obj, AuditEntry):
                diff.after[_key(obj)] = _values(obj)
        for obj in s.deleted:
            diff.before[_key(obj)] = _values(obj)
        for obj in s.dirty:
            _changed(obj, diff)

    event.listen(session, "after_flush", after_flush)
    return diff


def _changed(obj: object, diff: Diff) -> None:
    state, key = inspect(obj), _key(obj)
    for attr in state.attrs:
        if attr.key not in state.mapper.columns:
            continue
        history = attr.history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if attr.key in SECRET:
            old, new = "***", "***"
        diff.before.setdefault(key, {}).setdefault(attr.key, _plain(old))
        diff.after.setdefault(key, {})[attr.key] = _plain(new)


@dataclass(frozen=True)
class Actor:
    """Who made a change: a staff member, a token, or the operator's admin token."""

    name: str
    kind: str  # staff | token | admin
    address: str | None = None


def record(
    session: Session,
    account_id: int,
    actor: Actor,
    action: str,
    target: str,
    diff: Diff,
    request: dict[str, Any] | None,
    now: datetime,
) -> AuditEntry:
    """One entry for one change; what the ORM did not see (set-based writes) is told by the request."""
    after = dict(diff.after)
    if request:
        after["request"] = _plain(request)
    entry = AuditEntry(
        account_id=account_id,
        actor=actor.name[:60],
        actor_kind=actor.kind,
        action=action[:60],
        record=target[:200],
        before=diff.before,
        after=after,
        address=actor.address,
        at=now,
    )
    session.add(entry)
    session.flush()
    return entry


def entries(
    session: Session,
    account_id: int,
    *,
    actor: str | None = None,
    action: str | None = None,
    record_prefix: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """The newest entries first, filtered; `before_id` pages back (a cursor)."""
    stmt = select(AuditEntry).where(AuditEntry.account_id == account_id)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if record_prefix:
        stmt = stmt.where(AuditEntry.record.startswith(record_prefix, autoescape=True))
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    return list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)))
