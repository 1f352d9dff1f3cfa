"""A member scanning an account's QR code by ticket: the follow or SCAN event WeChat pushes for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import xmltodict
from wechatpy import events

from simulator import RunningServer, ScanError, SimulatorState, WeChatServer
from tests.simulator.helpers import APPID, TOKEN, SimWeChatClient, Webhook

NEWCOMER = "oTIEFEN_newcomer_0001"
FOLLOWER = "oTIEFEN_follower_0001"


@pytest.fixture
def webhook() -> Webhook:
    return Webhook()


@pytest.fixture
def server(
    sim_state: SimulatorState, webhook: Webhook, serve: Callable[[Any], RunningServer]
) -> WeChatServer:
    url = serve(webhook.app).url + "/wechat"
    return WeChatServer(url, TOKEN, APPID, state=sim_state)


def permanent(wechat: SimWeChatClient, scene: int | str) -> str:
    key, action = (
        ("scene_id", "QR_LIMIT_SCENE") if isinstance(scene, int) else ("scene_str", "QR_LIMIT_STR_SCENE")
    )
    return str(
        wechat.qrcode.create({"action_name": action, "action_info": {"scene": {key: scene}}})["ticket"]
    )


def temporary(wechat: SimWeChatClient, scene: int) -> str:
    body = {"action_name": "QR_SCENE", "expire_seconds": 600, "action_info": {"scene": {"scene_id": scene}}}
    return str(wechat.qrcode.create(body)["ticket"])


def test_a_newcomer_scanning_follows_with_the_scene(
    wechat: SimWeChatClient, server: WeChatServer, webhook: Webhook
) -> None:
    ticket = permanent(wechat, "invite_42")

    delivery = server.scan_code(NEWCOMER, ticket, create_time=1_700_000_000)

    assert delivery.ok and delivery.content == "欢迎"
    [received] = webhook.received
    assert xmltodict.parse(received.body)["xml"] == {
        "ToUserName": "gh_sim",
        "FromUserName": NEWCOMER,
        "CreateTime": "1700000000",
        "MsgType": "event",
        "Event": "subscribe",
        "EventKey": "qrscene_invite_42",
        "Ticket": ticket,
    }
    assert isinstance(received.message, events.SubscribeScanEvent)
    assert (received.message.scene_id, received.message.ticket) == ("invite_42", ticket)


def test_the_follow_shows_in_user_info(wechat: SimWeChatClient, server: WeChatServer) -> None:
    server.scan_code(NEWCOMER, permanent(wechat, 7))

    info = wechat.user.get(NEWCOMER)

    assert info["subscribe"] == 1
    assert (info["subscribe_scene"], info["qr_scene"], info["qr_scene_str"]) == ("ADD_SCENE_QR_CODE", 7, "")


def test_a_string_scene_of_digits_stays_a_string_scene(wechat: SimWeChatClient, server: WeChatServer) -> None:
    server.scan_code(NEWCOMER, permanent(wechat, "2024"))

    info = wechat.user.get(NEWCOMER)

    assert (info["qr_scene"], info["qr_scene_str"]) == (0, "2024")


def test_a_follower_scanning_sends_scan(
    wechat: SimWeChatClient, server: WeChatServer, webhook: Webhook
) -> None:
    server.send(server.subscribe(FOLLOWER))
    ticket = temporary(wechat, 123)

    assert server.scan_code(FOLLOWER, ticket).ok

    received = webhook.received[-1]
    body = xmltodict.parse(received.body)["xml"]
    assert (body["Event"], body["EventKey"], body["Ticket"]) == ("SCAN", "123", ticket)
    assert isinstance(received.message, events.ScanEvent) and received.message.scene_id == "123"


def test_second_scan_of_a_newcomer_is_a_scan(
    wechat: SimWeChatClient, server: WeChatServer, webhook: Webhook
) -> None:
    ticket = permanent(wechat, "poster")

    server.scan_code(NEWCOMER, ticket)
    server.scan_code(NEWCOMER, ticket)

    assert [type(r.message) for r in webhook.received] == [events.SubscribeScanEvent, events.ScanEvent]


def test_a_member_who_left_follows_again_by_scanning(
    wechat: SimWeChatClient, server: WeChatServer, webhook: Webhook
) -> None:
    ticket = permanent(wechat, 5)
    server.scan_code(NEWCOMER, ticket)
    server.send(server.unsubscribe(NEWCOMER))

    server.scan_code(NEWCOMER, ticket)

    assert isinstance(webhook.received[-1].message, events.SubscribeScanEvent)


def test_a_member_met_through_user_info_is_a_follower(
    wechat: SimWeChatClient, server: WeChatServer, webhook: Webhook
) -> None:
    wechat.user.get(FOLLOWER)  # the simulator invents followers on first sight

    server.scan_code(FOLLOWER, permanent(wechat, 1))

    assert isinstance(webhook.received[-1].message, events.ScanEvent)


def test_scanning_opens_the_reply_window(wechat: SimWeChatClient, server: WeChatServer) -> None:
    server.scan_code(NEWCOMER, permanent(wechat, "invite_1"))

    assert wechat.message.send_text(NEWCOMER, "欢迎关注！")["errcode"] == 0


def test_expired_unknown_and_foreign_tickets_cannot_be_scanned(
    wechat: SimWeChatClient, server: WeChatServer, sim_state: SimulatorState, webhook: Webhook
) -> None:
    ticket = temporary(wechat, 9)
    sim_state.qrcodes.expire()
    other = WeChatServer(server.url, TOKEN, "wxsomeoneelse", state=sim_state)

    with pytest.raises(ScanError, match="expired"):
        server.scan_code(NEWCOMER, ticket)
    with pytest.raises(ScanError, match="no QR code"):
        server.scan_code(NEWCOMER, "gQunknown")
    with pytest.raises(ScanError, match="no QR code"):
        other.scan_code(NEWCOMER, permanent(wechat, 9))
    assert webhook.received == []


def test_scanning_needs_the_state(wechat: SimWeChatClient, server: WeChatServer) -> None:
    stateless = WeChatServer(server.url, TOKEN, APPID)

    with pytest.raises(RuntimeError, match="state"):
        stateless.scan_code(NEWCOMER, permanent(wechat, 1))


def test_without_state_sending_changes_nothing(sim_state: SimulatorState, server: WeChatServer) -> None:
    stateless = WeChatServer(server.url, TOKEN, APPID)

    stateless.send(stateless.subscribe(NEWCOMER))

    assert not sim_state.knows_user(APPID, NEWCOMER)
    assert sim_state.custom.last(APPID, NEWCOMER) is None
