"""Service notices (template messages) about tier changes: what to send, and marking it sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models import Account, Member, Programme, TierChange, TierRow
from rules.inbound import replies


@dataclass(frozen=True)
class Notice:
    change_id: int
    account_id: int
    appid: str
    secret: str | None
    openid: str
    template_id: str | None
    data: dict[str, dict[str, str]]


def pending_notice(session: Session, change_id: int) -> Notice | None:
    """The template message for a tier change not yet announced; None once it was (or cannot be)."""
    row = session.execute(
        select(TierChange, Member.openid, Account, Programme.tier_template_id)
        .join(Member, Member.id == TierChange.member_id)
        .join(Account, Account.id == TierChange.account_id)
        .join(Programme, Programme.account_id == TierChange.account_id)
        .where(
            TierChange.id == change_id, TierChange.notified_at.is_(None), TierChange.notify_error.is_(None)
        )
    ).first()
    if row is None:
        return None
    change, openid, account, template_id = row
    name = session.scalar(
        select(TierRow.name).where(TierRow.account_id == account.id, TierRow.code == change.to_code)
    )
    when = change.changed_at.astimezone(ZoneInfo(account.timezone)).strftime("%Y-%m-%d %H:%M")
    data = {
        "first": {"value": replies.tier_changed(name or "普通会员", change.reason == "upgrade")},
        "keyword1": {"value": name or "普通会员"},
        "keyword2": {"value": when},
        "remark": {"value": "点击查看会员权益"},
    }
    return Notice(change.id, account.id, account.appid, account.secret, openid, template_id, data)


CLAIM = timedelta(minutes=2)  # a job holding a notice this long died: another may send it


def claim(session: Session, change_id: int, now: datetime) -> bool:
    """Take the notice up for sending; False when it was sent, refused, or another job holds it
    (the sweeper's job and the first one never both send)."""
    taken = session.execute(
        update(TierChange)
        .where(
            TierChange.id == change_id,
            TierChange.notified_at.is_(None),
            TierChange.notify_error.is_(None),
            or_(TierChange.notice_claimed_at.is_(None), TierChange.notice_claimed_at < now - CLAIM),
        )
        .values(notice_claimed_at=now)
    )
    return bool(getattr(taken, "rowcount", 0))


def release(session: Session, change_id: int) -> None:
    """A temporary failure: the job's retry (or the sweeper) claims it again."""
    session.execute(update(TierChange).where(TierChange.id == change_id).values(notice_claimed_at=None))


def mark(session: Session, change_id: int, now: datetime, note: str | None = None, sent: bool = True) -> None:
    """Settle the notice: sent (`note`: a send WeChat did not confirm), or refused (`note`: why)."""
    change = session.get(TierChange, change_id)
    if change is not None:
        change.notice_claimed_at = None
        change.notified_at = now if sent else None
        change.notify_error = None if note is None else note[:200]


def unannounced(session: Session, older_than: datetime, limit: int = 500) -> list[int]:
    stmt = (
        select(TierChange.id)
        .where(
            TierChange.notified_at.is_(None),
            TierChange.notify_error.is_(None),
            TierChange.changed_at < older_than,
            or_(TierChange.notice_claimed_at.is_(None), TierChange.notice_claimed_at < older_than),
        )
        .order_by(TierChange.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))
