"""Web OAuth (网页授权) codes: issued when a member opens an account's page, exchanged once for an openid."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from simulator.errors import ApiError

OAUTH_CODE_TTL = 300.0
SCOPES = frozenset({"snsapi_base", "snsapi_userinfo"})
# Who is browsing: there is no WeChat client to ask, so the phone (or /_sim/login) says it in a cookie.
OPENID_COOKIE = "sim_openid"


@dataclass(frozen=True)
class OAuthGrant:
    """What a code stands for: a member (openid) authorising an account's page with a scope."""

    appid: str
    openid: str
    scope: str
    expires_at: float


class OAuthCodes:
    """Issue and redeem single-use OAuth codes behind one lock; they expire after `ttl` seconds."""

    def __init__(self, ttl: float = OAUTH_CODE_TTL) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._grants: dict[str, OAuthGrant] = {}
        self._used: dict[str, float] = {}  # redeemed code -> when it would have expired

    def issue(self, appid: str, openid: str, scope: str) -> str:
        """Return a fresh code for a member authorising an account's page."""
        code = secrets.token_hex(16)
        now = time.time()
        with self._lock:
            self._grants = {key: g for key, g in self._grants.items() if g.expires_at > now}
            self._used = {key: until for key, until in self._used.items() if until > now}
            self._grants[code] = OAuthGrant(appid, openid, scope, now + self.ttl)
            return code

    def redeem(self, appid: str, code: str) -> OAuthGrant:
        """Consume a code issued to the account; raise 40163 when it was used, 40029 when invalid."""
        with self._lock:
            if code in self._used:
                raise ApiError(40163)
            grant = self._grants.get(code)
            if grant is None or grant.appid != appid or grant.expires_at <= time.time():
                raise ApiError(40029)
            del self._grants[code]
            self._used[code] = grant.expires_at
            return grant

    def clear(self) -> None:
        """Forget every code."""
        with self._lock:
            self._grants.clear()
            self._used.clear()


def with_code(redirect_uri: str, code: str, state: str) -> str:
    """Append code and state to a redirect URI's own query, before any #fragment, as WeChat does."""
    parts = urlsplit(redirect_uri)
    extra = urlencode({"code": code, "state": state})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))
