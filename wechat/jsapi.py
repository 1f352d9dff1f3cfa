"""WeChat's JS-SDK on the server: the account's jsapi_ticket and a page's `wx.config` signature.

The ticket lives where the access token does (the client's Redis session storage, `tiefen:wechat:`),
so every web process and worker shares one: WeChat limits `getticket` calls a day. It is kept for
its lifetime less TICKET_MARGIN, so a page never signs with a ticket about to expire; one process
asks WeChat while the others wait on a Redis lock. wechatpy repeats a `getticket` answered 40001 or
42001 with a fresh access token. When WeChat cannot be had, nobody asks again for FAILURE_PAUSE
seconds: pages render without the SDK instead of each waiting on a WeChat that is down.
"""

from __future__ import annotations

import hashlib
import secrets
from contextlib import suppress
from typing import Any

import requests
from redis.exceptions import LockError, RedisError
from wechatpy.exceptions import WeChatClientException

TICKET_MARGIN = 300  # seconds before WeChat's expiry that a ticket is replaced
FAILURE_PAUSE = 30  # seconds nobody asks WeChat again after it failed
LOCK_SECONDS = 10  # the longest one process may hold the right to ask
WAIT_SECONDS = 3  # how long the others wait for its answer
SHARE_APIS = (
    "updateAppMessageShareData",
    "updateTimelineShareData",
    "onMenuShareAppMessage",
    "onMenuShareTimeline",
)


class TicketUnavailable(Exception):
    """No jsapi_ticket now: WeChat failed (or failed a moment ago), or another process is still asking."""


def signature(ticket: str, noncestr: str, timestamp: int | str, url: str) -> str:
    """`wx.config`'s signature: sha1 of the four fields as `key=value`, sorted by key, joined by `&`.

    `url` is the page's whole URL as the browser has it, without the `#fragment`.
    """
    fields = {"jsapi_ticket": ticket, "noncestr": noncestr, "timestamp": str(timestamp), "url": url}
    plain = "&".join(f"{key}={fields[key]}" for key in sorted(fields))
    return hashlib.sha1(plain.encode("utf-8")).hexdigest()


def page_config(client: Any, url: str, now: int, apis: tuple[str, ...] = SHARE_APIS) -> dict[str, Any]:
    """The arguments of `wx.config` for the page at `url`; raises TicketUnavailable."""
    url = url.split("#", 1)[0]
    nonce = secrets.token_urlsafe(12)
    return {
        "debug": False,
        "appId": client.appid,
        "timestamp": now,
        "nonceStr": nonce,
        "signature": signature(jsapi_ticket(client), nonce, now, url),
        "jsApiList": list(apis),
    }


# what WeChat's client says when wx.config fails (wx.error's errMsg after "config:"), by kind
CONFIG_ERRORS = {
    "invalid url domain": "invalid_url_domain",  # the page's domain is not a JS接口安全域名 of the account
    "invalid signature": "invalid_signature",  # signed for another address, or with a stale ticket
    "the permission value is offline verifying": "offline_verifying",  # not verified: outside WeChat
    "permission denied": "permission_denied",  # the account lacks the share APIs' permission
}


def config_error(err_msg: str) -> str:
    """The kind of a failed `wx.config`, from wx.error's errMsg (`config:invalid signature`): one of
    CONFIG_ERRORS' kinds, or `other` (a bounded set: it labels a metric)."""
    said = err_msg.split(":", 1)[-1].strip().lower()
    return next((kind for text, kind in CONFIG_ERRORS.items() if said.startswith(text)), "other")


def jsapi_ticket(client: Any) -> str:
    """The account's jsapi_ticket: the shared one, or one fetched by one process for all."""
    storage = client.session  # wechatpy's RedisStorage, as for the access token
    key = f"{client.appid}_jsapi_ticket"
    try:
        found = storage.get(key)
        if found:
            return str(found)
        if storage.get(f"{key}_failed"):
            raise TicketUnavailable("WeChat failed a moment ago")
        lock = storage.redis.lock(storage.key_name(f"{key}_lock"), timeout=LOCK_SECONDS)
        if not lock.acquire(blocking_timeout=WAIT_SECONDS):
            return _shared(storage, key, "another process is still asking WeChat")
        try:
            found = storage.get(key)  # fetched while this one waited
            return str(found) if found else _fetch(client, storage, key)
        finally:
            _release(lock)
    except RedisError as exc:
        raise TicketUnavailable(f"Redis: {exc}") from exc


def _fetch(client: Any, storage: Any, key: str) -> str:
    try:
        answer = client.jsapi.get_ticket("jsapi")
        ticket, expires_in = str(answer["ticket"]), int(answer.get("expires_in", 7200))
    except (WeChatClientException, requests.RequestException, KeyError, TypeError, ValueError) as exc:
        storage.set(f"{key}_failed", 1, ttl=FAILURE_PAUSE)
        raise TicketUnavailable(f"getticket: {exc!r}") from exc
    if not ticket:
        storage.set(f"{key}_failed", 1, ttl=FAILURE_PAUSE)
        raise TicketUnavailable("getticket answered no ticket")
    storage.set(key, ticket, ttl=max(expires_in - TICKET_MARGIN, 60))
    return ticket


def _shared(storage: Any, key: str, why: str) -> str:
    found = storage.get(key)
    if not found:
        raise TicketUnavailable(why)
    return str(found)


def _release(lock: Any) -> None:
    with suppress(LockError):  # held past LOCK_SECONDS: it expired, another process may hold it now
        lock.release()
