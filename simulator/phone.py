"""The customer side for H5 pages: a member's phone opening an account's pages inside WeChat."""

from __future__ import annotations

from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.cookies import create_cookie

from simulator.oauth import OPENID_COOKIE
from simulator.users import is_valid_openid

WECHAT_USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
)


class Phone:
    """A member's phone: a browser the simulator's authorize page recognises as `openid`.

    The session carries the sim_openid cookie for the simulator's host and port only (the project under
    test never sees it) and follows redirects, so a page that sends the phone through WeChat's web OAuth
    comes back with a code for this member.
    """

    def __init__(
        self, sim_url: str, openid: str, session: requests.Session | None = None, timeout: float = 10.0
    ) -> None:
        if not is_valid_openid(openid):
            raise ValueError(f"not a valid openid: {openid!r}")
        self.sim_url = sim_url.rstrip("/")
        self.openid = openid
        self.timeout = timeout
        self._owns_session = session is None
        self.session = requests.Session() if session is None else session
        self.session.cookies.set_cookie(self._openid_cookie())

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        """GET a URL as the member's in-WeChat browser."""
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        """POST to a URL as the member's in-WeChat browser."""
        return self.request("POST", url, **kwargs)

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send a request with WeChat's User-Agent (unless overridden) and the phone's timeout."""
        kwargs["headers"] = {"User-Agent": WECHAT_USER_AGENT, **(kwargs.get("headers") or {})}
        kwargs.setdefault("timeout", self.timeout)
        return self.session.request(method, url, **kwargs)

    def close(self) -> None:
        """Close the session if the phone created it."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> Phone:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _openid_cookie(self) -> Any:
        """Build the sim_openid cookie, restricted to the simulator's host (and port when it has one)."""
        parts = urlsplit(self.sim_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not a simulator URL: {self.sim_url!r}")
        port = str(parts.port) if parts.port else None
        return create_cookie(OPENID_COOKIE, self.openid, domain=parts.hostname, path="/", port=port)
