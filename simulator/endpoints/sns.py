"""Web OAuth (网页授权) for an account's H5 pages: the authorize page and the code exchange.

WeChat serves them on two hosts (open.weixin.qq.com and api.weixin.qq.com); the simulator on one.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from simulator.errors import ApiError
from simulator.oauth import OPENID_COOKIE, SCOPES, with_code
from simulator.pages import Page, not_in_wechat_page, redirect_page
from simulator.routing import ApiRequest, Payload, api_endpoint
from simulator.users import is_valid_openid

SNS_TOKEN_TTL = 7200


@api_endpoint("/connect/oauth2/authorize", needs_token=False, page=True)
def authorize(req: ApiRequest) -> Page:
    """Redirect the browsing member back to redirect_uri with a fresh code and the state."""
    appid, redirect_uri, scope = req.arg("appid"), req.arg("redirect_uri"), req.arg("scope")
    if not appid:
        raise ApiError(10012)
    if not req.state.knows_app(appid):
        raise ApiError(40013)
    if not redirect_uri:
        raise ApiError(10011)
    target = urlsplit(redirect_uri)
    if target.scheme not in ("http", "https") or not target.netloc:
        raise ApiError(10003)
    if not scope:
        raise ApiError(10010)
    if scope not in SCOPES:
        raise ApiError(10005)
    openid = req.arg(OPENID_COOKIE) or req.cookies.get(OPENID_COOKIE, "")
    if not openid:
        return not_in_wechat_page()
    if not is_valid_openid(openid):
        raise ApiError(40003)
    code = req.state.oauth_codes.issue(appid, openid, scope)
    return redirect_page(with_code(redirect_uri, code, req.arg("state")))


@api_endpoint("/sns/oauth2/access_token", needs_token=False)
def access_token(req: ApiRequest) -> Payload:
    """Exchange a code, once, for the member's openid and a web access token."""
    if req.arg("grant_type") != "authorization_code":
        raise ApiError(40002)
    for name, errcode in (("appid", 41002), ("secret", 41004), ("code", 41008)):
        if not req.arg(name):
            raise ApiError(errcode)
    req.state.check_credentials(req.arg("appid"), req.arg("secret"))
    grant = req.state.oauth_codes.redeem(req.arg("appid"), req.arg("code"))
    return {
        "access_token": secrets.token_urlsafe(64),
        "expires_in": SNS_TOKEN_TTL,
        "refresh_token": secrets.token_urlsafe(64),
        "openid": grant.openid,
        "scope": grant.scope,
    }
