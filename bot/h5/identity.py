"""Who is the member: a signed link, then the signed session cookie; WeChat's web OAuth otherwise.

Nothing else names a member: a query parameter such as `?openid=` is never read.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from bot.context import tiefen
from bot.h5 import forms, h5, links, oauth
from bot.h5.web import Refused, account_or_404
from services.accounts.registry import AccountRef

log = logging.getLogger(__name__)
SESSION_KEY, NONCE_KEY, ASIDE_KEY = "h5", "h5_n", "h5_aside"
# query parameters kept in the session while WeChat's OAuth runs: its state holds 128 bytes, and a
# share link's signed `from` would push the page out of it (oauth.MAX_PAGE)
SET_ASIDE = (links.SHARE_PARAM,)
PageHook = Callable[["Visitor"], None]
View = Callable[..., ResponseReturnValue]  # a page, `view(me, ...)`, or its wrapper `view(appid, ...)`
_OPENED: list[PageHook] = []


@dataclass(frozen=True)
class Visitor:
    account: AccountRef
    openid: str


def remember(account: AccountRef, openid: str) -> None:
    session[SESSION_KEY] = {"a": account.id, "o": openid}


def remembered(account: AccountRef) -> str | None:
    data = session.get(SESSION_KEY)
    if isinstance(data, dict) and data.get("a") == account.id and isinstance(data.get("o"), str):
        return str(data["o"])
    return None


def on_page_opened(hook: PageHook) -> PageHook:
    """Run `hook(me)` as each member page opens, before its view (tracking.py counts the read)."""
    if hook in _OPENED:
        raise RuntimeError(f"{hook.__name__} is registered twice")
    _OPENED.append(hook)
    return hook


def member_page(view: View) -> View:
    """A GET page: `view(me: Visitor, **kwargs)`; a `?t=` link is checked, stored, then dropped
    (the rest of the query, a share link's `?from=` too, survives the redirect)."""

    @wraps(view)
    def wrapper(appid: str, **kwargs: Any) -> ResponseReturnValue:
        account = account_or_404(appid)
        here = _relative_page(appid)
        if "t" in request.args:
            openid = links.read_member(tiefen().settings.secret_key, request.args["t"], account.id)
            if openid is None:
                raise Refused(403, "链接无效或已过期", retry=f"{h5.url_prefix}/{appid}/{here}")
            remember(account, openid)
            return redirect(f"{h5.url_prefix}/{appid}/{here}", 303)  # a forwarded page carries no token
        openid = remembered(account)
        if openid is None:
            return _to_wechat(account, _set_aside(here))
        me = Visitor(account, openid)
        for hook in _OPENED:
            hook(me)
        return view(me, **kwargs)

    return wrapper


def member_action(purpose: str) -> Callable[[View], View]:
    """A POST: the session's member and a form token for `purpose` ("redeem:{reward_id}")."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(appid: str, **kwargs: Any) -> ResponseReturnValue:
            account = account_or_404(appid)
            openid = remembered(account)
            if openid is None:
                raise Refused(403, "请从公众号菜单重新打开页面后再操作。")
            token = request.form.get(forms.FIELD)
            wanted = purpose.format(**kwargs)
            key = forms.key_of(tiefen().settings.secret_key, token, account.id, openid, wanted)
            if key is None:
                raise Refused(403, "页面已过期，请返回刷新后再试。")
            return view(Visitor(account, openid), key, **kwargs)

        return wrapper

    return decorate


def page_arg(name: str) -> str | None:
    """This page's query parameter `name` (one of SET_ASIDE): from the URL, or set aside for this
    page before WeChat's OAuth (taken once)."""
    value = request.args.get(name)
    if value is not None:
        return value
    aside = session.get(ASIDE_KEY)
    if not isinstance(aside, dict) or aside.get("path") != request.path:
        return None
    session.pop(ASIDE_KEY)
    kept = aside.get(name)
    return kept if isinstance(kept, str) else None


def form_token(me: Visitor, purpose: str) -> str:
    return forms.issue(tiefen().settings.secret_key, me.account.id, me.openid, purpose)


@h5.get("/<appid>/oauth")
def oauth_callback(appid: str) -> Response:
    """WeChat sends the member back here with a code: learn the openid, then go to the page."""
    account = account_or_404(appid)
    settings = tiefen().settings
    state = oauth.read_state(settings.secret_key, request.args.get("state"))
    nonce = session.get(NONCE_KEY)
    if state is None or state.account_id != account.id or not nonce or state.nonce != nonce:
        raise Refused(403, "授权已失效，请从公众号菜单重新打开页面。")
    code = request.args.get("code")
    if not code or len(code) > 512:
        raise Refused(403, "未获得微信授权，请从公众号菜单重新打开页面。")
    try:
        openid = oauth.exchange(settings, account, code)
    except oauth.OAuthFailed as exc:
        log.warning("web OAuth failed for %s: %s", account.appid, exc.reason)
        message = "微信授权失败，请从公众号菜单重新打开页面。" if exc.status == 403 else None
        raise Refused(exc.status, message) from None
    remember(account, openid)
    return redirect(f"{h5.url_prefix}/{appid}/{state.page}")


def _to_wechat(account: AccountRef, here: str) -> Response:
    """Send the browser to WeChat's authorize page; it comes back to `oauth_callback` with a code."""
    settings = tiefen().settings
    nonce = session.setdefault(NONCE_KEY, secrets.token_urlsafe(6))
    state = oauth.sign_state(settings.secret_key, oauth.State(account.id, here, nonce))
    return redirect(oauth.authorize_url(settings, account, _callback_url(account), state))


def _callback_url(account: AccountRef) -> str:
    """On PUBLIC_BASE_URL, never on the request's Host header (which whoever sends the request
    chooses): WeChat would carry the member's code to that host. Every link Tiefen sends is on
    PUBLIC_BASE_URL, so the session cookie lives there too."""
    path = url_for("h5.oauth_callback", appid=account.appid)
    return tiefen().settings.public_base_url.rstrip("/") + path


def _set_aside(here: str) -> str:
    """`here` without the SET_ASIDE parameters, which wait in the session for the page's return."""
    aside = {k: v for k in SET_ASIDE if (v := request.args.get(k)) is not None}
    if not aside:
        return here
    session[ASIDE_KEY] = {"path": request.path, **{k: v for k, v in aside.items() if len(v) <= 256}}
    path, _, query = here.partition("?")
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in aside]
    return f"{path}?{urlencode(kept)}" if kept else path


def _relative_page(appid: str) -> str:
    """This page relative to /h5/<appid>/, with its query but without a `t` token."""
    path = request.path[len(f"{h5.url_prefix}/{appid}/") :]
    query = [(k, v) for k, v in request.args.items(multi=True) if k != "t"]
    return f"{path}?{urlencode(query)}" if query else path
