"""The points ledger: awards, spends, reversals and expiry, exactly once by key, balances in step."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from models import LedgerEntry, Member, PointLot
from models.upsert import bulk_insert, one_of, table_of
from rules.points.lots import Lot, consume, take_back
from services.accounts.members import Changes

KEY = ("account_id", "key")


class Credit(NamedTuple):  # a tuple: thousands are made per batch
    """Points to add: one ledger entry and the lot they live in."""

    account_id: int
    member_id: int
    key: str
    points: int
    action: str
    business_date: date
    earned_at: datetime
    expires_at: datetime | None
    hold_days: int = 0
    note: str | None = None
    counts_for_tier: bool = True  # awards count toward tiers (points_earned); nothing else does


def credit(session: Session, credits: list[Credit], changes: Changes | None = None) -> list[Credit]:
    """Insert the credits whose keys are new, their lots and the balances; returns those inserted.

    A key already in the ledger is skipped, so a retried batch or a second worker changes nothing.
    With `changes` the balance moves are collected there (the drain writes each member once).
    """
    if not credits:
        return []
    returning = (LedgerEntry.id, LedgerEntry.key)
    rows = [_entry_row(c) for c in credits]
    written = bulk_insert(session, LedgerEntry, rows, KEY, returning)
    inserted = {key: entry_id for entry_id, key in written}
    done = [c for c in credits if c.key in inserted]
    if done:
        bulk_insert(session, PointLot, [_lot_row(c, inserted[c.key]) for c in done])
        moves = [(c.member_id, c.points, c.points if c.counts_for_tier else 0) for c in done]
        if changes is None:
            _add_to_balances(session, moves)
        else:
            for member_id, balance, earned in moves:
                changes.points(member_id, balance, earned)
    return done


def _entry_row(c: Credit) -> dict[str, Any]:
    return {
        "account_id": c.account_id,
        "member_id": c.member_id,
        "key": c.key,
        "delta": c.points,
        "kind": "award",
        "action": c.action,
        "note": c.note,
        "business_date": c.business_date,
        "created_at": c.earned_at,
    }


def _lot_row(c: Credit, entry_id: int) -> dict[str, Any]:
    return {
        "account_id": c.account_id,
        "member_id": c.member_id,
        "entry_id": entry_id,
        "points": c.points,
        "remaining": c.points,
        "earned_at": c.earned_at,
        "available_at": c.earned_at + timedelta(days=c.hold_days),
        "expires_at": c.expires_at,
    }


def _add_to_balances(session: Session, changes: Iterable[tuple[int, int, int]]) -> None:
    """(member, balance delta, earned delta) → one UPDATE per member, summed first."""
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for member_id, balance, earned in changes:
        totals[member_id][0] += balance
        totals[member_id][1] += earned
    stmt = (
        update(table_of(Member))
        .where(Member.id == bindparam("member_id"))
        .values(
            points_balance=Member.points_balance + bindparam("balance"),
            points_earned=Member.points_earned + bindparam("earned"),
        )
    )
    session.execute(
        stmt, [{"member_id": m, "balance": b, "earned": e} for m, (b, e) in sorted(totals.items())]
    )


def open_lots(session: Session, member_id: int) -> list[Lot]:
    rows = session.execute(
        select(
            PointLot.id, PointLot.remaining, PointLot.earned_at, PointLot.available_at, PointLot.expires_at
        )
        .where(PointLot.member_id == member_id, PointLot.remaining > 0)
        .with_for_update()
    )
    return [Lot(*row) for row in rows]


def debit(
    session: Session,
    account_id: int,
    member_id: int,
    points: int,
    key: str,
    kind: str,
    day: date,
    now: datetime,
    note: str | None = None,
) -> bool:
    """Spend `points` oldest-first (NotEnoughPoints if short); False if `key` was already spent.

    The member row is locked first, so two spends of the same member queue up.
    """
    lock_member(session, member_id)
    if entry_exists(session, account_id, key):
        return False
    plan = consume(open_lots(session, member_id), points, now)
    _reduce_lots(session, plan)
    _write_debit(session, account_id, member_id, -points, key, kind, day, now, note)
    _add_to_balances(session, [(member_id, -points, 0)])
    return True


def reverse(
    session: Session,
    account_id: int,
    member_id: int,
    points: int,
    key: str,
    own_lot_key: str,
    day: date,
    now: datetime,
    note: str | None = None,
) -> int:
    """Take back `points` an award gave (a refund), from its own lot first; returns the debt left.

    What the member already spent elsewhere cannot be taken from lots: the balance goes below
    the lots by that much (a debt), and the entry still records the whole reversal.
    """
    lock_member(session, member_id)
    if points <= 0 or entry_exists(session, account_id, key):
        return 0
    own = session.scalar(
        select(PointLot.id)
        .join(LedgerEntry, LedgerEntry.id == PointLot.entry_id)
        .where(LedgerEntry.account_id == account_id, LedgerEntry.key == own_lot_key)
    )
    plan, debt = take_back(open_lots(session, member_id), points, own, now)
    _reduce_lots(session, plan)
    _write_debit(session, account_id, member_id, -points, key, "reversal", day, now, note)
    _add_to_balances(session, [(member_id, -points, -points)])
    return debt


def _reduce_lots(session: Session, plan: list[tuple[int, int]]) -> None:
    if plan:
        stmt = update(table_of(PointLot)).where(PointLot.id == bindparam("lot_id"))
        session.execute(
            stmt.values(remaining=PointLot.remaining - bindparam("take")),
            [{"lot_id": lot_id, "take": take} for lot_id, take in plan],
        )


def _write_debit(
    session: Session,
    account_id: int,
    member_id: int,
    delta: int,
    key: str,
    kind: str,
    day: date,
    now: datetime,
    note: str | None,
) -> None:
    session.add(
        LedgerEntry(
            account_id=account_id,
            member_id=member_id,
            key=key,
            delta=delta,
            kind=kind,
            business_date=day,
            created_at=now,
            note=note,
        )
    )
    session.flush()


def lock_member(session: Session, member_id: int) -> None:
    session.execute(select(Member.id).where(Member.id == member_id).with_for_update())


def entry_exists(session: Session, account_id: int, key: str) -> bool:
    found = session.scalar(
        select(LedgerEntry.id).where(LedgerEntry.account_id == account_id, LedgerEntry.key == key)
    )
    return found is not None


def entry_points(session: Session, account_id: int, key: str) -> int:
    return int(
        session.scalar(
            select(LedgerEntry.delta).where(LedgerEntry.account_id == account_id, LedgerEntry.key == key)
        )
        or 0
    )


def award_counts(
    session: Session,
    account_id: int,
    daily: dict[str, set[int]],
    lifetime: dict[str, set[int]],
    since: date,
) -> tuple[dict[tuple[int, str], dict[date, int]], dict[tuple[int, str], int]]:
    """What caps count, only for the actions and members that need it: awards per (member, action)
    per day since `since` (daily and weekly caps), and ever (lifetime caps, first time only)."""
    per_day: dict[tuple[int, str], dict[date, int]] = {}
    for action, members in daily.items():
        stmt = (
            select(LedgerEntry.member_id, LedgerEntry.business_date, func.count())
            .where(
                LedgerEntry.account_id == account_id,
                LedgerEntry.kind == "award",
                LedgerEntry.action == action,
                one_of(session, LedgerEntry.member_id, sorted(members)),
                LedgerEntry.business_date >= since,
            )
            .group_by(LedgerEntry.member_id, LedgerEntry.business_date)
        )
        for member_id, day, n in session.execute(stmt):
            per_day.setdefault((int(member_id), action), {})[day] = int(n)
    ever: dict[tuple[int, str], int] = {}
    for action, members in lifetime.items():
        ever_stmt = (
            select(LedgerEntry.member_id, func.count())
            .where(
                LedgerEntry.account_id == account_id,
                LedgerEntry.kind == "award",
                LedgerEntry.action == action,
                one_of(session, LedgerEntry.member_id, sorted(members)),
            )
            .group_by(LedgerEntry.member_id)
        )
        ever.update({(int(member_id), action): int(n) for member_id, n in session.execute(ever_stmt)})
    return per_day, ever


REFERRAL_ACTIONS = ("referral", "referral_ladder")  # what inviting friends earns a member


def earned_by_referrals(session: Session, member_id: int) -> int:
    """The points a member's invitations have earned them so far (rewards and ladder bonuses)."""
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(
            LedgerEntry.member_id == member_id, LedgerEntry.action.in_(REFERRAL_ACTIONS)
        )
    )
    return int(total or 0)
