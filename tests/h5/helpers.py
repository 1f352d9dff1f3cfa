"""Arranging rows and reading pages in the H5 tests."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy.orm import Session

from models import Reward
from tests.factories import shanghai

FORM = re.compile(
    r'<form[^>]*action="(?P<action>[^"]+)"[^>]*>\s*'
    r'<input type="hidden" name="request_key" value="(?P<key>[^"]+)"'
)


def follow(wechat: Any, run_jobs: Any, openid: str, day: int = -30) -> None:
    """A follow that earns the 50-point welcome bonus."""
    wechat.send(wechat.subscribe(openid, create_time=shanghai(day)))
    run_jobs()


def add_reward(
    session: Session, account_id: int, name: str = "咖啡兑换券", price: int = 30, stock: int = 5, **extra: Any
) -> int:
    reward = Reward(account_id=account_id, name=name, kind="coupon", points_price=price, stock=stock, **extra)
    session.add(reward)
    session.commit()
    return reward.id


def forms(page: str) -> dict[str, str]:
    """The one-time request_key of each form on a page, by the form's action."""
    return {html.unescape(m["action"]): html.unescape(m["key"]) for m in FORM.finditer(page)}


def text(page: str) -> str:
    """The page's visible text, tags dropped and whitespace squeezed (for phrase assertions)."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()
