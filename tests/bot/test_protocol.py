"""Every way a callback can be refused: the status, and that nothing was stored."""

from __future__ import annotations

import time

import pytest

from models import InboundEvent
from tests.conftest import AES_KEY, APPID, TOKEN
from tests.factories import count

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<xml><ToUserName>gh</ToUserName><FromUserName>oAbc</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol9;</Content><MsgId>1</MsgId></xml>"""
XXE = """<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh</ToUserName><FromUserName>oAbc</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"""


def test_url_verification_echoes_on_a_valid_signature(wechat):
    r = wechat.verify_url("echo-5123")
    assert (r.status_code, r.text) == (200, "echo-5123")


def test_url_verification_refuses_a_bad_signature(live_app):
    import requests

    r = requests.get(
        f"{live_app.url}/wechat",
        params={"signature": "x" * 40, "timestamp": "1", "nonce": "2", "echostr": "e"},
    )
    assert r.status_code == 403 and r.text != "e"


def test_a_bad_signature_is_403_and_stores_nothing(wechat, session):
    out = wechat.prepare(wechat.subscribe("oBadSig1"))
    d = wechat.send_raw(out.body, {**out.params, "signature": "0" * 40})
    assert d.status_code == 403
    assert count(session, InboundEvent) == 0


@pytest.mark.parametrize("skew", [-310, 310, 86400])
def test_a_stale_timestamp_is_403_and_stores_nothing(wechat, session, skew):
    ts = int(time.time()) + skew
    d = wechat.send(wechat.subscribe("oStale1", create_time=ts), timestamp=ts)
    assert d.status_code == 403
    assert count(session, InboundEvent) == 0


def test_a_timestamp_inside_the_window_is_accepted(wechat, session):
    ts = int(time.time()) - 250
    assert wechat.send(wechat.subscribe("oFresh1"), timestamp=ts).status_code == 200
    assert count(session, InboundEvent) == 1


def test_an_oversized_body_is_413_and_stores_nothing(wechat, session):
    big = wechat.text("oBig1", "长" * 30_000)  # 90 KB of UTF-8
    d = wechat.send(big)
    assert d.status_code == 413
    assert count(session, InboundEvent) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><ToUserName>gh</ToUserName>",  # truncated
        b"not xml at all",
        b"<html><FromUserName>oA</FromUserName></html>",  # wrong root
        b"<xml><MsgType>text</MsgType><CreateTime>1</CreateTime></xml>",  # no sender
        b"<xml><FromUserName>o' or--</FromUserName><MsgType>text</MsgType><CreateTime>1</CreateTime></xml>",
        b"<xml><FromUserName>oA1</FromUserName><MsgType>text</MsgType><CreateTime>soon</CreateTime></xml>",
        b"\xff\xfe<xml/>",  # not UTF-8
        BILLION_LAUGHS.encode(),
        XXE.encode(),
    ],
    ids=[
        "truncated",
        "garbage",
        "root",
        "no-sender",
        "bad-openid",
        "bad-time",
        "not-utf8",
        "billion-laughs",
        "xxe",
    ],
)
def test_malformed_or_hostile_xml_is_400_and_stores_nothing(wechat, session, body):
    started = time.perf_counter()
    d = wechat.send_raw(body, wechat.sign_params())
    assert d.status_code == 400
    assert time.perf_counter() - started < 1.0  # refused before anything is expanded
    assert count(session, InboundEvent) == 0


def test_an_unknown_account_is_404(live_app, wechat):
    from simulator.customer import WeChatServer

    other = WeChatServer(f"{live_app.url}/wechat/wxnobody", TOKEN, "wxnobody", retries=0)
    assert other.send(other.subscribe("oWho1")).status_code == 404


def test_unknown_message_types_get_success_and_are_stored(wechat, session):
    d = wechat.send(wechat.callback("oOdd1", "hologram", MsgId=77))
    assert (d.status_code, d.text) == (200, "success")
    assert count(session, InboundEvent) == 1


def test_unhandled_events_get_success(wechat):
    d = wechat.send(wechat.event("oOdd2", "LOCATION", Latitude=23.1, Longitude=113.3, Precision=50.0))
    assert (d.status_code, d.text) == (200, "success")


def test_media_the_account_does_not_read_gets_a_polite_reply(wechat):
    assert "暂时无法处理" in wechat.send(wechat.image("oPic1", "media123")).content


@pytest.mark.parametrize("mode", ["safe", "compat"])
def test_encrypted_callbacks_get_encrypted_replies(live_app, session, mode):
    from simulator.customer import WeChatServer

    server = WeChatServer(f"{live_app.url}/wechat", TOKEN, APPID, AES_KEY, mode=mode, retries=0)
    d = server.send(server.subscribe("oSafe1"))
    assert d.status_code == 200 and d.encrypted
    assert "欢迎关注" in d.content
    assert count(session, InboundEvent) == 1


def test_a_bad_msg_signature_is_403(live_app, session):
    from simulator.customer import WeChatServer

    server = WeChatServer(f"{live_app.url}/wechat", TOKEN, APPID, AES_KEY, mode="safe", retries=0)
    out = server.prepare(server.subscribe("oSafe2"))
    assert server.send_raw(out.body, {**out.params, "msg_signature": "f" * 40}).status_code == 403
    assert count(session, InboundEvent) == 0


def test_a_payload_for_another_appid_or_key_is_400(live_app, session):
    from simulator.customer import WeChatServer

    other_key = "Z" * 43
    for server in (
        WeChatServer(f"{live_app.url}/wechat", TOKEN, "wxsomeoneelse", AES_KEY, mode="safe", retries=0),
        WeChatServer(f"{live_app.url}/wechat", TOKEN, APPID, other_key, mode="safe", retries=0),
    ):
        assert server.send(server.subscribe("oSafe3")).status_code == 400
    assert count(session, InboundEvent) == 0


def test_garbage_inside_a_correctly_signed_envelope_is_400(live_app, session):
    from wechatpy.utils import WeChatSigner

    from simulator.customer import WeChatServer

    server = WeChatServer(f"{live_app.url}/wechat", TOKEN, APPID, AES_KEY, mode="safe", retries=0)
    params = server.sign_params()
    garbage = "bm90IGEgY2lwaGVydGV4dA=="
    signer = WeChatSigner()
    signer.add_data(TOKEN, params["timestamp"], params["nonce"], garbage)
    params.update(encrypt_type="aes", msg_signature=signer.signature)
    body = f"<xml><ToUserName>gh</ToUserName><Encrypt>{garbage}</Encrypt></xml>".encode()
    assert server.send_raw(body, params).status_code == 400
    assert count(session, InboundEvent) == 0
