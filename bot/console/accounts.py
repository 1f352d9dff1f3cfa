"""Signing in (password or a one-time link), signing out, staff and tokens, the audit log."""

from __future__ import annotations

from flask import flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from bot.access import current
from bot.console.web import done, page, sign_in_as, view
from bot.context import tiefen
from bot.db import read, unlogged, write
from bot.limits import SIGN_IN, limiter
from models import utcnow
from rules.accounts.roles import ROLE_NAMES, Area, Role
from services.accounts import audit as audit_service
from services.accounts import staff as staff_service
from services.accounts import tokens


def _safe_next(target: str | None) -> str:
    """Only a path of the console itself: a sign-in link cannot send anyone elsewhere."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return url_for("console.dashboard")


@view("/signin", Area.READ, methods=("GET", "POST"))
@limiter.limit(SIGN_IN, methods=["POST"])
def sign_in() -> ResponseReturnValue:
    appid = (request.values.get("appid") or session.get("last_appid") or "").strip()
    if request.method == "GET":
        return page("console/signin.html", appid=appid, next=request.args.get("next", ""))
    account = tiefen().accounts.get(appid) if appid else None
    error = "账号或密码不正确"
    if account is not None:
        name, password = request.form.get("name", ""), request.form.get("password", "")
        found = unlogged(lambda s: staff_service.sign_in(s, account.id, name, password, utcnow()))
        if not isinstance(found, staff_service.SignInRefused):
            sign_in_as(found.id, account.appid)
            session["last_appid"] = account.appid
            return redirect(_safe_next(request.form.get("next")))
        error = str(found)
    return page("console/signin.html", 401, appid=appid, next=request.form.get("next", ""), error=error)


@view("/welcome/<code>", Area.READ, methods=("GET", "POST"))
@limiter.limit(SIGN_IN, methods=["POST"])
def welcome(code: str) -> ResponseReturnValue:
    """The one-time link: the new staff member sets a password and is signed in."""
    with tiefen().sessions.begin() as s:
        staff = staff_service.invited(s, code, utcnow())
        if staff is None:
            return page("console/message.html", 404, title="链接已失效", message="请让店主重新生成登录链接。")
        name = staff.name
        if request.method == "GET":
            return page("console/welcome.html", name=name)
        password = request.form.get("password", "")
        if password != request.form.get("again", ""):
            return page("console/welcome.html", 422, name=name, error="两次输入的密码不一致")
        try:
            staff_service.set_password(staff, password)
        except staff_service.StaffProblem as exc:
            return page("console/welcome.html", 422, name=name, error=str(exc))
        staff_id, appid = staff.id, staff_service.appid_of(s, staff)
    sign_in_as(staff_id, appid)
    session["last_appid"] = appid
    return done("密码已设置,欢迎使用", "console.dashboard")


@view("/signout", Area.READ, methods=("POST",))
def sign_out() -> ResponseReturnValue:
    appid = session.get("appid")
    session.clear()
    session["last_appid"] = appid
    return redirect(url_for("console.sign_in"))


@view("/staff", Area.STAFF)
def staff() -> ResponseReturnValue:
    account_id = current().account.id
    people = read(lambda s: staff_service.staff_of(s, account_id))
    keys = read(lambda s: tokens.tokens_of(s, account_id))
    return page("console/staff.html", people=people, keys=keys, roles=ROLE_NAMES)


@view("/staff/add", Area.STAFF, methods=("POST",))
def add_staff() -> ResponseReturnValue:
    name, role = request.form.get("name", ""), request.form.get("role", "")
    if role not in {r.value for r in Role}:
        flash("请选择角色", "error")
        return redirect(url_for("console.staff"))
    try:
        _, code = write(
            lambda s: staff_service.add_staff(s, current().account.id, name, Role(role), utcnow())
        )
    except staff_service.StaffProblem as exc:
        flash(str(exc), "error")
        return redirect(url_for("console.staff"))
    link = f"{tiefen().settings.public_base_url.rstrip('/')}/console/welcome/{code}"
    flash(f"已添加 {name.strip()}。请把一次性登录链接发给 TA:{link}", "ok")
    return redirect(url_for("console.staff"))


@view("/tokens/add", Area.STAFF, methods=("POST",))
def add_token() -> ResponseReturnValue:
    name, role = request.form.get("name", ""), request.form.get("role", "")
    if role not in {r.value for r in Role}:
        flash("请选择角色", "error")
        return redirect(url_for("console.staff"))
    try:
        _, token = write(lambda s: tokens.create_token(s, current().account.id, name, Role(role), utcnow()))
    except tokens.TokenProblem as exc:
        flash(str(exc), "error")
        return redirect(url_for("console.staff"))
    flash(f"令牌「{name.strip()}」已创建,只显示这一次,请立即保存:{token}", "ok")
    return redirect(url_for("console.staff"))


@view("/tokens/<id:token_id>/revoke", Area.STAFF, methods=("POST",))
def revoke_token(token_id: int) -> ResponseReturnValue:
    found = write(lambda s: tokens.revoke(s, current().account.id, token_id, utcnow()))
    if found is None:
        flash("令牌不存在", "error")
        return redirect(url_for("console.staff"))
    return done("令牌已停用", "console.staff")


@view("/tokens/<id:token_id>/rotate", Area.STAFF, methods=("POST",))
def rotate_token(token_id: int) -> ResponseReturnValue:
    found = write(lambda s: tokens.rotate(s, current().account.id, token_id, utcnow()))
    if found is None:
        flash("令牌不存在", "error")
        return redirect(url_for("console.staff"))
    flash(f"已更换令牌「{found[0].name}」,旧令牌立即失效。新令牌只显示这一次:{found[1]}", "ok")
    return redirect(url_for("console.staff"))


@view("/audit", Area.STAFF)
def audit() -> ResponseReturnValue:
    actor, action = request.args.get("actor") or None, request.args.get("action") or None
    target = request.args.get("record") or None
    before = request.args.get("before", type=int)
    rows = read(
        lambda s: audit_service.entries(
            s,
            current().account.id,
            actor=actor,
            action=action,
            record_prefix=target,
            before_id=before,
            limit=50,
        )
    )
    older = rows[-1].id if len(rows) == 50 else None
    return page(
        "console/audit.html",
        rows=rows,
        older=older,
        actor=actor or "",
        action=action or "",
        record=target or "",
    )
