"""Deterministic fake follower info, shaped like WeChat's user/info answer."""

from __future__ import annotations

import hashlib
import re
from typing import Any, TypeGuard

OPENID_RE = re.compile(r"[A-Za-z0-9_-]{6,64}")

_PLACES = (
    ("广东", "深圳"),
    ("广东", "广州"),
    ("北京", "北京"),
    ("上海", "上海"),
    ("浙江", "杭州"),
    ("四川", "成都"),
    ("湖北", "武汉"),
    ("江苏", "南京"),
)
_BASE_SUBSCRIBE_TIME = 1_600_000_000


def is_valid_openid(openid: object) -> TypeGuard[str]:
    """Tell whether a value looks like an openid WeChat would accept."""
    return isinstance(openid, str) and OPENID_RE.fullmatch(openid) is not None


def make_user(openid: str) -> dict[str, Any]:
    """Invent a follower's info, always the same for the same openid."""
    digest = hashlib.sha1(openid.encode()).hexdigest()
    seed = int(digest[:12], 16)
    province, city = _PLACES[seed % len(_PLACES)]
    return {
        "subscribe": 1,
        "openid": openid,
        "nickname": "用户" + openid[-4:],
        "sex": seed % 3,
        "language": "zh_CN",
        "city": city,
        "province": province,
        "country": "中国",
        "headimgurl": f"http://thirdwx.qlogo.cn/mmopen/{digest}/132",
        "subscribe_time": _BASE_SUBSCRIBE_TIME + seed % 100_000_000,
        "remark": "",
        "groupid": 0,
        "tagid_list": [],
        "subscribe_scene": "ADD_SCENE_QR_CODE",
        "qr_scene": 0,
        "qr_scene_str": "",
    }
