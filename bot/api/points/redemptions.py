"""Redemption codes at the till (核销): check a code, use it once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.access import current
from bot.api.errors import ApiError
from bot.api.outputs import local
from bot.api.points.schemas import RedemptionCode
from bot.api.routes import operation
from bot.db import read, write
from models import utcnow
from rules.accounts.roles import Area
from rules.points.redemptions import normal_code, status_of
from services.points import rewards
from services.points.rewards import CodeUse


def code_json(found: CodeUse, now: datetime) -> RedemptionCode:
    r = found.redemption
    return RedemptionCode(
        code=r.code,
        reward=found.reward_name,
        openid=found.openid,
        points=r.points,
        status=status_of(r.used_at, r.expires_at, now),
        created_at=local(r.created_at),
        expires_at=local(r.expires_at),
        used_at=local(r.used_at),
        used_by=r.used_by,
    )


def _when(at: datetime | None) -> str:
    return local(at).strftime("%Y-%m-%d %H:%M") if at else ""


def _code(code: str) -> str:
    normal = normal_code(code)
    if normal is None:
        raise ApiError(404, "unknown_code", f"no redemption code {code}")
    return normal


@operation("GET", "/redemptions/<code>", tag="redemptions", answer=RedemptionCode, area=Area.TILL)
def check_code(code: str) -> RedemptionCode:
    """Check a redemption code: its reward, member and whether it was used"""
    normal = _code(code)
    found = read(lambda s: rewards.find_code(s, current().account.id, normal))
    if found is None:
        raise ApiError(404, "unknown_code", f"no redemption code {code}")
    return code_json(found, utcnow())


@operation(
    "POST", "/redemptions/<code>/use", tag="redemptions", answer=RedemptionCode, area=Area.TILL, errors=(409,)
)
def use_code(code: str) -> RedemptionCode:
    """Use a redemption code (核销) once: the reward is handed over
    Posted again, 409 `code_used` says when and by whom it was used; past its expiry, 409
    `code_expired` says when it expired, and nothing is recorded."""
    normal = _code(code)
    me = current()
    now = utcnow()

    def save(session: Session) -> RedemptionCode:
        found = rewards.use_code(session, me.account.id, normal, me.actor.name, now)
        if found is None:
            raise ApiError(404, "unknown_code", f"no redemption code {code}")
        if not found.used_now:  # raised inside: nothing changed, nothing logged
            used = found.redemption
            if used.used_at is None:
                when = _when(used.expires_at)
                words = [f"code: expired at {when} (the reward's validity), it cannot be used"]
                raise ApiError(409, "code_expired", f"兑换码已于 {when} 过期，不能核销", words)
            when = _when(used.used_at)
            raise ApiError(409, "code_used", f"已于 {when} 由 {used.used_by} 核销,不能重复使用")
        return code_json(found, now)

    return write(save)
