"""A journey's reward: each member its message is delivered to gets a redemption of the reward for
0 points (it shows in 我的兑换 with its code), once per journey and member. Stock is taken as a
redemption takes it; when none is left (or the reward was withdrawn) the message still went, nothing
is granted, and the grant row records why."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import Journey, JourneyGrant, Member, Redemption, Reward
from models.upsert import bulk_insert, one_of, table_of

GRANTED, OUT_OF_STOCK, WITHDRAWN = "granted", "out_of_stock", "withdrawn"
OUTCOME_NAMES = {GRANTED: "已发放", OUT_OF_STOCK: "库存不足未发放", WITHDRAWN: "奖励已下架未发放"}


def request_key(journey_id: int, member_id: int) -> str:
    """The redemption's one-time key: a second grant for the same journey and member is a duplicate."""
    return f"journey:{journey_id}:{member_id}"


def grant_for_sent(session: Session, campaign_id: int, member_ids: list[int], now: datetime) -> Counter[str]:
    """Grant the reward of the journey whose message (campaign) reached `member_ids`, in the
    transaction that records the deliveries as sent. Members granted (or refused) before are
    skipped. Returns members by outcome."""
    outcomes: Counter[str] = Counter()
    journey = session.execute(
        select(Journey.id, Journey.account_id, Journey.reward_id).where(Journey.campaign_id == campaign_id)
    ).first()
    if not member_ids or journey is None or journey.reward_id is None:
        return outcomes
    reward = session.execute(  # racing senders of the journey queue here, so stock is taken once
        select(Reward.enabled, Reward.stock).where(Reward.id == journey.reward_id).with_for_update()
    ).one()
    before = select(JourneyGrant.member_id).where(
        JourneyGrant.journey_id == journey.id, one_of(session, JourneyGrant.member_id, member_ids)
    )
    new = sorted(set(member_ids) - set(session.scalars(before)))
    taken = min(reward.stock, len(new)) if reward.enabled else 0
    lucky = _redeem(session, journey.account_id, journey.id, journey.reward_id, new[:taken], now)
    session.execute(
        update(table_of(Reward)).where(Reward.id == journey.reward_id).values(stock=Reward.stock - len(lucky))
    )
    why = OUT_OF_STOCK if reward.enabled else WITHDRAWN
    rows = [
        {
            "journey_id": journey.id,
            "member_id": m,
            "account_id": journey.account_id,
            "reward_id": journey.reward_id,
            "redemption_id": lucky.get(m),
            "outcome": GRANTED if m in lucky else why,
            "created_at": now,
        }
        for m in new
    ]
    bulk_insert(session, JourneyGrant, rows, ("journey_id", "member_id"))
    outcomes.update(r["outcome"] for r in rows)
    return outcomes


def _redeem(
    session: Session, account_id: int, journey_id: int, reward_id: int, member_ids: list[int], now: datetime
) -> dict[int, int]:
    """A 0-point redemption for each member: their redemption ids, by member."""
    rows = [
        {
            "account_id": account_id,
            "reward_id": reward_id,
            "member_id": m,
            "points": 0,
            "code": secrets.token_hex(4).upper(),  # as rewards.redeem makes them
            "request_key": request_key(journey_id, m),
            "created_at": now,
        }
        for m in member_ids
    ]
    made = bulk_insert(
        session, Redemption, rows, ("account_id", "request_key"), (Redemption.member_id, Redemption.id)
    )
    return {int(m): int(r) for m, r in made}


@dataclass(frozen=True)
class Grant:
    """What a journey's message gave one member, for its landing page."""

    outcome: str
    reward_name: str
    code: str | None


def grant_of(session: Session, account_id: int, campaign_id: int, openid: str) -> Grant | None:
    """The grant of the journey whose message is campaign `campaign_id` to this member, if any."""
    row = session.execute(
        select(JourneyGrant.outcome, Reward.name, Redemption.code)
        .join(Journey, Journey.id == JourneyGrant.journey_id)
        .join(Member, Member.id == JourneyGrant.member_id)
        .join(Reward, Reward.id == JourneyGrant.reward_id)
        .outerjoin(Redemption, Redemption.id == JourneyGrant.redemption_id)
        .where(
            Journey.campaign_id == campaign_id,
            Journey.account_id == account_id,
            Member.account_id == account_id,
            Member.openid == openid,
        )
    ).first()
    return None if row is None else Grant(*row)


def grant_counts(session: Session, journey_id: int) -> dict[str, int]:
    """Members by outcome of a journey's reward."""
    rows = session.execute(
        select(JourneyGrant.outcome, func.count())
        .where(JourneyGrant.journey_id == journey_id)
        .group_by(JourneyGrant.outcome)
    )
    return {outcome: int(n) for outcome, n in rows}
