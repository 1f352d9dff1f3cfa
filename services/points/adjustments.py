"""A merchant's manual points adjustment: one ledger entry per form (its one-time key), never below zero."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LedgerEntry, Member
from rules.points.lots import NotEnoughPoints, expires_at
from services.points import ledger
from services.points.programme import ProgrammeConfig

ACTION = "manual"  # the ledger's action for a manual award
KIND = "adjustment"  # the ledger's kind for a manual deduction
MAX_POINTS = 1_000_000


class BelowZero(ValueError):
    """The deduction would leave the member with fewer than no points (or spend points on hold)."""

    def __init__(self, wanted: int, available: int) -> None:
        super().__init__(f"wanted {wanted} points, {available} available")
        self.wanted, self.available = wanted, available


@dataclass(frozen=True)
class Adjusted:
    entry: LedgerEntry
    new: bool  # False: this form was submitted before; nothing changed


def adjust(
    session: Session,
    prog: ProgrammeConfig,
    member_id: int,
    points: int,
    reason: str,
    form_key: str,
    now: datetime,
) -> Adjusted:
    """Add (points > 0) or take away (points < 0) points once per `form_key`, with the reason as the
    entry's note. An award lives in a lot under the programme's expiry and does not count toward
    tiers (a correction, not something earned); a deduction spends oldest-first and never leaves a
    negative balance (BelowZero)."""
    if points == 0 or abs(points) > MAX_POINTS:
        raise ValueError(f"points must be a non-zero whole number within ±{MAX_POINTS}")
    account_id, key = prog.account_id, f"adjust:{form_key}"
    day = now.astimezone(ZoneInfo(prog.timezone)).date()
    ledger.lock_member(session, member_id)
    found = session.scalar(
        select(LedgerEntry).where(LedgerEntry.account_id == account_id, LedgerEntry.key == key)
    )
    if found is not None:
        return Adjusted(found, False)
    if points > 0:
        credit = ledger.Credit(
            account_id,
            member_id,
            key,
            points,
            ACTION,
            day,
            now,
            expires_at(now, prog.expiry, prog.timezone),
            note=reason,
            counts_for_tier=False,
        )
        ledger.credit(session, [credit])
    else:
        balance = session.scalar(select(Member.points_balance).where(Member.id == member_id)) or 0
        if balance + points < 0:
            raise BelowZero(-points, max(balance, 0))
        try:
            ledger.debit(session, account_id, member_id, -points, key, KIND, day, now, note=reason)
        except NotEnoughPoints as exc:
            raise BelowZero(exc.wanted, exc.available) from None
    entry = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.account_id == account_id, LedgerEntry.key == key)
        .execution_options(populate_existing=True)
    ).one()
    return Adjusted(entry, True)
