"""Orders posted by the merchant's shop: what makes one acceptable."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from rules.clock import ahead_of

MAX_AMOUNT_FEN = 100_000_000  # 100万元: anything above is a typo or an attack
ORDER_NO = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
BUYER_FIELDS = ("openid", "member_code", "phone")  # an order names its member by exactly one of these


def order_problems(
    order_no: object, amount_fen: object, paid_at: datetime | None, now: datetime
) -> list[str]:
    problems = []
    if not isinstance(order_no, str) or not ORDER_NO.match(order_no):
        problems.append("order_no must be 1-64 letters, digits, - or _")
    if (
        not isinstance(amount_fen, int)
        or isinstance(amount_fen, bool)
        or not 1 <= amount_fen <= MAX_AMOUNT_FEN
    ):
        problems.append(f"amount_fen must be a whole number of fen between 1 and {MAX_AMOUNT_FEN}")
    if paid_at is not None and ahead_of(paid_at, now):
        problems.append("paid_at is in the future")
    return problems


def refund_problems(refund_fen: object, amount_fen: int, already_refunded: int) -> list[str]:
    if not isinstance(refund_fen, int) or isinstance(refund_fen, bool) or refund_fen < 1:
        return ["refund_fen must be a positive whole number of fen"]
    if refund_fen + already_refunded > amount_fen:
        return [f"refund exceeds what is left of the order ({amount_fen - already_refunded} fen)"]
    return []


def buyer_problems(given: Sequence[str]) -> list[str]:
    """What is wrong with the BUYER_FIELDS an order gave: it must give exactly one, each field named."""
    if len(given) == 1:
        return []
    if not given:
        return ["openid: required, or member_code or phone instead"]
    return [f"{name}: give only one of openid, member_code or phone" for name in given]
