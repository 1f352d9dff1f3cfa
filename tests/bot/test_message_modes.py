"""An account's message mode, and a signed query string bound to the message it first carried.

The attack these hold off: a plaintext callback's `signature` covers token, timestamp and nonce only,
so whoever saw one callback URL (a log line) could post any events under it for the replay window.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import protocol
from models import InboundEvent, Member
from rules.inbound.modes import MessageMode, accepts, default_mode, mode_problem
from services.accounts.registry import InvalidAccount, save_account
from tests.conftest import AES_KEY, APPID, TOKEN
from tests.factories import count


@pytest.fixture
def message_mode() -> str:
    return "safe"


@pytest.fixture
def config(config, message_mode):
    return {**config, "WECHAT_MESSAGE_MODE": message_mode}


def server(live_app, mode):
    from simulator.customer import WeChatServer

    return WeChatServer(f"{live_app.url}/wechat", TOKEN, APPID, AES_KEY, mode=mode, retries=0)


def test_a_safe_mode_account_refuses_plaintext_and_stores_nothing(live_app, session):
    plain = server(live_app, "plain").send(server(live_app, "plain").text("oPlain1", "签到"))
    assert plain.status_code == 403 and "safe-mode" in plain.text
    assert count(session, InboundEvent) == 0
    safe = server(live_app, "safe")
    assert safe.send(safe.text("oSafe1", "签到")).status_code == 200
    assert count(session, InboundEvent) == 1


@pytest.mark.parametrize("message_mode", ["plaintext"])
def test_a_plaintext_account_refuses_envelopes(live_app, session):
    safe = server(live_app, "safe")
    assert safe.send(safe.text("oSafe2", "签到")).status_code == 403
    plain = server(live_app, "plain")
    assert plain.send(plain.text("oPlain2", "签到")).status_code == 200
    assert count(session, InboundEvent) == 1


@pytest.mark.parametrize("message_mode", ["compatible", "plaintext"])
def test_a_signed_query_string_carries_one_message_and_its_retries(live_app, session):
    wechat = server(live_app, "plain")
    first = wechat.prepare(wechat.text("oVictim1", "签到"))
    answered = wechat.send_raw(first.body, first.params)
    assert answered.status_code == 200 and answered.content
    for n in range(5):  # the same timestamp, nonce and signature with other members' check-ins
        forged = wechat.prepare(wechat.text(f"oForged{n}", "签到"))
        refused = wechat.send_raw(forged.body, {**first.params, "openid": f"oForged{n}"})
        assert refused.status_code == 403 and "another message" in refused.text
    retried = wechat.send_raw(first.body, first.params)  # WeChat retrying: the first reply again
    assert retried.status_code == 200 and retried.content == answered.content
    assert session.scalars(select(InboundEvent.openid)).all() == ["oVictim1"]
    # the check-in handler ran for each forged body, in the INSERT's transaction: all rolled back
    assert session.scalars(select(Member.openid)).all() == ["oVictim1"]


def test_modes_as_rules():
    assert default_mode(AES_KEY) is MessageMode.SAFE and default_mode(None) is MessageMode.PLAINTEXT
    assert accepts(MessageMode.COMPATIBLE, True) and accepts(MessageMode.COMPATIBLE, False)
    assert not accepts(MessageMode.SAFE, False) and not accepts(MessageMode.PLAINTEXT, True)
    assert mode_problem(MessageMode.SAFE, None) and mode_problem(MessageMode.COMPATIBLE, "") is not None
    assert mode_problem(MessageMode.PLAINTEXT, None) is None


def test_an_account_cannot_be_put_in_safe_mode_without_its_key(session):
    with pytest.raises(InvalidAccount, match="EncodingAESKey"):
        save_account(session, "wxNoKey", "无钥", TOKEN, None, "s", mode=MessageMode.SAFE)
    ref, _ = save_account(session, "wxKeyed", "有钥", TOKEN, AES_KEY, "s")
    assert ref.message_mode is MessageMode.SAFE  # a key and no mode given: safe


def test_the_binding_holds_without_redis_and_a_reused_query_stores_nothing(session, hot_engine):
    """The outbox itself holds the binding: nothing in Redis is needed, and an atomic handler's
    writes are rolled back with the refused INSERT."""
    from services.inbound import outbox
    from tests.bot.test_parse import callback

    account, _ = save_account(session, "wxbinding0000001", "绑定", TOKEN)
    session.commit()
    first, other = (protocol.parse(callback("text", Content="签到", MsgId=str(n))) for n in (1, 2))
    key = protocol.query_key({"timestamp": "1700000000", "nonce": "42"})
    with hot_engine.connect() as conn:
        assert outbox.record_inbound(conn, account.id, first, "<xml>1</xml>", key) is not None
        assert outbox.record_inbound(conn, account.id, other, "<xml>2</xml>", key) is None
        with pytest.raises(outbox.QueryTaken):
            outbox.first_reply(conn, account.id, other, key)
        assert outbox.record_inbound(conn, account.id, first, "<xml>again</xml>", key) is None
        assert outbox.first_reply(conn, account.id, first, key) == "<xml>1</xml>"
        fresh = protocol.query_key({"timestamp": "1700000000", "nonce": "43"})
        assert outbox.first_reply(conn, account.id, first, fresh) == "<xml>1</xml>"  # retried afresh
        assert outbox.record_inbound(conn, account.id, other, None, fresh) is not None
    assert count(session, InboundEvent) == 2
