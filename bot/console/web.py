"""What every console page shares: the signed-in staff member, CSRF, the permission check, pages,
flash messages in Chinese and safe headers."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from bot.access import Forbidden, Principal, enforce, guard
from bot.console import console
from bot.context import tiefen
from bot.db import Conflict
from rules.accounts.member_numbers import member_number
from rules.accounts.roles import ROLE_NAMES, Area, may
from services.accounts.audit import Actor
from services.accounts.staff import active_staff

PUBLIC = {"console.sign_in", "console.welcome", "console.wechat_sign_in", "console.wechat_back"}
MAX_BODY = 3 * 1024 * 1024  # the largest picture (2 MB) and its form
NAV = (  # (endpoint, label, area): the sections, shown to the roles that may use them
    ("console.dashboard", "概览", Area.READ),
    ("console.members", "会员", Area.READ),
    ("console.till", "收银", Area.TILL),
    ("console.redemptions", "核销", Area.TILL),
    ("console.programme", "积分规则", Area.PROGRAMME),
    ("console.rewards", "积分商城", Area.PROGRAMME),
    ("console.referrals", "推荐", Area.READ),
    ("console.channels", "渠道码", Area.READ),
    ("console.segments", "分层与 KOL", Area.READ),
    ("console.campaigns", "营销活动", Area.READ),
    ("console.staff", "员工与令牌", Area.STAFF),
    ("console.audit", "操作日志", Area.STAFF),
)


def view(rule: str, area: Area, methods: tuple[str, ...] = ("GET",)) -> Callable[[Callable[..., Any]], Any]:
    """Register a page and put it on the permission map with its area."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        console.add_url_rule(rule, fn.__name__, fn, methods=list(methods))
        guard(f"console.{fn.__name__}", area)
        return fn

    return register


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    token: str = session["csrf"]
    return token


def sign_in_as(staff_id: int, appid: str) -> None:
    """A fresh session (a new CSRF token too) for a staff member who just proved who they are."""
    session.clear()
    session.permanent = True
    session.update(staff=staff_id, appid=appid)
    csrf_token()


def principal_of_session() -> Principal | None:
    staff_id, appid = session.get("staff"), session.get("appid")
    if not isinstance(staff_id, int) or not isinstance(appid, str):
        return None
    account = tiefen().accounts.get(appid)
    with tiefen().sessions() as s:
        staff = active_staff(s, staff_id)
    if account is None or staff is None or staff.account_id != account.id:
        return None
    return Principal(account, staff.role, Actor(staff.name, "staff", request.remote_addr))


@console.before_request
def signed_in() -> ResponseReturnValue | None:
    request.max_content_length = MAX_BODY  # a form (a picture at most) is refused past this, unread
    if any("\x00" in v for v in [request.path, *request.args.values(), *request.form.values()]):
        return page(
            "console/message.html", 400, title="请求有误", message="内容含有无效字符。"
        )  # no column takes NUL
    if request.method == "POST" and not hmac.compare_digest(
        str(request.form.get("csrf_token", "")), str(session.get("csrf", "-"))
    ):
        return page("console/message.html", 400, title="请求已过期", message="页面已过期,请刷新后重试。")
    if request.endpoint in PUBLIC:
        return None
    principal = principal_of_session()
    if principal is None:
        session.clear()
        return redirect(url_for("console.sign_in", next=request.full_path.rstrip("?")))
    g.principal = principal
    try:
        enforce(request.endpoint, principal)
    except Forbidden as exc:
        return page("console/message.html", 403, title="无权访问", message=str(exc))
    return None


def page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    me = g.get("principal")
    built = current_app.view_functions
    nav = [(e, label) for e, label, area in NAV if me is not None and may(me.role, area) and e in built]
    return render_template(
        f"h5/{template}",
        status=status,
        nonce=nonce(),
        csrf=csrf_token(),
        me=me,
        role_name=ROLE_NAMES.get(me.role, "") if me else "",
        nav=nav,
        **context,
    ), status


def done(message: str, endpoint: str, **values: Any) -> ResponseReturnValue:
    """After a change: say so, and go back (post/redirect/get)."""
    flash(message, "ok")
    return redirect(url_for(endpoint, **values))


def nonce() -> str:
    if "console_nonce" not in g:
        g.console_nonce = secrets.token_urlsafe(12)
    value: str = g.console_nonce
    return value


@console.errorhandler(Conflict)
def conflict(exc: Conflict) -> tuple[str, int]:
    return page("console/message.html", 409, title="请重试", message="有人同时修改了同一内容,请刷新后重试。")


@console.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> tuple[str, int]:
    titles = {404: "页面不存在", 405: "请求有误", 413: "内容过大", 429: "尝试次数过多,请稍后再试"}
    return page(
        "console/message.html", exc.code or 500, title=titles.get(exc.code or 0, "出错了"), message=""
    )


@console.after_request
def locked_down(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        f"script-src 'self' 'nonce-{nonce()}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    return response


@console.app_template_filter("local_time")
def local_time(at: datetime | None) -> str:
    """A time as the merchant reads it: in the account's zone, to the minute."""
    me = g.get("principal")
    if at is None:
        return "—"
    zone = ZoneInfo(me.account.timezone if me else "Asia/Shanghai")
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


@console.app_template_filter("yuan")
def yuan(fen: int | None) -> str:
    """Money in yuan, as merchants read it: ¥12.80."""
    return "—" if fen is None else f"¥{fen / 100:,.2f}"


@console.app_template_filter("member_number")
def member_number_filter(member_id: int) -> str:
    return member_number(member_id)
