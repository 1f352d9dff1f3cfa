"""The rewards catalogue and redemption (积分兑换): points and stock spent together or not at all."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Redemption, Reward
from models.upsert import table_of
from services.points import ledger


class OutOfStock(Exception):
    """The reward is gone (or withdrawn)."""


@dataclass(frozen=True)
class Redeemed:
    redemption: Redemption
    new: bool  # False: this request was redeemed before (a retried form)


def redeem(
    session: Session,
    account_id: int,
    member_id: int,
    reward_id: int,
    request_key: str,
    day: date,
    now: datetime,
) -> Redeemed:
    """Take one from stock and spend its price oldest-first; NotEnoughPoints or OutOfStock otherwise.

    The caller's transaction holds both: when the points are short the stock taken is rolled
    back with it. Racing members queue on the reward's row; the last item goes to one of them.
    """
    found = session.scalar(
        select(Redemption).where(Redemption.account_id == account_id, Redemption.request_key == request_key)
    )
    if found is not None:
        return Redeemed(found, False)
    taken = session.execute(
        update(table_of(Reward))
        .where(
            Reward.id == reward_id,
            Reward.account_id == account_id,
            Reward.enabled.is_(True),
            Reward.stock > 0,
        )
        .values(stock=Reward.stock - 1)
        .returning(Reward.points_price, Reward.name)
    ).first()
    if taken is None:
        raise OutOfStock(reward_id)
    price, name = taken
    ledger.debit(
        session, account_id, member_id, price, f"redeem:{request_key}", "redemption", day, now, note=name
    )
    redemption = Redemption(
        account_id=account_id,
        reward_id=reward_id,
        member_id=member_id,
        points=price,
        code=secrets.token_hex(4).upper(),
        request_key=request_key,
        created_at=now,
    )
    session.add(redemption)
    session.flush()
    return Redeemed(redemption, True)


def catalogue(session: Session, account_id: int, enabled_only: bool = True) -> list[Reward]:
    stmt = select(Reward).where(Reward.account_id == account_id)
    if enabled_only:
        stmt = stmt.where(Reward.enabled.is_(True))
    return list(session.scalars(stmt.order_by(Reward.points_price, Reward.id)))


def redemptions_of(session: Session, member_id: int, limit: int = 50) -> list[tuple[Redemption, str]]:
    rows = session.execute(
        select(Redemption, Reward.name)
        .join(Reward, Reward.id == Redemption.reward_id)
        .where(Redemption.member_id == member_id)
        .order_by(Redemption.id.desc())
        .limit(limit)
    )
    return [(r, name) for r, name in rows]


def reward_problems(name: object, kind: object, points_price: object, stock: object) -> list[str]:
    problems = []
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 60:
        problems.append("name must be 1-60 characters")
    if kind not in ("coupon", "gift"):
        problems.append("kind must be coupon or gift")
    if (
        not isinstance(points_price, int)
        or isinstance(points_price, bool)
        or not 1 <= points_price <= 1_000_000
    ):
        problems.append("points_price must be a whole number between 1 and 1000000")
    if not isinstance(stock, int) or isinstance(stock, bool) or not 0 <= stock <= 1_000_000:
        problems.append("stock must be a whole number between 0 and 1000000")
    return problems


def reward_of(session: Session, account_id: int, reward_id: int) -> Reward | None:
    """A reward of this account (enabled or not); None for another account's."""
    return session.scalar(select(Reward).where(Reward.id == reward_id, Reward.account_id == account_id))
