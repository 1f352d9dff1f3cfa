"""完善资料: a member binds a phone number, the funnel's 注册 step (了解 → 试用 → 注册)."""

from __future__ import annotations

from flask import g, request

from bot.context import tiefen
from bot.h5 import forms, h5
from bot.h5 import wording as labels
from bot.h5.identity import Visitor, form_token, member_action, member_page
from bot.h5.web import follow_points, page
from models import utcnow
from services.referrals import shares
from services.referrals.shares import Profile

DONE = {"registered": "注册成功，手机号已绑定。", "updated": "手机号已更新。"}
PROBLEMS = {
    "invalid": "请输入正确的 11 位手机号码（如 13800138000）。",
    "not_member": "关注公众号成为会员后，才能完善资料。",
}


@h5.app_template_global()
def member_profile(me: object) -> Profile | None:
    """The visitor's member id and registration, read once a request (templates ask for it)."""
    if not isinstance(me, Visitor):
        return None
    if "h5_profile" not in g:
        with tiefen().sessions() as session:
            g.h5_profile = shares.profile_of(session, me.account.id, me.openid)
    found: Profile | None = g.h5_profile
    return found


@h5.get("/<appid>/profile")
@member_page
def profile(me: Visitor) -> tuple[str, int]:
    found = member_profile(me)
    return _form(me, found, form_token(me, "profile"), (found.phone if found else None) or "")


@h5.post("/<appid>/profile")
@member_action("profile")
def save_profile(me: Visitor, key: str) -> tuple[str, int]:
    typed = request.form.get("phone", "")[:40]
    with tiefen().runtime.job_sessions.begin() as session:
        done = shares.register(session, me.account.id, me.openid, typed, utcnow())
    g.pop("h5_profile", None)
    found = member_profile(me)
    token = request.form[forms.FIELD]  # the same form may be sent again (after a typo, or to change it)
    if done.kind in PROBLEMS:
        status = 400 if done.kind == "invalid" else 403
        return _form(me, found, token, typed, problem=PROBLEMS[done.kind], status=status)
    return _form(me, found, token, done.phone or "", done=DONE[done.kind])


def _form(
    me: Visitor,
    found: Profile | None,
    token: str,
    phone: str,
    problem: str | None = None,
    done: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    registered_day = None
    if found and found.registered_at:
        registered_day = labels.local_time(found.registered_at, me.account.timezone)[:10]
    return page(
        "h5/profile.html",
        status,
        me=me,
        profile=found,
        token=token,
        phone=phone,
        problem=problem,
        done=done,
        registered_day=registered_day,
        follow_points=follow_points(tiefen().programmes.get(me.account.id)),
    )
