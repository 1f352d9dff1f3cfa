"""Template messages: through wechatpy's send_template, their validation, and the control API."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from wechatpy.exceptions import WeChatClientException

from simulator import SimulatorState, create_api_app
from tests.simulator.helpers import APPID, SECRET, SimWeChatClient

MEMBER = "oTIEFEN_member_0000000000001"
TEMPLATE = "TIER_CHANGED_tpl_0001"
SEND = "/cgi-bin/message/template/send"
DATA = {
    "first": {"value": "您的会员等级已变更", "color": "#173177"},
    "keyword1": {"value": "金卡会员"},
    "remark": {"value": "感谢您的支持"},
}


@pytest.fixture
def strict_state() -> SimulatorState:
    state = SimulatorState(auto_templates=False)
    state.register_app(APPID, SECRET)
    return state


@pytest.fixture
def api(strict_state: SimulatorState) -> FlaskClient:
    return create_api_app(strict_state).test_client()


@pytest.fixture
def token(strict_state: SimulatorState) -> str:
    return strict_state.issue_token(APPID, SECRET)[0]


def send(api: FlaskClient, token: str, body: Any) -> dict[str, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return api.post(SEND, query_string={"access_token": token}, data=data).get_json()


def message(**overrides: Any) -> dict[str, Any]:
    return {
        "touser": MEMBER,
        "template_id": TEMPLATE,
        "url": "https://h5.example.com/me",
        "data": DATA,
        **overrides,
    }


def test_send_template_through_wechatpy(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    answer = wechat.message.send_template(MEMBER, TEMPLATE, DATA, url="https://h5.example.com/me")

    assert answer["errcode"] == 0 and answer["errmsg"] == "ok"
    [sent] = sim_state.template_messages()
    assert sent.msgid == answer["msgid"] and isinstance(sent.msgid, int)
    assert (sent.appid, sent.touser, sent.template_id) == (APPID, MEMBER, TEMPLATE)
    assert (sent.url, sent.data, sent.miniprogram) == ("https://h5.example.com/me", DATA, None)
    assert sent.time > 0
    [call] = sim_state.calls(SEND)
    assert (call.method, call.errcode, call.appid) == ("POST", 0, APPID)
    assert call.json == {
        "touser": MEMBER,
        "template_id": TEMPLATE,
        "url": "https://h5.example.com/me",
        "data": DATA,
    }


def test_msgids_are_distinct_and_messages_filter_by_app(
    wechat: SimWeChatClient, sim_state: SimulatorState
) -> None:
    first = wechat.message.send_template(MEMBER, TEMPLATE, DATA)["msgid"]
    mini = {"appid": "wxmini0000000001", "pagepath": "pages/index"}
    second = wechat.message.send_template(MEMBER, TEMPLATE, DATA, mini_program=mini)["msgid"]

    assert first != second
    assert [m.msgid for m in sim_state.template_messages(APPID)] == [first, second]
    assert sim_state.template_messages("wxsomeoneelse") == []
    assert sim_state.template_messages()[1].miniprogram == mini
    assert sim_state.template_messages()[0].url is None


def test_unfollowed_member_gets_43004(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    sim_state.put_user(APPID, MEMBER, subscribe=0)

    with pytest.raises(WeChatClientException) as caught:
        wechat.message.send_template(MEMBER, TEMPLATE, DATA)

    assert (caught.value.errcode, caught.value.errmsg) == (43004, "require subscribe")
    assert sim_state.template_messages() == []


def test_injected_fault_reaches_wechatpy(wechat: SimWeChatClient, sim_state: SimulatorState) -> None:
    sim_state.inject(SEND, errcode=45009)

    with pytest.raises(WeChatClientException) as caught:
        wechat.message.send_template(MEMBER, TEMPLATE, DATA)

    assert caught.value.errcode == 45009
    assert wechat.message.send_template(MEMBER, TEMPLATE, DATA)["errcode"] == 0


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        (b"", 44002),
        (b"{oops", 47001),
        ([message()], 47001),
        (message(touser=None), 40003),
        (message(touser="bad openid!"), 40003),
        (message(template_id=None), 40037),
        (message(template_id=""), 40037),
        (message(template_id="NOT_REGISTERED"), 40037),
        (message(data=None), 47001),
        (message(data=["x"]), 47001),
        (message(data={"first": "您的会员等级已变更"}), 47001),
        (message(url=42), 47001),
        (message(miniprogram="wxmini"), 47001),
    ],
)
def test_send_validation(
    api: FlaskClient, strict_state: SimulatorState, token: str, body: Any, errcode: int
) -> None:
    strict_state.add_template(APPID, TEMPLATE)

    assert send(api, token, body)["errcode"] == errcode
    assert strict_state.template_messages() == []
    assert strict_state.calls(SEND)[-1].errcode == errcode


def test_without_auto_templates_only_registered_ids_pass(
    api: FlaskClient, strict_state: SimulatorState, token: str
) -> None:
    strict_state.add_template("wxsomeoneelse", TEMPLATE)
    assert send(api, token, message()) == {"errcode": 40037, "errmsg": "invalid template_id"}

    strict_state.add_template(APPID, TEMPLATE)
    answer = send(api, token, message())

    assert answer["errcode"] == 0 and answer["msgid"] == strict_state.template_messages()[0].msgid


def test_send_needs_a_token_and_post(api: FlaskClient, token: str) -> None:
    assert api.post(SEND, data=json.dumps(message())).get_json()["errcode"] == 41001
    assert api.get(SEND, query_string={"access_token": token}).get_json()["errcode"] == 43002


def test_control_api_registers_templates_and_lists_messages(sim_url: str, sim_state: SimulatorState) -> None:
    sim_state.templates.auto = False
    with requests.Session() as http:
        params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
        query = {"access_token": http.get(f"{sim_url}/cgi-bin/token", params=params).json()["access_token"]}
        assert http.post(f"{sim_url}{SEND}", params=query, json=message()).json()["errcode"] == 40037

        assert http.post(f"{sim_url}/_sim/templates", json={"appid": APPID}).status_code == 400
        body = {"appid": APPID, "template_id": TEMPLATE}
        assert http.post(f"{sim_url}/_sim/templates", json=body).json()["errcode"] == 0
        sent = http.post(f"{sim_url}{SEND}", params=query, json=message()).json()

        listed = http.get(f"{sim_url}/_sim/template-messages", params={"appid": APPID}).json()["messages"]
        assert [(m["msgid"], m["touser"], m["data"]) for m in listed] == [(sent["msgid"], MEMBER, DATA)]
        others = http.get(f"{sim_url}/_sim/template-messages", params={"appid": "wxnobody"}).json()
        assert others == {"messages": []}

        http.post(f"{sim_url}/_sim/reset")
        assert http.get(f"{sim_url}/_sim/template-messages").json() == {"messages": []}


def test_reset_forgets_templates_and_messages(
    api: FlaskClient, strict_state: SimulatorState, token: str
) -> None:
    strict_state.add_template(APPID, TEMPLATE)
    send(api, token, message())

    strict_state.reset()

    assert strict_state.template_messages() == []
    assert not strict_state.templates.accepts(APPID, TEMPLATE)
