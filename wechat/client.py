"""wechatpy's WeChatClient with a configurable base URL and its access token shared in Redis."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests
from redis import Redis
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from metrics import WECHAT_ERRORS
from wechat.errors import QrImageUnavailable

REAL_HOSTS = ("https://api.weixin.qq.com", "https://mp.weixin.qq.com")


class TiefenClient(WeChatClient):  # type: ignore[misc]
    """Every URL wechatpy builds for api.weixin.qq.com goes to `api_base` instead.

    Production leaves `api_base` at the real host; development and tests set the simulator's.
    """

    def __init__(self, appid: str, secret: str, api_base: str, storage: Any, timeout: float = 5.0) -> None:
        super().__init__(appid, secret, session=storage, timeout=timeout)
        self.api_base = api_base.rstrip("/")
        self.API_BASE_URL = self._rebase(WeChatClient.API_BASE_URL)
        settle_environment(self._http, self.api_base)
        for scheme in ("https://", "http://"):
            self._http.mount(scheme, _TimeoutAdapter(timeout))

    def _rebase(self, url: str) -> str:
        if self.api_base in REAL_HOSTS:  # production: each URL stays on its own host
            return url
        for host in REAL_HOSTS:
            if url.startswith(host):
                return self.api_base + url[len(host) :]
        return url

    def _request(self, method: str, url_or_endpoint: str, **kwargs: Any) -> Any:
        if "api_base_url" in kwargs:
            kwargs["api_base_url"] = self._rebase(kwargs["api_base_url"])
        try:
            return super()._request(method, self._rebase(url_or_endpoint), **kwargs)
        except requests.Timeout:
            WECHAT_ERRORS.labels("timeout").inc()
            raise

    def _handle_result(self, res: Any, *args: Any, **kwargs: Any) -> Any:
        """wechatpy's, with each error WeChat answered counted by its code (metrics)."""
        try:
            return super()._handle_result(res, *args, **kwargs)
        except WeChatClientException as exc:
            WECHAT_ERRORS.labels(str(exc.errcode)[:16]).inc()
            raise

    def fetch_access_token(self) -> Any:
        params = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
        return self._fetch_access_token(url=f"{self.api_base}/cgi-bin/token", params=params)


class _TimeoutAdapter(HTTPAdapter):
    """Every call gets the client's timeout: wechatpy passes none when it fetches the access token,
    and a WeChat that hangs must not hang the page or job waiting on it."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def send(
        self,
        request: PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> Response:
        timeout = self.timeout if timeout is None else timeout
        return super().send(request, stream, timeout, verify, cert, proxies)


def settle_environment(http: requests.Session, api_base: str) -> None:
    """Take the proxy and CA settings from the environment once, for the API's host, instead of on
    every call: requests scans the whole environment per request when `trust_env` is on, a fifth
    of a customer-service send's CPU. requests' own merge reads them (HTTPS_PROXY / NO_PROXY,
    REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE), exactly as it would have on each call."""
    found = http.merge_environment_settings(api_base + "/", {}, None, None, None)
    http.proxies, http.verify = found["proxies"], found["verify"]
    http.trust_env = False


def showqrcode_url(api_base: str, ticket: str) -> str:
    """Where a code's image is: mp.weixin.qq.com in production, the simulator in development."""
    base = api_base.rstrip("/")
    host = "https://mp.weixin.qq.com" if base in REAL_HOSTS else base
    return f"{host}/cgi-bin/showqrcode?ticket={quote(ticket, safe='')}"


def qrcode_image(api_base: str, ticket: str, timeout: float = 10.0) -> bytes:
    """A code's image from showqrcode (no access token needed); QrImageUnavailable when WeChat
    answers an error (a JSON errcode, a 404 for a bad ticket) or does not answer."""
    try:
        answer = requests.get(showqrcode_url(api_base, ticket), timeout=timeout)
    except requests.RequestException as exc:
        raise QrImageUnavailable(f"showqrcode: {exc}") from exc
    if answer.status_code != 200 or not answer.headers.get("Content-Type", "").startswith("image/"):
        raise QrImageUnavailable(f"showqrcode answered {answer.status_code}: {answer.text[:200]}")
    return answer.content


def client_for(appid: str, secret: str, api_base: str, redis: Redis, timeout: float = 5.0) -> TiefenClient:
    """A client whose access token lives in Redis, shared by every web and worker process."""
    return TiefenClient(appid, secret, api_base, RedisStorage(redis, prefix="tiefen:wechat"), timeout)


def nickname_of(client: Any, openid: str) -> str:
    """The follower's nickname if WeChat still gives one (since 2021 it mostly does not): ""."""
    from wechatpy.exceptions import WeChatClientException

    try:
        return str(client.user.get(openid).get("nickname") or "")
    except (WeChatClientException, requests.RequestException):
        return ""
