"""Validate a custom menu the way WeChat's menu/create does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.errors import ApiError

KEY_TYPES = frozenset(
    {
        "click",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
    }
)
MEDIA_TYPES = frozenset({"media_id", "view_limited"})
ARTICLE_TYPES = frozenset({"article_id", "article_view_limited"})
BUTTON_TYPES = KEY_TYPES | MEDIA_TYPES | ARTICLE_TYPES | {"view", "miniprogram"}

MAX_BUTTONS = 3
MAX_SUB_BUTTONS = 5
MAX_KEY_BYTES = 128
MAX_URL_BYTES = 1024


@dataclass(frozen=True)
class Level:
    """Error codes and limits of one menu level (top-level buttons or sub buttons)."""

    count: int
    type: int
    name: int
    key: int
    url: int
    domain: int
    name_bytes: int


TOP = Level(count=40016, type=40017, name=40018, key=40019, url=40020, domain=40055, name_bytes=16)
SUB = Level(count=40023, type=40024, name=40025, key=40026, url=40027, domain=40054, name_bytes=60)


def validate_menu(data: Any) -> dict[str, Any]:
    """Return the menu as WeChat would store it, or raise the errcode WeChat answers."""
    if not isinstance(data, dict):
        raise ApiError(47001)
    buttons = data.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        raise ApiError(TOP.count)
    return {"button": [_top_button(button) for button in buttons]}


def _top_button(button: Any) -> dict[str, Any]:
    """Validate a top-level button, which is either a leaf or a parent of sub buttons."""
    subs = button.get("sub_button") if isinstance(button, dict) else None
    if not subs:
        return _leaf(button, TOP)
    if not isinstance(subs, list):
        raise ApiError(47001)
    if len(subs) > MAX_SUB_BUTTONS:
        raise ApiError(SUB.count)
    _check_name(button, TOP)
    return {"name": button["name"], "sub_button": [_sub_button(sub) for sub in subs]}


def _sub_button(button: Any) -> dict[str, Any]:
    """Validate a sub button, which must be a leaf."""
    if isinstance(button, dict) and button.get("sub_button"):
        raise ApiError(40022)
    return _leaf(button, SUB)


def _leaf(button: Any, level: Level) -> dict[str, Any]:
    """Validate a button that does something when tapped."""
    if not isinstance(button, dict):
        raise ApiError(47001)
    _check_name(button, level)
    kind = button.get("type")
    if kind not in BUTTON_TYPES:
        raise ApiError(level.type)
    if kind in KEY_TYPES:
        _check_text(button.get("key"), MAX_KEY_BYTES, level.key)
    elif kind in MEDIA_TYPES:
        _check_text(button.get("media_id"), None, 40007)
    elif kind in ARTICLE_TYPES:
        _check_text(button.get("article_id"), None, 40007)
    else:
        _check_url(button.get("url"), level)
    if kind == "miniprogram":
        _check_text(button.get("appid"), None, 40166)
        _check_text(button.get("pagepath"), None, 40165)
    return {**button, "sub_button": []}


def _check_name(button: dict[str, Any], level: Level) -> None:
    """Check a button's name is present and short enough."""
    _check_text(button.get("name"), level.name_bytes, level.name)


def _check_url(url: Any, level: Level) -> None:
    """Check a view button's url is an http(s) URL of acceptable length."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ApiError(level.domain)
    _check_text(url, MAX_URL_BYTES, level.url)


def _check_text(value: Any, max_bytes: int | None, errcode: int) -> None:
    """Raise `errcode` unless `value` is a non-empty string within `max_bytes` UTF-8 bytes."""
    if not isinstance(value, str) or not value:
        raise ApiError(errcode)
    if max_bytes is not None and len(value.encode("utf-8")) > max_bytes:
        raise ApiError(errcode)
