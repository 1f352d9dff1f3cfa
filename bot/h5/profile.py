"""完善资料: a member binds a phone number, the funnel's 注册 step (了解 → 试用 → 注册), and gives a
birthday once (生日礼: the birthday task pays in the birthday month; set once, so it cannot be farmed)."""

from __future__ import annotations

from datetime import date

from flask import g, request

from bot.context import tiefen
from bot.h5 import forms, h5
from bot.h5 import wording as labels
from bot.h5.identity import Visitor, form_token, member_action, member_page
from bot.h5.web import follow_points, page
from models import utcnow
from rules.accounts.nicknames import NICKNAME_MAX
from rules.clock import business_date
from rules.points.tasks import Action
from services.points import birthdays
from services.points import programme as programmes
from services.referrals import shares
from services.referrals.shares import Profile
from tasks.points import announce

DONE = {"registered": "注册成功，手机号已绑定。", "updated": "手机号已更新。", "birthday": "生日已保存。"}
PROBLEMS = {
    "invalid": "请输入正确的 11 位手机号码（如 13800138000）。",
    "bad_nickname": f"昵称请填写 1–{NICKNAME_MAX} 个字，不含特殊符号。",
    "not_member": "关注公众号成为会员后，才能完善资料。",
    "birthday": "请选择正确的生日日期。",
    "already_set": "生日设置后不可修改。",
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
    nickname = (found.nickname if found else None) or ""
    return _form(me, found, form_token(me, "profile"), (found.phone if found else None) or "", nickname)


@h5.post("/<appid>/profile/birthday")
@member_action("birthday")
def save_birthday(me: Visitor, key: str) -> tuple[str, int]:
    typed = request.form.get("birthday", "")[:20]
    try:
        day = date.fromisoformat(typed)
    except ValueError:
        return _again(me, PROBLEMS["birthday"], 400)
    with tiefen().runtime.job_sessions.begin() as session:
        prog = programmes.load(session, me.account.id)
        done = birthdays.set_birthday(session, prog, me.openid, day, utcnow())
    announce(done.tier_changes)  # after the commit
    if done.kind == "invalid":
        return _again(me, f"{done.problem}。", 400)
    if done.kind == "not_member":
        return _again(me, PROBLEMS["not_member"], 403)
    if done.kind == "already_set" and done.birthday != day:  # the same date again is a retried form
        return _again(me, PROBLEMS["already_set"], 409)
    gift = f"本月是你的生日月，{done.points} 积分生日礼已到账！" if done.points else ""
    return _again(me, None, 200, done=DONE["birthday"] + gift)


def _again(me: Visitor, problem: str | None, status: int, done: str | None = None) -> tuple[str, int]:
    """The profile page as stored, with what the birthday form came to."""
    g.pop("h5_profile", None)
    found = member_profile(me)
    phone, nickname = (found.phone or "", found.nickname or "") if found else ("", "")
    return _form(me, found, form_token(me, "profile"), phone, nickname, problem, done, status)


@h5.post("/<appid>/profile")
@member_action("profile")
def save_profile(me: Visitor, key: str) -> tuple[str, int]:
    typed = request.form.get("phone", "")[:40]
    named = request.form.get("nickname", "")[:60]
    with tiefen().runtime.job_sessions.begin() as session:
        done = shares.register(session, me.account.id, me.openid, typed, utcnow(), named)
    g.pop("h5_profile", None)
    found = member_profile(me)
    token = request.form[forms.FIELD]  # the same form may be sent again (after a typo, or to change it)
    if done.kind in PROBLEMS:
        status = 403 if done.kind == "not_member" else 400
        return _form(me, found, token, typed, named, problem=PROBLEMS[done.kind], status=status)
    nickname = (found.nickname if found else None) or ""
    return _form(me, found, token, done.phone or "", nickname, done=DONE[done.kind])


def _form(
    me: Visitor,
    found: Profile | None,
    token: str,
    phone: str,
    nickname: str,
    problem: str | None = None,
    done: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    registered_day = None
    if found and found.registered_at:
        registered_day = labels.local_time(found.registered_at, me.account.timezone)[:10]
    with tiefen().sessions() as session:
        birthday = birthdays.birthday_of(session, me.account.id, me.openid) if found else None
    gift = tiefen().programmes.get(me.account.id).tasks.get(Action.BIRTHDAY)
    return page(
        "h5/profile.html",
        status,
        me=me,
        profile=found,
        token=token,
        phone=phone,
        nickname=nickname,
        nickname_max=NICKNAME_MAX,
        problem=problem,
        done=done,
        registered_day=registered_day,
        follow_points=follow_points(tiefen().programmes.get(me.account.id)),
        birthday=birthday,
        birthday_token=form_token(me, "birthday"),
        birthday_points=gift.points if gift and gift.enabled else 0,
        today=business_date(utcnow(), me.account.timezone),
    )
