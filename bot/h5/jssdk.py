"""WeChat's JS-SDK on the pages that share: `wx.config` signed for the page's own URL, and the card.

The URL signed is PUBLIC_BASE_URL + the path + the query, as the member's phone has it (never the
Host header, which anyone can set); WeChat requires it to be on the account's JS-safe domain, as
the share link is. When no ticket can be had the page renders without the SDK (logged), never a 500.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import quote

from flask import request, url_for

from bot.context import tiefen
from bot.h5.assets import ICON, SDK
from services.accounts.registry import AccountRef
from wechat.client import client_for
from wechat.jsapi import TicketUnavailable, page_config

log = logging.getLogger(__name__)
TICKET_TIMEOUT = 3.0  # seconds a page waits on WeChat for the ticket, when no process has one


def signed_config(account: AccountRef) -> dict[str, Any] | None:
    """`wx.config`'s arguments for this request's page; None when no ticket can be had now."""
    if not account.secret:
        return None
    t = tiefen()
    client = client_for(
        account.appid, account.secret, t.settings.wechat_api_base, t.runtime.redis, TICKET_TIMEOUT
    )
    try:
        return page_config(client, page_url(t.settings.public_base_url), int(time.time()))
    except TicketUnavailable as exc:
        log.warning("no wx.config for %s: %s", account.appid, exc)
        return None


def page_url(public_base_url: str) -> str:
    """This page's URL as the member's phone has it: the public base, the path, the query."""
    query = request.query_string.decode("latin-1")
    path = quote(request.path, safe="/:@!$&'()*+,;=-._~")
    return public_base_url.rstrip("/") + path + (f"?{query}" if query else "")


def card(account: AccountRef, link: str) -> dict[str, str]:
    """What a friend sees of the share (the page's title is added in the browser)."""
    return {
        "desc": f"{account.name}会员专享：签到、评价、邀请好友赚积分，积分兑换好礼。",
        "link": link,
        "imgUrl": public_url(url_for("h5_assets.static", filename=ICON)),
    }


def sdk_src() -> str:
    return url_for("h5_assets.static", filename=SDK)


def public_url(path: str) -> str:
    return tiefen().settings.public_base_url.rstrip("/") + path
