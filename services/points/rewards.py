"""The rewards catalogue and redemption (积分兑换): points and stock spent together or not at all."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models import Member, Redemption, Reward
from models.pages import page_of
from models.upsert import table_of
from rules.points.redemptions import expires_at_of
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
        .returning(Reward.points_price, Reward.name, Reward.valid_days)
    ).first()
    if taken is None:
        raise OutOfStock(reward_id)
    price, name, valid_days = taken
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
        expires_at=expires_at_of(now, valid_days),
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


def reward_of(session: Session, account_id: int, reward_id: int) -> Reward | None:
    """A reward of this account (enabled or not); None for another account's."""
    return session.scalar(select(Reward).where(Reward.id == reward_id, Reward.account_id == account_id))


def create_reward(session: Session, account_id: int, values: dict[str, Any]) -> Reward:
    """Add a reward to the catalogue, its fields already checked."""
    reward = Reward(account_id=account_id, **{**values, "name": values["name"].strip()})
    session.add(reward)
    session.flush()
    return reward


def change_reward(
    session: Session, account_id: int, reward_id: int, changes: dict[str, Any]
) -> Reward | None:
    """Change a reward of this account (None if it has no such reward), the changes already checked."""
    reward = session.scalar(
        select(Reward).where(Reward.id == reward_id, Reward.account_id == account_id).with_for_update()
    )
    if reward is None:
        return None
    for name, value in changes.items():
        setattr(reward, name, value.strip() if name == "name" else value)
    session.flush()
    return reward


def rewards_page(session: Session, account_id: int, page: int, per_page: int) -> tuple[list[Any], int]:
    stmt = select(Reward).where(Reward.account_id == account_id).order_by(Reward.id)
    return page_of(session, stmt, page, per_page)


@dataclass(frozen=True)
class CodeUse:
    redemption: Redemption
    reward_name: str
    openid: str
    used_now: bool  # False: used before (by `redemption.used_by`, at `used_at`) or expired (`expires_at`)


def find_code(session: Session, account_id: int, code: str) -> CodeUse | None:
    """A redemption of this account by its code, with its reward and member; None for no such code."""
    found = session.execute(
        select(Redemption, Reward.name, Member.openid)
        .join(Reward, Reward.id == Redemption.reward_id)
        .join(Member, Member.id == Redemption.member_id)
        .where(Redemption.account_id == account_id, Redemption.code == code)
    ).first()
    return None if found is None else CodeUse(found[0], found[1], found[2], False)


def use_code(session: Session, account_id: int, code: str, by: str, now: datetime) -> CodeUse | None:
    """Mark a code used (核销) once however often it is posted, by whom; the first use wins a race. An
    expired code is left as it is (`used_now` False, `used_at` None)."""
    used = session.execute(
        update(table_of(Redemption))
        .where(
            Redemption.account_id == account_id,
            Redemption.code == code,
            Redemption.used_at.is_(None),
            or_(Redemption.expires_at.is_(None), Redemption.expires_at > now),
        )
        .values(used_at=now, used_by=by[:60])
        .returning(Redemption.id)
    ).first()
    session.expire_all()
    found = find_code(session, account_id, code)
    if found is None:
        return None
    return CodeUse(found.redemption, found.reward_name, found.openid, used is not None)
