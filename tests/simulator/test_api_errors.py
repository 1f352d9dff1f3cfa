"""Error answers and menu validation of the simulated API, through Flask's test client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from simulator import SimulatorState, create_api_app
from tests.simulator.helpers import APPID, SECRET


@pytest.fixture
def state() -> SimulatorState:
    return SimulatorState(auto_register=False)


@pytest.fixture
def api(state: SimulatorState) -> FlaskClient:
    state.register_app(APPID, SECRET)
    return create_api_app(state).test_client()


@pytest.fixture
def token(state: SimulatorState) -> str:
    return state.issue_token(APPID, SECRET)[0]


def get_token(api: FlaskClient, **overrides: str) -> dict[str, Any]:
    params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET, **overrides}
    return api.get("/cgi-bin/token", query_string=params).get_json()


def create_menu(api: FlaskClient, token: str, menu: Any) -> int:
    body = menu if isinstance(menu, bytes) else json.dumps(menu).encode()
    response = api.post("/cgi-bin/menu/create", query_string={"access_token": token}, data=body)
    return response.get_json()["errcode"]


def leaf(**fields: str) -> dict[str, str]:
    return {"type": "click", "name": "签到", "key": "K", **fields}


@pytest.mark.parametrize(
    ("overrides", "errcode", "errmsg"),
    [
        ({"grant_type": "password"}, 40002, "invalid grant_type"),
        ({"appid": "wxunknown0000001"}, 40013, "invalid appid"),
        ({"secret": "nope"}, 40125, "invalid appsecret"),
        ({"appid": ""}, 41002, "appid missing"),
        ({"secret": ""}, 41004, "appsecret missing"),
    ],
)
def test_token_errors(api: FlaskClient, overrides: dict[str, str], errcode: int, errmsg: str) -> None:
    assert get_token(api, **overrides) == {"errcode": errcode, "errmsg": errmsg}


def test_token_auto_registers_unknown_apps_by_default() -> None:
    api = create_api_app().test_client()

    assert "access_token" in get_token(api, appid="wxnew0000000001", secret="s1")
    assert get_token(api, appid="wxnew0000000001", secret="s2")["errcode"] == 40125


@pytest.mark.parametrize(
    ("query", "errcode"),
    [({}, 41001), ({"access_token": "forged"}, 40001)],
)
def test_access_token_is_required(api: FlaskClient, query: dict[str, str], errcode: int) -> None:
    assert api.get("/cgi-bin/menu/get", query_string=query).get_json()["errcode"] == errcode


def test_expired_token(api: FlaskClient, state: SimulatorState, token: str) -> None:
    state.expire_tokens()

    answer = api.get("/cgi-bin/menu/get", query_string={"access_token": token}).get_json()
    assert answer == {"errcode": 42001, "errmsg": "access_token expired"}


def test_answers_are_utf8_json(api: FlaskClient, token: str) -> None:
    response = api.get("/cgi-bin/user/info", query_string={"access_token": token, "openid": "oUTF8test0001"})

    assert response.content_type == "application/json; charset=utf-8"
    assert "用户0001".encode() in response.data


def test_wrong_http_method(api: FlaskClient, token: str) -> None:
    answer = api.get("/cgi-bin/menu/create", query_string={"access_token": token}).get_json()

    assert answer["errcode"] == 43002


def test_unknown_path_answers_json(api: FlaskClient) -> None:
    response = api.get("/cgi-bin/nope")

    assert response.status_code == 404
    assert response.get_json()["errcode"] == -1


@pytest.mark.parametrize(
    ("menu", "errcode"),
    [
        (b"{not json", 47001),
        (b"", 44002),
        ([], 47001),
        ({"button": []}, 40016),
        ({"button": [leaf()] * 4}, 40016),
        ({"button": [{"name": "多", "sub_button": [leaf()] * 6}]}, 40023),
        ({"button": [leaf(key="")]}, 40019),
        ({"button": [leaf(key="k" * 129)]}, 40019),
        ({"button": [leaf(name="")]}, 40018),
        ({"button": [leaf(name="超过十六个字节的名字")]}, 40018),
        ({"button": [{"type": "view", "name": "链接"}]}, 40055),
        ({"button": [{"type": "view", "name": "链接", "url": "ftp://example.com"}]}, 40055),
        ({"button": [{"type": "view", "name": "链接", "url": "https://e.com/" + "a" * 1024}]}, 40020),
        ({"button": [leaf(type="teleport")]}, 40017),
        ({"button": [{"name": "无"}]}, 40017),
        ({"button": [{"name": "父", "sub_button": [leaf(type="teleport")]}]}, 40024),
        ({"button": [{"name": "父", "sub_button": [leaf(key="k" * 129)]}]}, 40026),
        ({"button": [{"name": "父", "sub_button": [{"type": "view", "name": "链接", "url": "x"}]}]}, 40054),
        ({"button": [{"name": "父", "sub_button": [{"name": "子", "sub_button": [leaf()]}]}]}, 40022),
        ({"button": [{"type": "media_id", "name": "图片"}]}, 40007),
        (
            {"button": [{"type": "miniprogram", "name": "小程序", "url": "https://e.com", "appid": "wx1"}]},
            40165,
        ),
    ],
)
def test_menu_validation(
    api: FlaskClient, state: SimulatorState, token: str, menu: Any, errcode: int
) -> None:
    assert create_menu(api, token, menu) == errcode
    assert state.menu(APPID) is None
    assert state.calls("/cgi-bin/menu/create")[-1].errcode == errcode


@pytest.mark.parametrize(
    "button",
    [
        leaf(key="k" * 128),
        leaf(type="scancode_push"),
        {"type": "view", "name": "五个汉字名A", "url": "http://example.com"},  # 16 UTF-8 bytes
        {"type": "media_id", "name": "图片", "media_id": "MEDIA"},
        {"type": "article_id", "name": "文章", "article_id": "ARTICLE"},
        {"type": "miniprogram", "name": "小程序", "url": "https://e.com", "appid": "wx1", "pagepath": "p/i"},
    ],
)
def test_menu_accepts_valid_buttons(
    api: FlaskClient, state: SimulatorState, token: str, button: dict
) -> None:
    assert create_menu(api, token, {"button": [button]}) == 0
    assert state.menu(APPID) == {"button": [{**button, "sub_button": []}]}


def test_unparseable_body_is_logged_as_none(api: FlaskClient, state: SimulatorState, token: str) -> None:
    create_menu(api, token, b"{not json")

    [call] = state.calls("/cgi-bin/menu/create")
    assert (call.json, call.errcode, call.appid) == (None, 47001, APPID)


def test_fault_answers_before_the_token_check(api: FlaskClient, state: SimulatorState) -> None:
    state.inject("/cgi-bin/menu/get", errcode=-1)

    assert api.get("/cgi-bin/menu/get").get_json() == {"errcode": -1, "errmsg": "system error"}
    assert api.get("/cgi-bin/menu/get").get_json()["errcode"] == 41001


def test_faults_waiting_counts_the_calls_still_to_be_hit(api: FlaskClient, state: SimulatorState) -> None:
    state.inject("/cgi-bin/menu/get", errcode=-1, times=2)
    state.inject("/cgi-bin/menu/get", delay=0.0)
    assert state.faults_waiting("/cgi-bin/menu/get") == 3
    assert state.faults_waiting("/cgi-bin/menu/create") == 0

    api.get("/cgi-bin/menu/get")

    assert state.faults_waiting("/cgi-bin/menu/get") == 2


@pytest.mark.parametrize(
    "kwargs", [{}, {"errcode": 1, "times": 0}, {"delay": -1.0}], ids=["nothing", "zero-times", "negative"]
)
def test_inject_rejects_meaningless_faults(state: SimulatorState, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        state.inject("/cgi-bin/menu/get", **kwargs)


def test_reset_forgets_everything(api: FlaskClient, state: SimulatorState, token: str) -> None:
    create_menu(api, token, {"button": [leaf()]})
    state.inject("/cgi-bin/menu/get", errcode=-1)

    state.reset()

    assert state.calls() == []
    assert state.menu(APPID) is None
    assert get_token(api)["errcode"] == 40013  # apps are forgotten too
    assert api.get("/cgi-bin/menu/get", query_string={"access_token": token}).get_json()["errcode"] == 40001
