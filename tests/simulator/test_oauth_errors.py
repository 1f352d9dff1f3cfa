"""Web OAuth's authorize page and code exchange: validation, cookies, faults, through Flask's test client."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from simulator import SimulatorState, create_api_app
from tests.simulator.helpers import APPID, SECRET

MEMBER = "oTIEFEN_member_0000000000001"
AUTHORIZE, EXCHANGE = "/connect/oauth2/authorize", "/sns/oauth2/access_token"
BACK = "https://h5.example.com/oauth"


@pytest.fixture
def state() -> SimulatorState:
    state = SimulatorState(auto_register=False)
    state.register_app(APPID, SECRET)
    return state


@pytest.fixture
def api(state: SimulatorState) -> FlaskClient:
    return create_api_app(state).test_client()


def authorize(api: FlaskClient, **overrides: str) -> TestResponse:
    query = {"appid": APPID, "redirect_uri": BACK, "response_type": "code", "scope": "snsapi_base"}
    query.update(state="s", sim_openid=MEMBER)
    return api.get(AUTHORIZE, query_string={k: v for k, v in {**query, **overrides}.items() if v is not None})


def code_from(response: TestResponse) -> str:
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["Location"]).query)["code"][0]


def exchange(api: FlaskClient, code: str, /, **overrides: str) -> dict[str, Any]:
    params = {"appid": APPID, "secret": SECRET, "code": code, "grant_type": "authorization_code", **overrides}
    return api.get(EXCHANGE, query_string=params).get_json()


@pytest.mark.parametrize(
    ("overrides", "errcode"),
    [
        ({"appid": None}, 10012),
        ({"appid": "wxunknown0000001"}, 40013),
        ({"redirect_uri": None}, 10011),
        ({"redirect_uri": "/oauth"}, 10003),
        ({"redirect_uri": "javascript:alert(1)"}, 10003),
        ({"scope": None}, 10010),
        ({"scope": "snsapi_login"}, 10005),
        ({"sim_openid": "not an openid"}, 40003),
    ],
)
def test_authorize_errors_are_pages(
    api: FlaskClient, state: SimulatorState, overrides: dict[str, str | None], errcode: int
) -> None:
    response = authorize(api, **overrides)

    assert response.status_code == 400
    assert response.content_type == "text/html; charset=utf-8"
    assert str(errcode) in response.text
    assert state.calls(AUTHORIZE)[-1].errcode == errcode


def test_redirect_keeps_the_uri_query_and_fragment(api: FlaskClient) -> None:
    response = authorize(api, redirect_uri="https://h5.example.com/app?from=menu#/points", state="")

    location = urlsplit(response.headers["Location"])
    assert (location.netloc, location.path, location.fragment) == ("h5.example.com", "/app", "/points")
    query = parse_qs(location.query, keep_blank_values=True)
    assert query["from"] == ["menu"] and query["state"] == [""] and len(query["code"][0]) == 32
    assert location.query.startswith("from=menu&code=")


def test_userinfo_scope_is_echoed(api: FlaskClient) -> None:
    answer = exchange(api, code_from(authorize(api, scope="snsapi_userinfo")))

    assert (answer["openid"], answer["scope"]) == (MEMBER, "snsapi_userinfo")


@pytest.mark.parametrize(
    ("overrides", "errcode"),
    [
        ({"grant_type": "client_credential"}, 40002),
        ({"appid": ""}, 41002),
        ({"secret": ""}, 41004),
        ({"code": ""}, 41008),
        ({"appid": "wxunknown0000001"}, 40013),
        ({"secret": "wrong"}, 40125),
        ({"code": "0" * 32}, 40029),
    ],
)
def test_exchange_errors(
    api: FlaskClient, state: SimulatorState, overrides: dict[str, str], errcode: int
) -> None:
    code = code_from(authorize(api))

    assert exchange(api, code, **overrides)["errcode"] == errcode
    assert state.calls(EXCHANGE)[-1].errcode == errcode
    assert exchange(api, code)["openid"] == MEMBER  # a refused exchange leaves the code usable


def test_a_code_belongs_to_its_app(api: FlaskClient, state: SimulatorState) -> None:
    state.register_app("wxother000000001", "other")
    code = code_from(authorize(api))

    assert exchange(api, code, appid="wxother000000001", secret="other")["errcode"] == 40029
    assert exchange(api, code)["openid"] == MEMBER
    assert exchange(api, code)["errcode"] == 40163


def test_exchange_auto_registers_like_the_token_endpoint() -> None:
    state = SimulatorState()
    api = create_api_app(state).test_client()
    code = code_from(authorize(api, appid="wxnew0000000001"))

    assert exchange(api, code, appid="wxnew0000000001", secret="s1")["openid"] == MEMBER
    token = {"grant_type": "client_credential", "appid": "wxnew0000000001", "secret": "s2"}
    assert api.get("/cgi-bin/token", query_string=token).get_json()["errcode"] == 40125


def test_login_sets_the_cookie_authorize_reads(api: FlaskClient) -> None:
    assert api.get("/_sim/login", query_string={"openid": "bad openid"}).status_code == 400
    assert "oCOOKIE0000000001" in api.get("/_sim/login", query_string={"openid": "oCOOKIE0000000001"}).text
    target = f"{AUTHORIZE}?appid={APPID}&redirect_uri=https%3A%2F%2Fh5.example.com%2F&scope=snsapi_base"

    login = api.get("/_sim/login", query_string={"openid": MEMBER, "next": target})

    assert (login.status_code, login.headers["Location"]) == (302, target)
    assert "sim_openid=" + MEMBER in login.headers["Set-Cookie"]
    assert exchange(api, code_from(api.get(target)))["openid"] == MEMBER
    # Without the cookie (and without ?sim_openid=) the member is not in WeChat.
    api.delete_cookie("sim_openid")
    assert "请在微信客户端打开链接" in api.get(target).text


def test_faults_and_methods_answer_pages(api: FlaskClient, state: SimulatorState) -> None:
    state.inject(AUTHORIZE, errcode=-1)

    failed = authorize(api)
    assert failed.status_code == 400 and "system error" in failed.text
    assert api.post(AUTHORIZE).status_code == 400
    assert [c.errcode for c in state.calls(AUTHORIZE)] == [-1, 43001]
    assert authorize(api).status_code == 302


def test_reset_forgets_codes() -> None:
    state = SimulatorState()
    api = create_api_app(state).test_client()
    code = code_from(authorize(api))

    state.reset()

    assert exchange(api, code)["errcode"] == 40029
