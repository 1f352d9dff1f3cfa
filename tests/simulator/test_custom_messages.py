"""Customer-service messages through wechatpy: the interaction window the customer side opens, and errors."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from PIL import Image
from wechatpy.exceptions import WeChatClientException

from simulator import RunningServer, SimulatorState, WeChatServer
from tests.simulator.helpers import APPID, TOKEN, SimWeChatClient, Webhook

MEMBER = "oTIEFEN_member_0001"


@pytest.fixture
def server(sim_state: SimulatorState, serve: Callable[[Any], RunningServer]) -> WeChatServer:
    """The customer side, telling the simulator's state what members do."""
    webhook = Webhook(aes_key=None)
    return WeChatServer(serve(webhook.app).url + "/wechat", TOKEN, APPID, state=sim_state)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return buffer.getvalue()


def send_error(send: Callable[[], Any]) -> int:
    with pytest.raises(WeChatClientException) as caught:
        send()
    return int(caught.value.errcode)


def test_text_after_the_member_wrote(
    wechat: SimWeChatClient, server: WeChatServer, sim_state: SimulatorState
) -> None:
    assert server.send(server.text(MEMBER, "你好")).ok

    assert wechat.message.send_text(MEMBER, "您好，有什么可以帮您？") == {"errcode": 0, "errmsg": "ok"}

    [sent] = sim_state.custom_messages(APPID)
    assert (sent.touser, sent.msgtype, sent.content) == (
        MEMBER,
        "text",
        {"content": "您好，有什么可以帮您？"},
    )
    last = sim_state.custom.last(APPID, MEMBER)
    assert last is not None and last.kind == "message"


def test_image_by_uploaded_media_id(
    wechat: SimWeChatClient, server: WeChatServer, sim_state: SimulatorState
) -> None:
    server.send(server.click(MEMBER, "POSTER"))
    media_id = wechat.media.upload("image", io.BytesIO(png()))["media_id"]

    assert wechat.message.send_image(MEMBER, media_id)["errcode"] == 0

    [sent] = sim_state.custom_messages(touser=MEMBER)
    assert (sent.msgtype, sent.content) == ("image", {"media_id": media_id})


def test_image_media_must_be_a_live_image_of_the_account(
    wechat: SimWeChatClient, server: WeChatServer, sim_state: SimulatorState
) -> None:
    server.send(server.text(MEMBER, "海报"))
    voice = wechat.media.upload("voice", io.BytesIO(b"#!AMR\n" + bytes(50)))["media_id"]
    image = wechat.media.upload("image", io.BytesIO(png()))["media_id"]
    sim_state.media.expire()

    assert send_error(lambda: wechat.message.send_image(MEMBER, "no-such-media")) == 40007
    assert send_error(lambda: wechat.message.send_image(MEMBER, voice)) == 40007
    assert send_error(lambda: wechat.message.send_image(MEMBER, image)) == 40007
    assert sim_state.custom_messages() == []


def test_news_with_one_article(wechat: SimWeChatClient, server: WeChatServer) -> None:
    server.send(server.subscribe(MEMBER))
    article = {
        "title": "邀请有礼",
        "description": "邀请好友得积分",
        "url": "https://example.com/i",
        "image": "",
    }

    assert wechat.message.send_articles(MEMBER, [article])["errcode"] == 0
    assert send_error(lambda: wechat.message.send_articles(MEMBER, [article, article])) == 45008
    assert send_error(lambda: wechat.message.send_articles(MEMBER, [])) == 44003


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"touser": MEMBER, "msgtype": "text", "text": {"content": ""}}, 44004),
        ({"touser": MEMBER, "msgtype": "text"}, 44004),
        ({"touser": MEMBER, "msgtype": "link", "link": {"title": "t", "url": "https://example.com"}}, 40008),
        ({"touser": MEMBER, "msgtype": "sms", "sms": {}}, 40008),
        ({"touser": MEMBER}, 40008),
        ({"touser": MEMBER, "msgtype": "wxcard", "wxcard": {}}, 47001),
        ({"touser": MEMBER, "msgtype": "image", "image": "media"}, 47001),
        ({"touser": "bad openid!", "msgtype": "text", "text": {"content": "hi"}}, 40003),
        ({"touser": "oNEVER_SEEN_0001", "msgtype": "text", "text": {"content": "hi"}}, 40003),
    ],
)
def test_bad_messages(
    wechat: SimWeChatClient, server: WeChatServer, body: dict[str, Any], errcode: int
) -> None:
    server.send(server.text(MEMBER, "hi"))

    assert send_error(lambda: wechat.message._send_custom_message(body)) == errcode


