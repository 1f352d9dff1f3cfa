"""The webhook parses a callback once: its reading must equal wechatpy's `parse_message`."""

from __future__ import annotations

import pytest
from wechatpy import parse_message
from wechatpy.events import EVENT_TYPES
from wechatpy.messages import MESSAGE_TYPES, UnknownMessage

from bot.protocol import ProtocolError, parse, safe_fields


def callback(msg_type: str, **fields: str) -> str:
    extra = "".join(f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items())
    return (
        "<xml><ToUserName><![CDATA[gh_tiefen]]></ToUserName><FromUserName><![CDATA[oReader1]]>"
        f"</FromUserName><CreateTime>1764200000</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"{extra}</xml>"
    )


def as_wechatpy_reads_it(xml: str) -> tuple[str | None, str | None, str | None, bool]:
    """(event, event key, content, known) as the webhook derived them with `parse_message`."""
    msg, fields = parse_message(xml), safe_fields(xml)
    msg_type = fields["MsgType"].lower()
    event = (msg._data.get("Event") or "").lower() or None if msg_type == "event" else None
    key = msg._data.get("EventKey") or (fields.get("MsgID") if msg_type == "event" else None) or None
    content = fields.get("Content") if msg.type == "text" else None
    return event, key, content, not isinstance(msg, UnknownMessage)


def corpus() -> list[str]:
    messages = [callback(t, Content="签到", MsgId="7001") for t in MESSAGE_TYPES]
    events = [callback("event", Event=e.upper(), EventKey="MENU_CHECKIN") for e in EVENT_TYPES]
    return [
        *messages,
        *events,
        callback("event", Event="subscribe"),
        callback("event", Event="subscribe", EventKey=""),
        callback("event", Event="subscribe", EventKey="qrscene_ref:u1001", Ticket="t1"),
        callback("event", Event="subscribe", EventKey="qrscene_"),
        callback("event", Event="subscribe", EventKey="scanbarcode|EAN13|6901234567892"),
        callback("event", Event="subscribe", EventKey="scanimage|pic"),
        callback("event", Event="SCAN", EventKey="ref:u1001", Ticket="t1"),
        callback("event", Event="unsubscribe"),
        callback("event", Event="CLICK", EventKey="V1001_CHECKIN"),
        callback("event", Event="VIEW", EventKey="https://example.com/h5?a=1&b=2"),
        callback("event", Event="MASSSENDJOBFINISH", MsgID="1000001625", Status="send success"),
        callback("event", Event="TEMPLATESENDJOBFINISH", MsgID="200163836"),
        callback("event", Event="no_such_event", EventKey="k"),
        callback("event"),
        callback("no_such_type", Content="x"),
        callback("device_text", Content="d", DeviceType="t", DeviceID="d1", SessionID="1"),
        callback("device_event", Event="bind", DeviceType="t", DeviceID="d1", OpenID="o1"),
        callback("device_event", Event="no_such_device_event"),
        callback("device_no_such_type"),
        callback("Text", Content=" 签到 ", MsgId="7002"),
    ]


@pytest.mark.parametrize("xml", corpus())
def test_the_single_parse_reads_every_callback_as_wechatpy_does(xml):
    msg = parse(xml)
    assert (msg.event, msg.event_key, msg.content, msg.known) == as_wechatpy_reads_it(xml)


def test_every_type_wechatpy_knows_is_known_and_others_are_not():
    assert all(parse(callback(t, MsgId="1")).known for t in MESSAGE_TYPES)
    assert all(parse(callback("event", Event=e)).known for e in EVENT_TYPES if not e.startswith("device_"))
    assert not parse(callback("event", Event="no_such_event")).known
    assert not parse(callback("no_such_type")).known


def test_a_follow_through_a_qr_code_names_its_scene():
    msg = parse(callback("event", Event="subscribe", EventKey="qrscene_ref:u1001"))
    assert (msg.event, msg.event_key) == ("subscribe_scan", "ref:u1001")
    assert msg.dedup_key != parse(callback("event", Event="subscribe")).dedup_key


def test_a_create_time_or_msg_id_that_is_not_a_number_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="bad field"):
        parse(callback("text", Content="hi", MsgId="x1"))
    with pytest.raises(ProtocolError, match="bad field"):
        parse(callback("text", Content="hi").replace("1764200000", "soon"))
