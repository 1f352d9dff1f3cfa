"""积分商城: the rewards catalogue — add, change price, stock, description, availability and picture,
through the API's NewReward / RewardChanges models and services.points.rewards."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from pydantic import ValidationError
from sqlalchemy.orm import Session

from bot.access import current
from bot.api.points.schemas import NewReward, RewardChanges
from bot.api.types import problems_of
from bot.console.programme import as_api, editor, field_errors, whole
from bot.console.web import done, page, view
from bot.db import read, write
from rules.accounts.roles import Area
from services.accounts import images
from services.accounts.images import ImageRefused, Reencoded
from services.points import rewards as catalogue

KINDS = {"coupon": "优惠券", "gift": "礼品"}
LABELS = {
    "name": "名称",
    "kind": "类型",
    "points_price": "兑换所需积分",
    "stock": "库存",
    "description": "说明",
    "enabled": "上架",
    "valid_days": "兑换码有效期(天)",
    "image": "图片",
}


def _listing(session: Session, account_id: int) -> list[tuple[Any, str | None]]:
    rows = catalogue.catalogue(session, account_id, enabled_only=False)
    paths = images.paths_of(session, [r.image_id for r in rows if r.image_id])
    return [(r, paths.get(r.image_id or 0)) for r in rows]


def _values(form: Mapping[str, str]) -> dict[str, Any]:
    return {
        "name": form.get("name", "").strip(),
        "kind": form.get("kind", ""),
        "points_price": whole(form.get("points_price")),
        "stock": whole(form.get("stock")),
        "description": form.get("description", "").strip() or None,
        "enabled": form.get("enabled") == "on",
        "valid_days": whole(form.get("valid_days"), blank=None),  # blank: no expiry
    }


def _upload() -> Reencoded | None:
    """The picture sent with the form, checked and re-encoded; None when none was chosen."""
    sent = request.files.get("image")
    if sent is None or not sent.filename:
        return None
    return images.reencoded(sent.stream.read(images.MAX_BYTES + 1))


def _checked(
    model: type[NewReward] | type[RewardChanges],
) -> tuple[Any, Reencoded | None, dict[str, list[str]]]:
    """The form as the API's model and its picture, or the problems of each field."""
    body, picture, errors = None, None, {}
    try:
        body = as_api(model, _values(request.form))
    except ValidationError as exc:
        errors = field_errors(problems_of(exc), LABELS)
    try:
        picture = _upload()
    except ImageRefused as exc:
        errors["image"] = [str(exc)]
    return body, picture, errors


@view("/rewards", Area.READ)
def rewards() -> ResponseReturnValue:
    return _list()


def _list(
    status: int = 200, form: Mapping[str, str] | None = None, errors: Any = None
) -> ResponseReturnValue:
    account_id = current().account.id
    items = read(lambda s: _listing(s, account_id))
    return page(
        "console/rewards.html",
        status,
        items=items,
        kinds=KINDS,
        labels=LABELS,
        form=form if form is not None else {"kind": "coupon", "enabled": "on"},
        errors=errors or {},
        editor=editor(),
    )


@view("/rewards/add", Area.PROGRAMME, methods=("POST",))
def rewards_add() -> ResponseReturnValue:
    body, picture, errors = _checked(NewReward)
    if errors or body is None:
        return _list(422, request.form.to_dict(), errors)
    values = body.model_dump()
    account_id = current().account.id

    def add(session: Session) -> None:
        image_id = images.store_image(session, account_id, picture).id if picture else None
        catalogue.create_reward(session, account_id, values | {"image_id": image_id})

    write(add)
    return done(f"已上架「{values['name']}」", "console.rewards")


@view("/rewards/<id:reward_id>", Area.READ)
def rewards_edit(reward_id: int) -> ResponseReturnValue:
    account_id = current().account.id
    found = read(lambda s: _one(s, account_id, reward_id))
    if found is None:
        return page("console/message.html", 404, title="商品不存在", message="请从积分商城列表选择商品。")
    reward, path = found
    form = {
        "name": reward.name,
        "kind": reward.kind,
        "points_price": str(reward.points_price),
        "stock": str(reward.stock),
        "description": reward.description or "",
        "enabled": "on" if reward.enabled else "",
        "valid_days": "" if reward.valid_days is None else str(reward.valid_days),
    }
    return _edit_page(reward_id, form, path)


def _one(session: Session, account_id: int, reward_id: int) -> tuple[Any, str | None] | None:
    reward = catalogue.reward_of(session, account_id, reward_id)
    if reward is None:
        return None
    return reward, images.paths_of(session, [reward.image_id] if reward.image_id else []).get(
        reward.image_id or 0
    )


def _edit_page(
    reward_id: int, form: Mapping[str, str], path: str | None, errors: Any = None, status: int = 200
) -> ResponseReturnValue:
    return page(
        "console/rewards_edit.html",
        status,
        reward_id=reward_id,
        form=form,
        image_path=path,
        kinds=KINDS,
        labels=LABELS,
        errors=errors or {},
        editor=editor(),
    )


@view("/rewards/<id:reward_id>", Area.PROGRAMME, methods=("POST",))
def rewards_save(reward_id: int) -> ResponseReturnValue:
    account_id = current().account.id
    found = read(lambda s: _one(s, account_id, reward_id))
    if found is None:
        return page("console/message.html", 404, title="商品不存在", message="请从积分商城列表选择商品。")
    body, picture, errors = _checked(RewardChanges)
    if errors or body is None:
        return _edit_page(reward_id, request.form.to_dict(), found[1], errors, 422)
    changes = body.model_dump(exclude_unset=True)
    drop = request.form.get("remove_image") == "on"

    def save(session: Session) -> None:
        if picture is not None:
            changes["image_id"] = images.store_image(session, account_id, picture).id
        elif drop:
            changes["image_id"] = None
        catalogue.change_reward(session, account_id, reward_id, changes)

    write(save)
    return done(f"「{changes['name']}」已保存", "console.rewards")
