"""The rewards catalogue (积分兑换): list, add, change stock, price or availability."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.api.auth import current_account
from bot.api.errors import ApiError
from bot.api.points.schemas import NewReward, Reward, RewardChanges, RewardPage
from bot.api.routes import operation
from bot.api.types import Paging
from bot.db import read, write
from rules.accounts.roles import Area
from services.points import rewards


@operation("GET", "/rewards", tag="rewards", answer=RewardPage, query=Paging)
def list_rewards(query: Paging) -> RewardPage:
    """List the rewards catalogue"""
    rows, total = read(lambda s: rewards.rewards_page(s, current_account().id, query.page, query.per_page))
    return RewardPage(
        items=[Reward.of(r) for r in rows], page=query.page, per_page=query.per_page, total=total
    )


@operation(
    "POST",
    "/rewards",
    area=Area.PROGRAMME,
    tag="rewards",
    answer=Reward,
    status=201,
    body=NewReward,
    invalid="invalid_reward",
)
def post_reward(body: NewReward) -> Reward:
    """Add a reward"""
    values = body.model_dump()
    return write(lambda s: Reward.of(rewards.create_reward(s, current_account().id, values)))


@operation(
    "PATCH",
    "/rewards/<id:reward_id>",
    area=Area.PROGRAMME,
    tag="rewards",
    answer=Reward,
    body=RewardChanges,
    invalid="invalid_reward",
)
def patch_reward(reward_id: int, body: RewardChanges) -> Reward:
    """Change a reward"""
    changes = body.model_dump(exclude_unset=True)

    def save(session: Session) -> Reward:
        found = rewards.change_reward(session, current_account().id, reward_id, changes)
        if found is None:
            raise ApiError(404, "unknown_reward", f"no reward {reward_id}")
        return Reward.of(found)

    return write(save)
