"""核销 at the till: type or scan a customer's redemption code, see what it is for and whether it is
still good, use it once (never after it expired); the latest redemptions with their states below."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from bot.access import current
from bot.console.web import local_time, page, view
from bot.db import read, write
from models import utcnow
from rules.accounts.roles import Area
from rules.points.redemptions import STATUS_NAMES, RedemptionStatus, normal_code, status_of
from services.accounts import search
from services.points import rewards

RECENT = 20


@view("/redemptions", Area.TILL)
def redemptions() -> ResponseReturnValue:
    account_id = current().account.id
    typed = request.args.get("code", "").strip()[:64]
    found, problem = None, None
    if typed:
        code = normal_code(typed)
        found = read(lambda s: rewards.find_code(s, account_id, code)) if code else None
        if found is None:
            problem = "没有这个兑换码,请核对后重试"
    recent = read(lambda s: search.redemptions(s, account_id, limit=RECENT))
    now = utcnow()
    state = status_of(found.redemption.used_at, found.redemption.expires_at, now) if found else None
    return page(
        "console/redemptions.html",
        typed=typed,
        found=found,
        state=state,
        statuses=STATUS_NAMES,
        recent=[(r, openid, name, status_of(r.used_at, r.expires_at, now)) for r, openid, name in recent],
        problem=problem,
        Status=RedemptionStatus,
    )


@view("/redemptions/use", Area.TILL, methods=("POST",))
def use_redemption() -> ResponseReturnValue:
    code = normal_code(request.form.get("code", ""))
    me = current()
    if code is None:
        flash("没有这个兑换码", "error")
        return redirect(url_for("console.redemptions"))

    def save(session: Session) -> rewards.CodeUse | None:
        found = rewards.use_code(session, me.account.id, code, me.actor.name, utcnow())
        if found is not None and not found.used_now:
            used = found.redemption
            if used.used_at is None:
                raise Expired(used.expires_at)
            raise AlreadyUsed(used.used_at, used.used_by or "")
        return found

    try:
        found = write(save)
    except AlreadyUsed as exc:
        flash(f"兑换码 {code} 已于 {local_time(exc.used_at)} 由 {exc.used_by} 核销,不能重复使用", "error")
        return redirect(url_for("console.redemptions", code=code))
    except Expired as exc:
        flash(f"兑换码 {code} 已于 {local_time(exc.expires_at)} 过期，不能核销", "error")
        return redirect(url_for("console.redemptions", code=code))
    if found is None:
        flash("没有这个兑换码", "error")
        return redirect(url_for("console.redemptions"))
    flash(f"核销成功:{found.reward_name}(兑换码 {code})", "ok")
    return redirect(url_for("console.redemptions", code=code))


class AlreadyUsed(Exception):
    """Used before: when and by whom, read before the transaction ends."""

    def __init__(self, used_at: datetime | None, used_by: str) -> None:
        super().__init__(used_by)
        self.used_at, self.used_by = used_at, used_by


class Expired(Exception):
    """Past its expiry and never used: nothing was recorded."""

    def __init__(self, expires_at: datetime | None) -> None:
        super().__init__(str(expires_at))
        self.expires_at = expires_at
