"""Tiers in the database: immediate upgrades after awards, the periodic review with grace."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from models import Member, TierChange, TierRow
from models.upsert import bulk_insert, bulk_update, one_of, table_of
from rules.points.tiers import Tier, rank, review_tier, tier_for
from services.points.programme import ProgrammeConfig


def qualifying(member: Member, basis: str) -> int:
    """What tiers count: points earned (awards minus reversals), or spend in whole yuan."""
    return member.spend_fen // 100 if basis == "spend" else member.points_earned


def upgrade(session: Session, prog: ProgrammeConfig, member_ids: Iterable[int], now: datetime) -> list[int]:
    """Move members up at once when they cross a threshold; returns the tier changes to announce.

    Reads plain columns for the batch; only the few members who move are loaded as objects.
    """
    ids = sorted(set(member_ids))
    if not ids:
        return []
    rows = session.execute(
        select(
            Member.id, Member.points_earned, Member.spend_fen, Member.tier_code, Member.tier_grace_until
        ).where(one_of(session, Member.id, ids))
    ).all()
    moving, back, entering = [], [], defaultdict(list)
    for member_id, earned_points, spend_fen, code, grace in rows:
        value = spend_fen // 100 if prog.tier_basis == "spend" else earned_points
        earned = tier_for(value, prog.tiers)
        if earned is not None and code is None and earned.threshold == 0:
            entering[earned.code].append(member_id)  # the base tier: not news, one statement for all
        elif earned is not None and rank(earned.code, prog.tiers) > rank(code, prog.tiers):
            moving.append((member_id, earned))
        elif grace is not None and value >= _threshold(code, prog.tiers):
            back.append(member_id)  # climbed back inside the grace period
    if back:
        session.execute(
            update(table_of(Member)).where(one_of(session, Member.id, back)).values(tier_grace_until=None)
        )
    for code, entered in entering.items():
        session.execute(
            update(table_of(Member))
            .where(one_of(session, Member.id, entered))
            .values(tier_code=code, tier_since=now)
        )
    return _raise(session, prog, moving, {member_id: code for member_id, _, _, code, _ in rows}, now)


def _raise(
    session: Session,
    prog: ProgrammeConfig,
    moving: list[tuple[int, Tier]],
    before: dict[int, str | None],
    now: datetime,
) -> list[int]:
    """Upgrades, set-based: the members' rows, then a tier change each (returned, to announce)."""
    if not moving:
        return []
    rows = [{"id": m, "tier_code": t.code} for m, t in moving]
    bulk_update(session, Member, rows, _upgraded)
    session.execute(
        update(table_of(Member))
        .where(one_of(session, Member.id, [m for m, _ in moving]))
        .values(tier_since=now, tier_grace_until=None)
    )
    changes = [
        {
            "account_id": prog.account_id,
            "member_id": m,
            "from_code": before.get(m),
            "to_code": t.code,
            "reason": "upgrade",
            "changed_at": now,
        }
        for m, t in moving
    ]
    return [
        change_id for (change_id,) in bulk_insert(session, TierChange, changes, returning=(TierChange.id,))
    ]


def _upgraded(src: Any) -> dict[str, Any]:
    return {"tier_code": src["tier_code"]}


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


def tiers_of(session: Session, account_id: int) -> list[TierRow]:
    stmt = select(TierRow).where(TierRow.account_id == account_id).order_by(TierRow.threshold, TierRow.id)
    return list(session.scalars(stmt))


def replace_tiers(session: Session, account_id: int, ladder: list[dict[str, Any]]) -> list[TierRow]:
    """Make the account's tiers exactly `ladder` (kept by code), a ladder already checked whole
    (`rules.points.tiers.ladder_problems`)."""
    by_code = {t.code: t for t in tiers_of(session, account_id)}
    wanted = {t["code"] for t in ladder}
    session.execute(delete(TierRow).where(TierRow.account_id == account_id, TierRow.code.not_in(wanted)))
    for t in ladder:
        row = by_code.get(t["code"]) or TierRow(account_id=account_id, code=t["code"])
        row.name, row.threshold, row.benefits = t["name"].strip(), t["threshold"], t.get("benefits")
        session.add(row)
    session.flush()
    return tiers_of(session, account_id)
