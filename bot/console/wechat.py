"""Staff sign in with WeChat on their phone (snsapi_base web OAuth): once bound to their WeChat by a
signed-in visit, the staff member's openid signs them in without a password."""

from __future__ import annotations

import secrets

from flask import g, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from bot.access import current
from bot.console.web import done, page, principal_of_session, sign_in_as, view
from bot.context import tiefen
from bot.db import read, write
from bot.h5 import oauth
from rules.accounts.roles import Area
from services.accounts import staff as staff_service
from services.accounts.registry import AccountRef, appid_by_id

SIGN_IN, BIND = "console:signin", "console:bind"


def _refused(status: int, title: str, message: str = "") -> ResponseReturnValue:
    return page("console/message.html", status, title=title, message=message)


def _leave_for_wechat(account: AccountRef, purpose: str) -> ResponseReturnValue:
    if not account.secret:
        return _refused(404, "无法使用微信登录", "该公众号未配置 AppSecret。")
    nonce = secrets.token_urlsafe(12)
    session["oauth_nonce"] = nonce
    state = oauth.sign_state(tiefen().settings.secret_key, oauth.State(account.id, purpose, nonce))
    back = tiefen().settings.public_base_url.rstrip("/") + url_for("console.wechat_back")
    return redirect(oauth.authorize_url(tiefen().settings, account, back, state))


@view("/wechat", Area.READ)
def wechat_sign_in() -> ResponseReturnValue:
    """Sign in with WeChat: off to WeChat's authorize page for the account named by ?appid=."""
    account = tiefen().accounts.get(request.args.get("appid", "").strip() or None)
    if account is None:
        return _refused(404, "无法使用微信登录", "请在登录页填写公众号 AppID。")
    return _leave_for_wechat(account, SIGN_IN)


@view("/wechat/bind", Area.READ, methods=("POST",))
def wechat_bind() -> ResponseReturnValue:
    """A signed-in staff member binds their WeChat, to sign in with it from now on."""
    return _leave_for_wechat(current().account, BIND)


@view("/wechat/back", Area.READ)
def wechat_back() -> ResponseReturnValue:
    """WeChat's redirect with a code: bind it to the signed-in staff member, or sign in its owner."""
    state = oauth.read_state(tiefen().settings.secret_key, request.args.get("state"))
    nonce = session.pop("oauth_nonce", None)
    if state is None or state.page not in (SIGN_IN, BIND) or not nonce or state.nonce != nonce:
        return _refused(403, "登录已过期", "请回到登录页重新用微信登录。")
    appid = read(lambda s: appid_by_id(s, state.account_id))
    account = tiefen().accounts.get(appid) if appid else None
    if account is None:
        return _refused(404, "公众号不存在")
    try:
        openid = oauth.exchange(tiefen().settings, account, request.args.get("code", ""))
    except oauth.OAuthFailed as exc:
        return _refused(exc.status, "微信登录失败", "请稍后重试。")
    if state.page == BIND:
        return _bind(account, openid)
    found = read(lambda s: staff_service.by_openid(s, account.id, openid))
    if found is None:
        return _refused(
            403, "未绑定员工", "此微信尚未绑定员工账号,请先用密码登录,再在「员工与令牌」中绑定微信。"
        )
    sign_in_as(found.id, account.appid)
    session["last_appid"] = account.appid
    return redirect(url_for("console.dashboard"))


def _bind(account: AccountRef, openid: str) -> ResponseReturnValue:
    principal = principal_of_session()
    if principal is None or principal.account.id != account.id:
        return redirect(url_for("console.sign_in"))
    g.principal = principal
    staff_id = session["staff"]

    def save(s: Session) -> None:
        staff_service.bind_openid(s, staff_id, openid)

    write(save)
    return done("已绑定微信,下次可用微信直接登录", "console.dashboard")
