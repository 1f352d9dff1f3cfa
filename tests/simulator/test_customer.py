"""The customer side: WeChatServer pushing callbacks to a wechatpy-based webhook in all modes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
import xmltodict
from wechatpy import events, messages
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException

from simulator import RunningServer, WeChatServer
from tests.simulator.helpers import AES_KEY, APPID, TOKEN, Webhook

MODES = ["plain", "compat", "safe"]
OPENID = "oTIEFEN_customer_0001"


@pytest.fixture
def webhook_url(serve: Callable[[Any], RunningServer]) -> Callable[[Webhook], str]:
    """Serve a webhook and return its callback URL."""
    return lambda webhook: serve(webhook.app).url + "/wechat"


def sender(url: str, mode: str = "plain", **kwargs: Any) -> WeChatServer:
    return WeChatServer(url, TOKEN, APPID, aes_key=None if mode == "plain" else AES_KEY, mode=mode, **kwargs)


@pytest.mark.parametrize("mode", MODES)
def test_text_message_round_trip(mode: str, webhook_url: Callable[[Webhook], str]) -> None:
    webhook = Webhook()
    server = sender(webhook_url(webhook), mode)

    delivery = server.send(server.text(OPENID, "你好 <b>&"))

    assert delivery.ok and delivery.attempts == 1
    assert delivery.encrypted is (mode != "plain")
    assert delivery.content == "echo: 你好 <b>&"
    assert delivery.reply is not None and delivery.reply["ToUserName"] == OPENID
    [received] = webhook.received
    assert isinstance(received.message, messages.TextMessage)
    assert (received.message.source, received.message.target) == (OPENID, "gh_sim")
    assert received.args["openid"] == OPENID
    assert ("msg_signature" in received.args) is (mode != "plain")
    assert received.args.get("encrypt_type") == (None if mode == "plain" else "aes")


@pytest.mark.parametrize(
    ("mode", "body_fields"),
    [
        ("plain", ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Event"]),
        ("compat", ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Event", "Encrypt"]),
        ("safe", ["ToUserName", "Encrypt"]),
    ],
)
def test_body_layout_per_mode(
    mode: str, body_fields: list[str], webhook_url: Callable[[Webhook], str]
) -> None:
    webhook = Webhook()
    server = sender(webhook_url(webhook), mode)

    delivery = server.send(server.subscribe(OPENID))

    assert delivery.content == "欢迎"
    body = xmltodict.parse(webhook.received[0].body)["xml"]
    assert list(body) == body_fields
    assert body["ToUserName"] == "gh_sim"


def test_events_and_messages_parse_as_wechatpy_expects(webhook_url: Callable[[Webhook], str]) -> None:
    webhook = Webhook()
    server = sender(webhook_url(webhook), "safe")

    for callback in (
        server.subscribe(OPENID, scene="invite_42"),
        server.scan(OPENID, 7),
        server.click(OPENID, "CHECKIN"),
        server.view(OPENID, "https://example.com/points"),
        server.image(OPENID, "MEDIA_1"),
        server.location(OPENID, 22.54, 114.05, label="深圳"),
        server.unsubscribe(OPENID),
        server.event(OPENID, "TEMPLATESENDJOBFINISH", MsgID=1001, Status="success"),
    ):
        assert server.send(callback).ok

    subscribed, scanned, clicked, viewed, image, location, left, job = (r.message for r in webhook.received)
    assert isinstance(subscribed, events.SubscribeScanEvent) and subscribed.scene_id == "invite_42"
    assert subscribed.ticket.startswith("gQ")
    assert isinstance(scanned, events.ScanEvent) and scanned.scene_id == "7"
    assert isinstance(clicked, events.ClickEvent) and clicked.key == "CHECKIN"
    assert isinstance(viewed, events.ViewEvent) and viewed.url == "https://example.com/points"
    assert isinstance(image, messages.ImageMessage) and image.media_id == "MEDIA_1"
    assert isinstance(location, messages.LocationMessage) and location.label == "深圳"
    assert location.location == ("22.54", "114.05")  # wechatpy keeps them as strings
    assert isinstance(left, events.UnsubscribeEvent)
    assert isinstance(job, events.TemplateSendJobFinishEvent) and job.status == "success"


def test_callback_xml_is_exactly_wechats() -> None:
    server = sender("http://unused")

    callback = server.subscribe("oABC123", scene=42, ticket="TICKET", create_time=1700000000)

    assert callback.xml == (
        "<xml><ToUserName><![CDATA[gh_sim]]></ToUserName><FromUserName><![CDATA[oABC123]]></FromUserName>"
        "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_42]]></EventKey>"
        "<Ticket><![CDATA[TICKET]]></Ticket></xml>"
    )
    assert callback.openid == "oABC123" and callback.msg_type == "event"


def test_msg_ids_increase_unless_given() -> None:
    server = sender("http://unused")

    first, second = (server.text(OPENID, "hi").fields["MsgId"] for _ in range(2))

    assert isinstance(first, int) and isinstance(second, int) and second > first
    assert server.text(OPENID, "hi", msg_id=5).fields["MsgId"] == 5


def test_retry_resends_the_identical_request(webhook_url: Callable[[Webhook], str]) -> None:
    webhook = Webhook(delays=[0.6])
    server = sender(webhook_url(webhook), "safe", timeout=0.3)

    delivery = server.send(server.text(OPENID, "慢"))

    assert delivery.attempts == 2
    assert delivery.content == "echo: 慢"
    first, second = webhook.received
    assert (first.args, first.body) == (second.args, second.body)


def test_gives_up_after_the_retries(webhook_url: Callable[[Webhook], str]) -> None:
    webhook = Webhook(delays=[0.5, 0.5])
    server = sender(webhook_url(webhook), timeout=0.2, retries=1)

    delivery = server.send(server.click(OPENID, "K"))

    assert (delivery.status_code, delivery.attempts, delivery.ok) == (None, 2, False)
    assert delivery.error is not None and "Timeout" in delivery.error
    assert len(webhook.received) == 2


def test_unreachable_webhook(serve: Callable[[Any], RunningServer]) -> None:
    gone = serve(Webhook().app)
    gone.shutdown()
    server = sender(gone.url + "/wechat", timeout=0.3, retries=2)

    delivery = server.send(server.click(OPENID, "K"))

    assert (delivery.status_code, delivery.attempts) == (None, 3)
    assert delivery.error is not None and "ConnectionError" in delivery.error


def test_verify_url(webhook_url: Callable[[Webhook], str]) -> None:
    url = webhook_url(Webhook())

    assert sender(url).verify_url("echo123").text == "echo123"
    assert WeChatServer(url, "wrong-token", APPID).verify_url("echo123").status_code == 403


def test_wrong_token_is_refused(webhook_url: Callable[[Webhook], str]) -> None:
    server = WeChatServer(webhook_url(Webhook()), "wrong-token", APPID)

    delivery = server.send(server.text(OPENID, "hi"))

    assert (delivery.status_code, delivery.reply, delivery.ok) == (403, None, False)


def test_send_raw_posts_hostile_payloads_verbatim(webhook_url: Callable[[Webhook], str]) -> None:
    webhook = Webhook()
    server = sender(webhook_url(webhook))
    hostile = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml>&e;</xml>'

    delivery = server.send_raw(hostile, server.sign_params())

    assert delivery.status_code == 400
    assert webhook.received[0].body == hostile


def test_cdata_terminator_in_content_survives(webhook_url: Callable[[Webhook], str]) -> None:
    webhook = Webhook()
    server = sender(webhook_url(webhook))

    delivery = server.send(server.text(OPENID, "a]]>b"))

    assert webhook.received[0].message.content == "a]]>b"
    # wechatpy's reply rendering does not split ']]>' in CDATA, so its echo is malformed XML.
    assert delivery.error is not None and delivery.error.startswith("unparseable reply")


def test_prepare_signs_like_wechat() -> None:
    server = sender("http://unused", "safe")
    callback = server.text(OPENID, "hi")

    outgoing = server.prepare(callback, timestamp=1700000000, nonce="12345")

    expected = hashlib.sha1("".join(sorted([TOKEN, "1700000000", "12345"])).encode()).hexdigest()
    assert outgoing.params["signature"] == expected
    assert (outgoing.params["timestamp"], outgoing.params["nonce"]) == ("1700000000", "12345")
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    plaintext = crypto.decrypt_message(outgoing.body, outgoing.params["msg_signature"], "1700000000", "12345")
    assert plaintext == callback.xml


def test_encrypted_reply_with_a_bad_signature_raises(webhook_url: Callable[[Webhook], str]) -> None:
    server = sender(webhook_url(Webhook(tamper_reply=True)), "safe")

    with pytest.raises(InvalidSignatureException):
        server.send(server.text(OPENID, "hi"))


@pytest.mark.parametrize(("raw_reply", "reply"), [("success", None), ("", None)])
def test_empty_answers_mean_no_reply(
    raw_reply: str, reply: None, webhook_url: Callable[[Webhook], str]
) -> None:
    server = sender(webhook_url(Webhook(raw_reply=raw_reply)))

    delivery = server.send(server.text(OPENID, "hi"))

    assert delivery.ok and delivery.reply is reply and delivery.content is None


def test_garbage_answer_is_reported_not_raised(webhook_url: Callable[[Webhook], str]) -> None:
    server = sender(webhook_url(Webhook(raw_reply="<html>oops")))

    delivery = server.send(server.text(OPENID, "hi"))

    assert delivery.status_code == 200 and not delivery.ok
    assert delivery.error is not None and delivery.error.startswith("unparseable reply")


def test_encrypted_modes_need_a_key() -> None:
    with pytest.raises(ValueError):
        WeChatServer("http://unused", TOKEN, APPID, mode="safe")
    with pytest.raises(ValueError):
        WeChatServer("http://unused", TOKEN, APPID, aes_key=AES_KEY, mode="secret")
