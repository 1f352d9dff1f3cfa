"""The simulated API through a real wechatpy WeChatClient over HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from wechatpy.exceptions import APILimitedException, WeChatClientException

from simulator import SimulatorState
from tests.simulator.helpers import APPID, SimWeChatClient

MENU = {
    "button": [
        {"type": "click", "name": "签到", "key": "CHECKIN"},
        {
            "name": "会员",
            "sub_button": [
                {"type": "view", "name": "我的积分", "url": "https://example.com/points"},
                {"type": "click", "name": "邀请好友", "key": "INVITE"},
            ],
        },
    ]
}


def errcodes(state: SimulatorState, path: str) -> list[int]:
    return [call.errcode for call in state.calls(path)]


def test_token_is_fetched_and_logged(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    result = wechat.fetch_access_token()

    assert result["expires_in"] == 7200
    assert len(result["access_token"]) > 100
    [call] = sim_state.calls("/cgi-bin/token")
    assert (call.method, call.errcode, call.appid) == ("GET", 0, APPID)
    assert call.query == {"grant_type": "client_credential", "appid": APPID, "secret": "simsecret"}


def test_menu_create_then_get(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    assert wechat.menu.create(MENU) == {"errcode": 0, "errmsg": "ok"}

    menu = wechat.menu.get()["menu"]
    assert menu["button"][0] == {"type": "click", "name": "签到", "key": "CHECKIN", "sub_button": []}
    assert [b["name"] for b in menu["button"][1]["sub_button"]] == ["我的积分", "邀请好友"]
    assert sim_state.menu(APPID) == menu
    [call] = sim_state.calls("/cgi-bin/menu/create")
    assert call.json == MENU
    assert call.query["access_token"]


def test_menu_get_and_delete_without_menu(wechat: SimWeChatClient) -> None:
    assert wechat.menu.get() is None  # wechatpy maps 46003 to None
    assert wechat.menu.delete()["errcode"] == 0


def test_user_info(wechat: SimWeChatClient) -> None:
    user = wechat.user.get("oTIEFEN_member_7a3f")

    assert user["openid"] == "oTIEFEN_member_7a3f"
    assert user["nickname"] == "用户7a3f"
    assert user["subscribe"] == 1
    assert user["subscribe_scene"] == "ADD_SCENE_QR_CODE"
    assert user == wechat.user.get("oTIEFEN_member_7a3f")


def test_user_info_of_an_unfollowed_user(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    sim_state.put_user(APPID, "oGONE00000001", subscribe=0)

    assert wechat.user.get("oGONE00000001")["subscribe"] == 0


def test_user_info_with_a_bad_openid(wechat: SimWeChatClient) -> None:
    with pytest.raises(WeChatClientException) as caught:
        wechat.user.get("bad openid!")

    assert caught.value.errcode == 40003


def test_expired_token_is_refreshed_by_wechatpy(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    wechat.fetch_access_token()
    sim_state.expire_tokens()

    assert wechat.menu.create(MENU)["errcode"] == 0
    assert errcodes(sim_state, "/cgi-bin/menu/create") == [42001, 0]
    assert errcodes(sim_state, "/cgi-bin/token") == [0, 0]


def test_injected_invalid_credential_is_retried(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    sim_state.inject("/cgi-bin/menu/create", errcode=40001)

    assert wechat.menu.create(MENU)["errcode"] == 0
    assert errcodes(sim_state, "/cgi-bin/menu/create") == [40001, 0]


def test_injected_quota_error_raises_and_does_nothing(
    wechat: SimWeChatClient, sim_state: SimulatorState
) -> None:
    sim_state.inject("/cgi-bin/menu/create", errcode=45009)

    with pytest.raises(APILimitedException) as caught:
        wechat.menu.create(MENU)

    assert caught.value.errmsg == "reach max api daily quota limit"
    assert sim_state.menu(APPID) is None
    assert wechat.menu.create(MENU)["errcode"] == 0


def test_faults_are_consumed_in_order(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    sim_state.inject("/cgi-bin/user/info", errcode=-1, times=2)
    sim_state.inject("/cgi-bin/user/info", errcode=45009)

    for expected in (-1, -1, 45009):
        with pytest.raises(WeChatClientException) as caught:
            wechat.user.get("oFAULTS00001")
        assert caught.value.errcode == expected
    assert wechat.user.get("oFAULTS00001")["subscribe"] == 1


def test_injected_delay_makes_the_client_time_out(
    make_client: Callable[..., SimWeChatClient], sim_state: SimulatorState
) -> None:
    impatient = make_client(timeout=0.5)
    impatient.fetch_access_token()
    sim_state.inject("/cgi-bin/menu/create", delay=2.0)

    # wechatpy does not wrap transport errors: the requests exception escapes as is.
    with pytest.raises(requests.exceptions.ReadTimeout):
        impatient.menu.create(MENU)


def test_wrong_secret(make_client: Callable[..., SimWeChatClient]) -> None:
    with pytest.raises(WeChatClientException) as caught:
        make_client(secret="wrong").fetch_access_token()

    assert caught.value.errcode == 40125
