"""Web OAuth (snsapi_base) end to end: a member's Phone browsing a tiny H5 site that asks WeChat who it is."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from flask import Flask, Response, abort, redirect, request
from wechatpy.exceptions import WeChatOAuthException

from simulator import Phone, RunningServer, SimulatorState, create_api_app
from simulator.phone import WECHAT_USER_AGENT
from tests.simulator.helpers import APPID, SECRET, SimWeChatOAuth

MEMBER = "oTIEFEN_member_0000000000001"
AUTHORIZE, EXCHANGE = "/connect/oauth2/authorize", "/sns/oauth2/access_token"


class MemberPages:
    """A tiny H5 site doing WeChat's snsapi_base dance, as the project's member pages would."""

    def __init__(self, sim_url: str, secret: str = SECRET) -> None:
        self.sim_url, self.secret = sim_url, secret
        self.cookies_seen: list[dict[str, str]] = []
        self.user_agents: list[str] = []
        self.exchanges: list[dict[str, Any]] = []
        self.app = Flask("member_pages")
        self.app.add_url_rule("/me", view_func=self.me)
        self.app.add_url_rule("/oauth", view_func=self.oauth)

    def me(self) -> Response | str:
        """Greet the member, or send the browser to WeChat to learn who it is."""
        self.cookies_seen.append(request.cookies.to_dict())
        self.user_agents.append(request.headers.get("User-Agent", ""))
        if "member" in request.cookies:
            return f"会员 {request.cookies['member']}"
        redirect_uri = request.host_url + "oauth?" + urlencode({"next": "/me"})
        query = {"appid": APPID, "redirect_uri": redirect_uri, "response_type": "code"}
        query.update(scope="snsapi_base", state="tiefen")
        return redirect(f"{self.sim_url}{AUTHORIZE}?{urlencode(query)}#wechat_redirect")

    def oauth(self) -> Response | tuple[str, int]:
        """Exchange WeChat's code for the openid, remember the member, go back to the page."""
        self.cookies_seen.append(request.cookies.to_dict())
        if request.args.get("state") != "tiefen":
            abort(400)
        params = {"appid": APPID, "secret": self.secret, "code": request.args["code"]}
        params["grant_type"] = "authorization_code"
        answer = requests.get(f"{self.sim_url}{EXCHANGE}", params=params, timeout=5).json()
        self.exchanges.append(answer)
        if "openid" not in answer:
            return f"授权失败 {answer['errcode']}", 403
        response = redirect(request.args["next"])
        response.set_cookie("member", answer["openid"])
        return response


@pytest.fixture
def site(serve: Callable[[Any], RunningServer]) -> Callable[..., tuple[MemberPages, str]]:
    """Serve MemberPages against a simulator URL; return it with its /me URL."""

    def start(sim_url: str, **kwargs: Any) -> tuple[MemberPages, str]:
        pages = MemberPages(sim_url, **kwargs)
        return pages, serve(pages.app).url + "/me"

    return start


@pytest.fixture
def phone(sim_url: str) -> Iterator[Phone]:
    with Phone(sim_url, MEMBER) as member_phone:
        yield member_phone


def test_snsapi_base_dance(phone: Phone, sim_url: str, sim_state: SimulatorState, site: Callable) -> None:
    pages, me_url = site(sim_url)

    page = phone.get(me_url)

    assert (page.status_code, page.text) == (200, f"会员 {MEMBER}")
    assert [urlsplit(r.url).path for r in page.history] == ["/me", AUTHORIZE, "/oauth"]
    [answer] = pages.exchanges
    assert answer["openid"] == MEMBER and answer["scope"] == "snsapi_base" and answer["expires_in"] == 7200
    assert answer["access_token"] and answer["refresh_token"]
    [authorize] = sim_state.calls(AUTHORIZE)
    assert (authorize.errcode, authorize.appid, authorize.query["state"]) == (0, APPID, "tiefen")
    assert [c.errcode for c in sim_state.calls(EXCHANGE)] == [0]
    # The sim_openid cookie is the simulator's alone; the site only sees its own cookie.
    assert all("sim_openid" not in cookies for cookies in pages.cookies_seen)
    assert "MicroMessenger" in pages.user_agents[0] and pages.user_agents[0] == WECHAT_USER_AGENT

    assert phone.get(me_url).text == f"会员 {MEMBER}"
    assert len(sim_state.calls(AUTHORIZE)) == 1  # remembered: no second trip to WeChat


def test_a_code_works_once(phone: Phone, sim_url: str, sim_state: SimulatorState, site: Callable) -> None:
    pages, me_url = site(sim_url)
    phone.get(me_url)
    code = sim_state.calls(EXCHANGE)[0].query["code"]

    params = {"appid": APPID, "secret": SECRET, "code": code, "grant_type": "authorization_code"}
    again = requests.get(f"{sim_url}{EXCHANGE}", params=params, timeout=5).json()

    assert again == {"errcode": 40163, "errmsg": "code been used"}


def test_expired_code(serve: Callable[[Any], RunningServer], site: Callable) -> None:
    state = SimulatorState(oauth_code_ttl=0)
    sim_url = serve(create_api_app(state)).url
    pages, me_url = site(sim_url)

    with Phone(sim_url, MEMBER) as phone:
        page = phone.get(me_url)

    assert (page.status_code, page.text) == (403, "授权失败 40029")
    assert pages.exchanges == [{"errcode": 40029, "errmsg": "invalid code"}]


def test_wrong_secret(phone: Phone, sim_url: str, site: Callable) -> None:
    _, me_url = site(sim_url, secret="not-the-secret")

    page = phone.get(me_url)

    assert (page.status_code, page.text) == (403, "授权失败 40125")


def test_outside_wechat(sim_url: str, sim_state: SimulatorState, site: Callable) -> None:
    _, me_url = site(sim_url)

    page = requests.get(me_url, timeout=5)

    assert page.status_code == 200 and urlsplit(page.url).path == AUTHORIZE
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "请在微信客户端打开链接" in page.text
    assert [c.errcode for c in sim_state.calls(AUTHORIZE)] == [41009]


def test_wechatpy_oauth_client(phone: Phone, sim_url: str) -> None:
    oauth = SimWeChatOAuth(sim_url, APPID, SECRET, "https://h5.example.com/oauth?next=%2Fme", state="s1")
    try:
        answer = phone.get(oauth.authorize_url, allow_redirects=False)
        assert answer.status_code == 302
        back = urlsplit(answer.headers["Location"])
        assert back.netloc == "h5.example.com" and back.path == "/oauth"
        query = parse_qs(back.query)
        assert query["next"] == ["/me"] and query["state"] == ["s1"]

        assert oauth.fetch_access_token(query["code"][0])["openid"] == MEMBER
        assert oauth.open_id == MEMBER
        with pytest.raises(WeChatOAuthException) as caught:
            oauth.fetch_access_token(query["code"][0])
        assert caught.value.errcode == 40163
    finally:
        oauth._http.close()


def test_phone_rejects_bad_arguments_and_leaves_a_given_session_open(sim_url: str) -> None:
    with pytest.raises(ValueError):
        Phone(sim_url, "not an openid")
    with pytest.raises(ValueError):
        Phone("simulator:8800", MEMBER)
    with requests.Session() as session:
        with Phone(sim_url, MEMBER, session=session) as phone:
            assert phone.session is session
        assert session.cookies.get("sim_openid") == MEMBER
        assert session.get(f"{sim_url}/_sim/calls", timeout=5).status_code == 200  # still usable
