"""The rewards catalogue (积分兑换): list, add, change stock, price or availability."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.api.auth import current_account
from bot.api.errors import ApiError
from bot.api.points.schemas import NewReward, Reward, RewardChanges, RewardPage
from bot.api.routes import operation
from bot.api.types import Paging
from bot.context import tiefen
from bot.db import read, write
from rules.accounts.roles import Area
from services.accounts import images
from services.points import rewards


def _absolute(path: str | None) -> str | None:
    """An image's address as a shop system can fetch it: on this server's public address."""
    return None if path is None else tiefen().settings.public_base_url.rstrip("/") + path


@operation("GET", "/rewards", tag="rewards", answer=RewardPage, query=Paging)
def list_rewards(query: Paging) -> RewardPage:
    """List the rewards catalogue"""

    def page(session: Session) -> RewardPage:
        rows, total = rewards.rewards_page(session, current_account().id, query.page, query.per_page)
        urls = images.paths_of(session, [r.image_id for r in rows if r.image_id])
        items = [Reward.of(r, _absolute(urls.get(r.image_id or 0))) for r in rows]
        return RewardPage(items=items, page=query.page, per_page=query.per_page, total=total)

    return read(page)


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
        urls = images.paths_of(session, [found.image_id] if found.image_id else [])
        return Reward.of(found, _absolute(urls.get(found.image_id or 0)))

    return write(save)
