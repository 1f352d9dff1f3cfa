"""The webhook fuzzed with hypothesis, in plaintext and in safe mode: callbacks WeChat could send,
with any values in their fields, and bodies it never would. Never a 5xx; a refused callback
stores nothing; an accepted one is stored once.

TIEFEN_FUZZ_EXAMPLES bounds each test (CI); `make fuzz` raises it for a long hunt.
"""

from __future__ import annotations

import os
import secrets
import time
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from wechatpy.crypto import WeChatCrypto

from bot import protocol
from models import InboundEvent
from tests.conftest import AES_KEY, APPID, TOKEN

EXAMPLES = int(os.environ.get("TIEFEN_FUZZ_EXAMPLES", "12")) * 10
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)

TYPES = ["text", "event", "image", "voice", "video", "location", "link", "shortvideo", "miniprogrampage"]
EVENTS = [
    "subscribe",
    "unsubscribe",
    "SCAN",
    "CLICK",
    "VIEW",
    "LOCATION",
    "MASSSENDJOBFINISH",
    "TEMPLATESENDJOBFINISH",
]
KEYS = [
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "Event",
    "EventKey",
    "Ticket",
    "MsgID",
    "Status",
    "TotalCount",
    "SentCount",
    "PicUrl",
    "MediaId",
    "Latitude",
]

texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=300)
numbers = st.one_of(st.integers(-(2**70), 2**70).map(str), st.sampled_from(["", "1e9", "-0", "0x10", " 12 "]))
openids = st.one_of(st.from_regex(r"\Ao[A-Za-z0-9_-]{5,30}\Z"), texts)
fields = st.fixed_dictionaries(
    {
        "ToUserName": st.just("gh_fuzz"),
        "FromUserName": openids,
        "CreateTime": st.one_of(st.just(str(int(time.time()))), numbers),
        "MsgType": st.one_of(st.sampled_from(TYPES), texts),
    },
    optional={
        "Content": st.one_of(st.sampled_from(["签到", "积分", "评价 " + "好" * 20]), texts),
        "MsgId": numbers,
        "Event": st.one_of(st.sampled_from(EVENTS), texts),
        "EventKey": st.one_of(st.sampled_from(["qrscene_m1-abc", "checkin", "qrscene_"]), texts),
        "MsgID": numbers,
        "TotalCount": numbers,
        "Latitude": numbers,
        "PicUrl": texts,
    },
)


def xml_of(values: dict[str, str]) -> str:
    return "<xml>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in values.items()) + "</xml>"


def signed(timestamp: str | None = None) -> dict[str, str]:
    ts, nonce = timestamp or str(int(time.time())), secrets.token_hex(6)
    return {"timestamp": ts, "nonce": nonce, "signature": protocol.sign(TOKEN, ts, nonce)}


def stored(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(InboundEvent)) or 0


def answered(client, session, body: bytes, params: dict[str, str]) -> int:
    before = stored(session)
    r = client.post("/wechat", query_string=params, data=body, content_type="text/xml")
    assert r.status_code < 500, (r.status_code, body[:300])
    after = stored(session)
    if r.status_code != 200:
        assert after == before, f"a refused callback ({r.status_code}) stored a row"
    else:
        assert after - before <= 1
    return r.status_code


@pytest.fixture
def config(config):
    return {**config, "WECHAT_MESSAGE_MODE": "compatible"}


@FUZZ
@given(values=fields)
def test_plaintext_callbacks_with_any_field_values(client, session, values):
    answered(client, session, xml_of(values).encode(), signed())


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=2000), texts.map(str.encode), fields.map(lambda f: xml_of(f)[:-3].encode())
    )
)
def test_bodies_wechat_would_never_send(client, session, body):
    answered(client, session, body, signed())


@FUZZ
@given(
    values=fields,
    encoding=st.sampled_from(["utf-8", "UTF-8", "gbk", "gb2312", "utf-16", "latin-1", "x-unknown"]),
)
def test_safe_mode_envelopes_with_any_inner_message_and_declared_encoding(client, session, values, encoding):
    crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
    inner = f'<?xml version="1.0" encoding="{encoding}"?>' + xml_of(values)
    params = signed()
    envelope = crypto.encrypt_message(inner, params["nonce"], params["timestamp"])
    fields_of = protocol.safe_fields(envelope)
    params.update(encrypt_type="aes", msg_signature=fields_of["MsgSignature"])
    body = xml_of({"ToUserName": "gh_fuzz", "Encrypt": fields_of["Encrypt"]}).encode()
    answered(client, session, body, params)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["timestamp", "nonce", "signature", "encrypt_type", "msg_signature", "openid", "echostr"]
        ),
        texts,
        max_size=6,
    )
)
def test_any_query_string(client, session, params):
    answered(
        client,
        session,
        xml_of({"FromUserName": "oQuery1", "MsgType": "text", "CreateTime": "1"}).encode(),
        params,
    )
