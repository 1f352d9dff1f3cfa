"""The account's custom menu (自定义菜单) and the click keys the handlers answer."""

from __future__ import annotations

from typing import Any

CHECKIN = "MENU_CHECKIN"
MY_POINTS = "MENU_MY_POINTS"
INVITE = "MENU_INVITE"

# A click is answered as if the member had typed the command.
CLICK_COMMANDS: dict[str, str] = {CHECKIN: "签到", MY_POINTS: "积分", INVITE: "邀请"}


def default_menu(public_base_url: str, appid: str) -> dict[str, Any]:
    """The menu every account gets: 签到, 我的积分, 邀请好友 and 会员中心."""
    base = f"{public_base_url.rstrip('/')}/h5/{appid}"
    return {
        "button": [
            {"type": "click", "name": "签到", "key": CHECKIN},
            {
                "name": "我的",
                "sub_button": [
                    {"type": "click", "name": "我的积分", "key": MY_POINTS},
                    {"type": "view", "name": "会员中心", "url": f"{base}/member"},
                ],
            },
            {"type": "click", "name": "邀请好友", "key": INVITE},
        ]
    }
