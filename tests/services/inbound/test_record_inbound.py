"""The webhook's one write: stored once, a retry seen, on the kept driver cursor, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.protocol import parse
from models import InboundEvent
from services.accounts.registry import save_account
from services.inbound import outbox as inbound
from tests.bot.test_parse import callback


@pytest.fixture
def account_id(session):
    account, _ = save_account(session, "wxinbound0000001", "收件测试", "inboundtoken")
    session.commit()
    return account.id


def text(n: int):
    return parse(callback("text", Content=f"第{n}条", MsgId=str(9_000 + n)))


def test_a_callback_is_stored_once_with_its_reply(session, account_id, hot_engine):
    with hot_engine.connect() as conn:
        first = inbound.record_inbound(conn, account_id, text(1), "<xml>reply</xml>")
        again = inbound.record_inbound(conn, account_id, text(1), "<xml>other</xml>")
        assert inbound.first_reply(conn, account_id, text(1)) == "<xml>reply</xml>"
    assert first is not None and again is None
    stored = session.scalars(select(InboundEvent)).all()
    assert [(e.id, e.content, e.reply, e.status) for e in stored] == [
        (first, "第1条", "<xml>reply</xml>", "pending")
    ]


def test_one_driver_cursor_serves_a_connection_and_a_replaced_connection_gets_its_own(
    session, account_id, hot_engine
):
    with hot_engine.connect() as conn:
        inbound.record_inbound(conn, account_id, text(1), None)
        kept = conn.connection.info["tiefen.fast.cursor"]
        driver = conn.connection.dbapi_connection
    with hot_engine.connect() as conn:  # the pool hands the same connection back
        inbound.record_inbound(conn, account_id, text(2), None)
        assert conn.connection.info["tiefen.fast.cursor"] is kept
        conn.invalidate()  # as after a dropped connection: the pool opens a new one next time
    with hot_engine.connect() as conn:
        assert conn.connection.dbapi_connection is not driver
        assert inbound.record_inbound(conn, account_id, text(3), None) is not None
        assert conn.connection.info["tiefen.fast.cursor"] is not kept
    assert sorted(e.content for e in session.scalars(select(InboundEvent))) == ["第1条", "第2条", "第3条"]
