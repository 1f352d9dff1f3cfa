"""Tiers in the database: immediate upgrades after awards, the periodic review with grace."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Member, TierChange
from rules.tiers import Tier, rank, review_tier, tier_for
from services.programme import ProgrammeConfig


def qualifying(member: Member, basis: str) -> int:
    """What tiers count: points earned (awards minus reversals), or spend in whole yuan."""
    return member.spend_fen // 100 if basis == "spend" else member.points_earned


def upgrade(session: Session, prog: ProgrammeConfig, member_ids: Iterable[int], now: datetime) -> list[int]:
    """Move members up at once when they cross a threshold; returns the tier changes to announce."""
    changes = []
    for member in _members(session, member_ids):
        value = qualifying(member, prog.tier_basis)
        earned = tier_for(value, prog.tiers)
        if earned is None:
            continue
        if rank(earned.code, prog.tiers) > rank(member.tier_code, prog.tiers):
            change = _move(session, prog, member, earned, "upgrade", now)
            if change is not None:
                changes.append(change)
        elif member.tier_grace_until is not None and value >= _threshold(member.tier_code, prog.tiers):
            member.tier_grace_until = None  # climbed back inside the grace period
    session.flush()
    return [c.id for c in changes]


def review(session: Session, prog: ProgrammeConfig, now: datetime, batch: int = 1000) -> list[int]:
    """The periodic review: start grace periods, downgrade members whose grace has run out."""
    changes: list[TierChange] = []
    last_id = 0
    while True:
        members = session.scalars(
            select(Member)
            .where(Member.account_id == prog.account_id, Member.tier_code.is_not(None), Member.id > last_id)
            .order_by(Member.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        if not members:
            return [c.id for c in changes]
        for member in members:
            verdict = review_tier(
                qualifying(member, prog.tier_basis),
                member.tier_code,
                member.tier_grace_until,
                prog.tiers,
                now,
                prog.tier_grace_days,
            )
            member.tier_grace_until = verdict.grace_until
            if verdict.changed:
                to = next((t for t in prog.tiers if t.code == verdict.tier), None)
                up = rank(verdict.tier, prog.tiers) > rank(member.tier_code, prog.tiers)
                change = _move(session, prog, member, to, "upgrade" if up else "downgrade", now)
                if change is not None:
                    changes.append(change)
        last_id = members[-1].id
        session.flush()


def _move(
    session: Session, prog: ProgrammeConfig, member: Member, to: Tier | None, reason: str, now: datetime
) -> TierChange | None:
    before = member.tier_code
    member.tier_code, member.tier_since, member.tier_grace_until = (to.code if to else None), now, None
    if before is None and (to is None or to.threshold == 0):
        return None  # entering the base tier is not news
    change = TierChange(
        account_id=prog.account_id,
        member_id=member.id,
        from_code=before,
        to_code=member.tier_code,
        reason=reason,
        changed_at=now,
    )
    session.add(change)
    session.flush()
    return change


def _threshold(code: str | None, tiers: list[Tier]) -> int:
    return next((t.threshold for t in tiers if t.code == code), 0)


def _members(session: Session, member_ids: Iterable[int]) -> list[Member]:
    ids = sorted(set(member_ids))
    if not ids:
        return []
    return list(session.scalars(select(Member).where(Member.id.in_(ids)).order_by(Member.id)))
