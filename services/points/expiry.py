"""Points that expire, and recomputing every balance from the ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session, aliased

from models import Account, LedgerEntry, Member, PointLot
from models.upsert import bulk_insert, one_of, table_of
from rules.clock import business_date
from services.accounts.members import Changes, apply_changes


def expire_due(session: Session, now: datetime, batch: int = 5000, after: int = 0) -> tuple[int, int | None]:
    """Expire one batch of lots past their date, the next ones by id after `after`: an entry for
    what is left, lot emptied. Returns (points expired, the last lot id claimed), the id None when
    no lot after `after` was due. A pass goes on from the last id: without it, every batch walked
    again over the lots the batches before it had emptied.

    Lots are claimed with SKIP LOCKED, so two runs share the work; each lot's entry is keyed
    by the lot, so a lot expires once however often this runs.
    """
    lots = session.execute(
        select(
            PointLot.id,
            PointLot.account_id,
            PointLot.member_id,
            PointLot.remaining,
            PointLot.expires_at,
            Account.timezone,
        )
        .join(Account, Account.id == PointLot.account_id)
        .where(PointLot.id > after, PointLot.remaining > 0, PointLot.expires_at <= now)
        .order_by(PointLot.id)
        .limit(batch)
        .with_for_update(of=PointLot, skip_locked=True)
    ).all()
    if not lots:
        return 0, None
    entries = [
        {
            "account_id": a,
            "member_id": m,
            "key": f"expire:{lot_id}",
            "delta": -left,
            "kind": "expiry",
            "action": None,
            "note": "积分过期",
            "business_date": business_date(exp or now, tz),
            "created_at": now,
        }
        for lot_id, a, m, left, exp, tz in lots
    ]
    written = bulk_insert(session, LedgerEntry, entries, ("account_id", "key"), (LedgerEntry.key,))
    keys = {key for (key,) in written}
    expired = [(lot_id, m, left) for lot_id, _, m, left, _, _ in lots if f"expire:{lot_id}" in keys]
    if expired:
        lot_ids = [lot_id for lot_id, _, _ in expired]
        session.execute(
            update(table_of(PointLot)).where(one_of(session, PointLot.id, lot_ids)).values(remaining=0)
        )
        changes = Changes()
        for _, m, left in expired:
            changes.points(m, -left, 0)
        apply_changes(session, changes)
    return sum(left for _, _, left in expired), lots[-1][0]


def rebuild_balances(session: Session, account_id: int | None = None) -> int:
    """Recompute every member's balance and points earned from the ledger, set-based; returns rows fixed.

    The cached columns are kept in step on every write; this is the audit and the repair.
    """
    earned_kinds = ("award", "reversal")
    sums = select(
        LedgerEntry.member_id.label("member_id"),
        func.sum(LedgerEntry.delta).label("balance"),
        func.sum(case((LedgerEntry.kind.in_(earned_kinds), LedgerEntry.delta), else_=0)).label("earned"),
    ).group_by(LedgerEntry.member_id)
    if account_id is not None:
        sums = sums.where(LedgerEntry.account_id == account_id)
    s = sums.subquery()
    every = aliased(Member)  # members without a single entry must hold zero: a LEFT JOIN, not a probe each
    truth = select(
        every.id.label("id"),
        func.coalesce(s.c.balance, 0).label("balance"),
        func.coalesce(s.c.earned, 0).label("earned"),
    ).outerjoin(s, s.c.member_id == every.id)
    if account_id is not None:
        truth = truth.where(every.account_id == account_id)
    t = truth.subquery()
    stmt = (
        update(table_of(Member))
        .where(Member.id == t.c.id)
        .where((Member.points_balance != t.c.balance) | (Member.points_earned != t.c.earned))
        .values(points_balance=t.c.balance, points_earned=t.c.earned)
    )
    return int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