def test_link_is_a_mini_program_type(wechat: SimWeChatClient, server: WeChatServer) -> None:
    server.send(server.text(MEMBER, "hi"))
    article = {
        "title": "t",
        "description": "d",
        "url": "https://example.com",
        "thumb_url": "https://example.com/t",
    }

    assert send_error(lambda: wechat.message.send_link(MEMBER, article)) == 40008


def test_a_member_who_unfollowed_answers_43004(wechat: SimWeChatClient, server: WeChatServer) -> None:
    server.send(server.text(MEMBER, "再见"))
    server.send(server.unsubscribe(MEMBER))

    assert send_error(lambda: wechat.message.send_text(MEMBER, "别走")) == 43004
    assert wechat.user.get(MEMBER)["subscribe"] == 0


def test_outside_the_48_hour_window_answers_45015(wechat: SimWeChatClient, server: WeChatServer) -> None:
    long_ago = int(time.time()) - 48 * 3600 - 60
    server.send(server.text(MEMBER, "早", create_time=long_ago))

    assert send_error(lambda: wechat.message.send_text(MEMBER, "晚了")) == 45015

    server.send(server.text(MEMBER, "又来了"))
    assert wechat.message.send_text(MEMBER, "来得正好")["errcode"] == 0


def test_a_late_old_callback_does_not_close_the_window(wechat: SimWeChatClient, server: WeChatServer) -> None:
    server.send(server.text(MEMBER, "新"))
    server.send(server.text(MEMBER, "旧", create_time=int(time.time()) - 72 * 3600))

    assert wechat.message.send_text(MEMBER, "ok")["errcode"] == 0


def test_view_and_unknown_events_open_no_window(
    wechat: SimWeChatClient, server: WeChatServer, sim_state: SimulatorState
) -> None:
    sim_state.user(APPID, MEMBER)  # a follower the account met through user/info
    server.send(server.view(MEMBER, "https://example.com/points"))
    server.send(server.event(MEMBER, "LOCATION", Latitude=22.5, Longitude=114.0, Precision=30.0))

    assert send_error(lambda: wechat.message.send_text(MEMBER, "hi")) == 45015


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda s: s.subscribe(MEMBER), "subscribe"),
        (lambda s: s.scan(MEMBER, 7), "scan"),
        (lambda s: s.click(MEMBER, "CHECKIN"), "menu"),
        (lambda s: s.event(MEMBER, "scancode_push", EventKey="SCAN"), "menu"),
        (lambda s: s.image(MEMBER, "MEDIA"), "message"),
        (lambda s: s.location(MEMBER, 22.5, 114.0), "message"),
    ],
)
def test_interactions_that_open_the_window(
    wechat: SimWeChatClient,
    server: WeChatServer,
    sim_state: SimulatorState,
    make: Callable[[WeChatServer], Any],
    kind: str,
) -> None:
    server.send(make(server))

    assert wechat.message.send_text(MEMBER, "hi")["errcode"] == 0
    last = sim_state.custom.last(APPID, MEMBER)
    assert last is not None and last.kind == kind


def test_window_length_is_a_setting(wechat: SimWeChatClient, sim_state: SimulatorState, sim_url: str) -> None:
    requests.post(f"{sim_url}/_sim/interactions", json={"appid": APPID, "openid": MEMBER}, timeout=5)
    assert wechat.message.send_text(MEMBER, "hi")["errcode"] == 0

    requests.post(f"{sim_url}/_sim/limits", json={"reply_window": 0.1}, timeout=5)
    time.sleep(0.15)

    assert send_error(lambda: wechat.message.send_text(MEMBER, "hi")) == 45015
    assert sim_state.custom.window == 0.1


def test_control_api_lists_sent_messages(wechat: SimWeChatClient, server: WeChatServer, sim_url: str) -> None:
    server.send(server.text(MEMBER, "hi"))
    wechat.message.send_text(MEMBER, "一")
    wechat.message._send_custom_message(
        {"touser": MEMBER, "msgtype": "text", "text": {"content": "二"}}, account="kf2001@gh_sim"
    )

    listed = requests.get(f"{sim_url}/_sim/custom-messages", params={"touser": MEMBER}, timeout=5).json()

    assert [m["content"]["content"] for m in listed["messages"]] == ["一", "二"]
    assert [m["kf_account"] for m in listed["messages"]] == [None, "kf2001@gh_sim"]


def test_control_api_refuses_bad_interactions(sim_url: str) -> None:
    for body in ({"appid": APPID}, {"appid": APPID, "openid": MEMBER, "kind": "dance"}):
        answer = requests.post(f"{sim_url}/_sim/interactions", json=body, timeout=5)
        assert answer.status_code == 400
