"""The rewards catalogue (积分兑换): list, add, change stock, price or availability."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy.orm import Session

from bot.api import api, inputs, outputs
from bot.api.auth import current_account
from bot.api.db import read, write
from bot.api.errors import ApiError
from services import api_support
from services.api_support import Invalid


@api.get("/rewards")
def list_rewards() -> Response:
    page, per_page = inputs.paging()
    rows, total = read(lambda s: api_support.rewards_page(s, current_account().id, page, per_page))
    return jsonify(outputs.page([outputs.reward(r) for r in rows], page, per_page, total))


@api.post("/rewards")
def post_reward() -> tuple[Response, int]:
    values = inputs.json_object()

    def save(session: Session) -> dict[str, Any]:
        try:
            return outputs.reward(api_support.create_reward(session, current_account().id, values))
        except Invalid as exc:
            raise ApiError(422, "invalid_reward", "the reward does not hold", exc.problems) from None

    return jsonify(write(save)), 201


@api.patch("/rewards/<int:reward_id>")
def patch_reward(reward_id: int) -> Response:
    changes = inputs.json_object()

    def save(session: Session) -> dict[str, Any]:
        try:
            found = None
            if api_support.whole(reward_id, 1):
                found = api_support.change_reward(session, current_account().id, reward_id, changes)
        except Invalid as exc:
            raise ApiError(422, "invalid_reward", "the reward does not hold", exc.problems) from None
        if found is None:
            raise ApiError(404, "unknown_reward", f"no reward {reward_id}")
        return outputs.reward(found)

    return jsonify(write(save))
