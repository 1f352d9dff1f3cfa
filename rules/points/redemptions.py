"""Redemption codes (兑换码) at the till: what state a code is in, and whether it can be used."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum

CODE = re.compile(r"^[0-9A-F]{8}$")  # what `rewards.redeem` hands out (upper-case hex)
MAX_VALID_DAYS = 3650  # a reward's codes are good 1 to 3650 days, or for ever (None)


class RedemptionStatus(StrEnum):
    WAITING = "waiting"  # 待使用
    USED = "used"  # 已使用
    EXPIRED = "expired"  # 已过期: never used, and its time is up


STATUS_NAMES = {
    RedemptionStatus.WAITING: "待使用",
    RedemptionStatus.USED: "已使用",
    RedemptionStatus.EXPIRED: "已过期",
}


def status_of(used_at: datetime | None, expires_at: datetime | None, now: datetime) -> RedemptionStatus:
    """A used code stays used, whenever it expires; an unused one expires at `expires_at` (None: never)."""
    if used_at is not None:
        return RedemptionStatus.USED
    if expires_at is not None and now >= expires_at:
        return RedemptionStatus.EXPIRED
    return RedemptionStatus.WAITING


def expires_at_of(redeemed_at: datetime, valid_days: int | None) -> datetime | None:
    """When a code redeemed at `redeemed_at` for a reward good `valid_days` days expires (None: never)."""
    return None if valid_days is None else redeemed_at + timedelta(days=valid_days)


def normal_code(typed: str) -> str | None:
    """A code as a cashier types it (spaces, lower case) in its stored form; None if it cannot be one."""
    code = typed.replace(" ", "").replace("-", "").upper()
    return code if CODE.match(code) else None
