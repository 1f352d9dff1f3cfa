"""Reads and shares of the member pages (seed 004's influence).

Every member page opened counts as a read, once per reader per page per day; a `?from=` share
link credits the member who shared it. The page carries its visitor's own share link for the
JS-SDK (configured by jssdk.py) and posts to `/h5/<appid>/shared` when WeChat says it was shared.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g, jsonify, request, url_for
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

import metrics
from bot.context import tiefen
from bot.h5 import forms, h5, jssdk, links
from bot.h5.identity import Visitor, form_token, on_page_opened, page_arg, remembered
from bot.h5.profile import member_profile
from bot.h5.web import account_or_404
from models import utcnow
from services.accounts import members
from services.accounts.registry import AccountRef
from services.referrals import shares
from tasks import wake_drainer
from wechat.jsapi import config_error

log = logging.getLogger(__name__)
PURPOSE = "share"  # the form token the page's script sends with a share
REFUSALS = {
    "target": "分享方式不正确。",
    "page": "分享的页面不存在。",
    "daily_limit": f"今天的分享已记录 {shares.DAILY_SHARES} 次，本次不再计入。",
    "not_member": "关注公众号成为会员后，分享才会计入。",
}


@on_page_opened
def count_read(me: Visitor) -> None:
    """Count this read (one statement); a bad or foreign `from` token just credits nobody."""
    page = _page_path(me.account.appid, request.path)
    if page is None:
        return
    g.h5_page = page
    secret = tiefen().settings.secret_key
    sharer = links.read_share(secret, page_arg(links.SHARE_PARAM), me.account.id)
    try:
        with tiefen().sessions.begin() as session:
            counted = shares.record_view(
                session, me.account.id, me.openid, page, utcnow(), me.account.timezone, sharer
            )
    except SQLAlchemyError:  # a read not counted must not cost the member their page
        log.warning("read of %s by %s not counted", page, me.openid, exc_info=True)
        return
    if counted and sharer is not None:
        wake_drainer()  # the sharer's share_read points (a read of one's own share has no event)


@dataclass(frozen=True)
class ShareConfig:
    url: str  # the visitor's own share link for this page (path and query)
    page: str
    post: str  # where the page tells us it was shared
    failed: str  # where the page tells us wx.config failed (wx.error)
    key: str  # the form token that post carries
    card: dict[str, str]  # the share card: link (absolute), desc, imgUrl
    wechat: dict[str, Any] | None  # wx.config's arguments, signed for this page; None: no ticket now
    sdk: str  # where the JS-SDK is served


@h5.app_template_global()
def share_of(me: object) -> ShareConfig | None:
    """What a member page needs to share itself as the visitor's; None off member pages and for
    visitors who are not members (nobody to credit)."""
    page = g.get("h5_page")
    found = member_profile(me) if page is not None else None
    if found is None or not isinstance(me, Visitor):
        return None
    absolute = links.share_link(me.account, found.member_id, page)
    link = urlsplit(absolute)
    return ShareConfig(
        url=f"{link.path}?{link.query}",
        page=page,
        post=url_for("h5.shared", appid=me.account.appid),
        failed=url_for("h5.sdk_failed", appid=me.account.appid),
        key=form_token(me, PURPOSE),
        card=jssdk.card(me.account, absolute),  # on PUBLIC_BASE_URL, the JS-safe domain
        wechat=jssdk.signed_config(me.account),
        sdk=jssdk.sdk_src(),
    )


@h5.post("/<appid>/shared")
def shared(appid: str) -> tuple[Response, int]:
    """The page says it was shared (form or JSON: page, target, request_key); 200 also when the
    share is not counted, with why."""
    account, openid, fields = _from_the_page(appid)
    if openid is None:
        return _answer(403, False, "expired", "页面已过期，请刷新后再分享。")
    page = _routed_page(appid, _str(fields.get("page")) or "")
    if page is None:
        return _answer(400, False, "page", REFUSALS["page"])
    with tiefen().runtime.job_sessions.begin() as session:
        member_id = members.member_id_of(session, account.id, openid)
        if member_id is None:
            return _answer(200, False, "not_member", REFUSALS["not_member"])
        target = _str(fields.get("target")) or ""
        outcome = shares.record_share(
            session, account.id, (member_id, openid), page, target, utcnow(), account.timezone
        )
    if outcome.reason is None:
        wake_drainer()  # after commit: the share's points
        return _answer(200, True, None, "已记录分享。")
    return _answer(
        400 if outcome.reason == "target" else 200, False, outcome.reason, REFUSALS[outcome.reason]
    )


@h5.post("/<appid>/sdk-failed")
def sdk_failed(appid: str) -> tuple[Response, int]:
    """The page's `wx.config` failed on the member's phone (wx.error; form or JSON: errMsg, page,
    request_key): counted by kind (tiefen_h5_sdk_errors_total) and logged for the operator, since
    shares go uncounted meanwhile. Nothing is stored; the page's form token is required."""
    _, openid, fields = _from_the_page(appid)
    if openid is None:
        return _answer(403, False, "expired", "页面已过期，请刷新。")
    said = (_str(fields.get("errMsg")) or "")[:200]
    kind = config_error(said)
    metrics.H5_SDK_ERRORS.labels(kind).inc()
    page = (_str(fields.get("page")) or "")[:100]
    log.warning("wx.config failed on %s's page %r: %s (%r)", appid, page, kind, said)
    return _answer(200, True, kind, "已记录。")


def _from_the_page(appid: str) -> tuple[AccountRef, str | None, dict[str, Any]]:
    """The account, the visitor's openid and the post's fields; the openid is None unless the post
    carries the form token of a page this visitor opened (a share's, or wx.error's)."""
    account = account_or_404(appid)
    fields = _fields()
    openid = remembered(account)
    secret = tiefen().settings.secret_key
    if (
        openid is None
        or forms.key_of(secret, _str(fields.get(forms.FIELD)), account.id, openid, PURPOSE) is None
    ):
        return account, None, fields
    return account, openid, fields


def _page_path(appid: str, path: str) -> str | None:
    """`reviews/new` for /h5/<appid>/reviews/new; None for what is not a page (the poster image)."""
    page = path[len(f"{h5.url_prefix}/{appid}/") :].strip("/")
    if not page or "." in page.rsplit("/", 1)[-1]:
        return None
    return page


def _routed_page(appid: str, raw: str) -> str | None:
    """The page a share names, when it is one of this account's H5 pages a member can open."""
    page = _page_path(appid, f"{h5.url_prefix}/{appid}/{raw.split('?', 1)[0]}")
    if page is None or len(page) > shares.MAX_PAGE:
        return None
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, _ = adapter.match(f"{h5.url_prefix}/{appid}/{page}", method="GET")
    except HTTPException:  # no such page, not a GET, or a redirect to another spelling
        return None
    return page if endpoint.startswith("h5.") and endpoint != "h5.oauth_callback" else None


def _fields() -> dict[str, Any]:
    if request.is_json:
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else {}
    return request.form.to_dict()


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and len(value) <= 512 else None


def _answer(status: int, recorded: bool, reason: str | None, message: str) -> tuple[Response, int]:
    return jsonify(recorded=recorded, reason=reason, message=message), status
