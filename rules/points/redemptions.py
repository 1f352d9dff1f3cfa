"""Redemption codes (兑换码) at the till: what state a code is in, and whether it can be used."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

CODE = re.compile(r"^[0-9A-F]{8}$")  # what `rewards.redeem` hands out (upper-case hex)


class RedemptionStatus(StrEnum):
    WAITING = "waiting"  # 待使用
    USED = "used"  # 已使用


STATUS_NAMES = {RedemptionStatus.WAITING: "待使用", RedemptionStatus.USED: "已使用"}


def status_of(used_at: datetime | None) -> RedemptionStatus:
    return RedemptionStatus.WAITING if used_at is None else RedemptionStatus.USED


def normal_code(typed: str) -> str | None:
    """A code as a cashier types it (spaces, lower case) in its stored form; None if it cannot be one."""
    code = typed.replace(" ", "").replace("-", "").upper()
    return code if CODE.match(code) else None
