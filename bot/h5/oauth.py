"""WeChat web OAuth (网页授权, snsapi_base): the authorize URL, its signed state, the code exchange.

wechatpy's WeChatOAuth can be pointed at the simulator, but it sets no timeout on its requests;
two plain GETs are shorter than working around that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
from itsdangerous import BadData, URLSafeTimedSerializer

from config import REAL_WECHAT_API, Settings
from services.accounts.registry import AccountRef

STATE_SALT = "tiefen-h5-oauth"
STATE_MAX_AGE = 600  # seconds from leaving for WeChat to coming back with a code
MAX_PAGE = 64  # WeChat keeps at most 128 bytes of state: a longer page returns to the member centre
OPEN_BASE = "https://open.weixin.qq.com"
TIMEOUT = 5.0


class OAuthFailed(Exception):
    """The code exchange failed: `status` 403 (WeChat refused the code) or 502 (WeChat unreachable)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class State:
    account_id: int
    page: str  # where to return, relative to /h5/<appid>/
    nonce: str  # the browser session's: a code fetched for one browser is no good in another


def bases(settings: Settings) -> tuple[str, str]:
    """(api_base, open_base): WeChat's two hosts, or the simulator's one for both."""
    api = settings.wechat_api_base.rstrip("/")
    return api, (OPEN_BASE if api == REAL_WECHAT_API else api)


def sign_state(secret_key: str, state: State) -> str:
    page = state.page if len(state.page) <= MAX_PAGE else "member"
    payload = {"a": state.account_id, "p": page, "n": state.nonce}
    return str(URLSafeTimedSerializer(secret_key, salt=STATE_SALT).dumps(payload))


def read_state(secret_key: str, signed: str | None, max_age: int = STATE_MAX_AGE) -> State | None:
    if not signed:
        return None
    try:
        data = URLSafeTimedSerializer(secret_key, salt=STATE_SALT).loads(signed, max_age=max_age)
    except BadData:
        return None
    if not isinstance(data, dict):
        return None
    account_id, page, nonce = data.get("a"), data.get("p"), data.get("n")
    if not (isinstance(account_id, int) and isinstance(page, str) and isinstance(nonce, str)):
        return None
    return State(account_id, page, nonce)


def authorize_url(settings: Settings, account: AccountRef, callback: str, state: str) -> str:
    """WeChat's authorize page, parameters in the order WeChat documents (it checks the order)."""
    _, open_base = bases(settings)
    return (
        f"{open_base}/connect/oauth2/authorize?appid={quote(account.appid, safe='')}"
        f"&redirect_uri={quote(callback, safe='')}&response_type=code&scope=snsapi_base"
        f"&state={quote(state, safe='')}#wechat_redirect"
    )


def exchange(settings: Settings, account: AccountRef, code: str) -> str:
    """The openid WeChat gives for a code (once); OAuthFailed otherwise."""
    if not account.secret:
        raise OAuthFailed(502, "the account has no AppSecret")
    api_base, _ = bases(settings)
    params = {"appid": account.appid, "secret": account.secret, "code": code}
    params["grant_type"] = "authorization_code"
    try:
        answer: Any = requests.get(
            f"{api_base}/sns/oauth2/access_token", params=params, timeout=TIMEOUT
        ).json()
    except (requests.RequestException, ValueError) as exc:
        raise OAuthFailed(502, f"code exchange failed: {type(exc).__name__}") from None
    if not isinstance(answer, dict):
        raise OAuthFailed(502, "code exchange answered no object")
    if answer.get("errcode"):
        raise OAuthFailed(403, f"errcode {answer.get('errcode')}: {answer.get('errmsg')}")
    openid = answer.get("openid")
    if not isinstance(openid, str) or not 0 < len(openid) <= 64:
        raise OAuthFailed(502, "code exchange answered no openid")
    return openid
