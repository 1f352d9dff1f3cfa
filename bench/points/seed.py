"""Store the award stage's data fast: the account through Tiefen, every row else through COPY."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg

from bench.bodies import APPID, TOKEN
from bench.points import db
from bench.points.mix import Event, Mix, openid
from models import EventStatus
from rules.inbound.keys import dedup_key
from rules.inbound.messages import API, ORDER_PAID
from services.accounts.registry import save_account
from services.points.programme import ensure_defaults

MEMBER_COLS = (
    "id, account_id, openid, following, follow_count, points_balance, points_earned, spend_fen, created_at"
)
ORDER_COLS = "id, account_id, member_id, order_no, amount_fen, refunded_fen, paid_at, created_at"
EVENT_COLS = (
    "account_id, dedup_key, openid, msg_type, event, event_key, content, msg_id, create_time, payload, "
    "status, attempts, received_at"
)
CHECKIN_COLS = "account_id, member_id, day, streak, points, bonus, makeup, source_key, created_at"
REVIEW_COLS = "account_id, member_id, rating, text, status, source_key, like_count, created_at"
TABLES = ["accounts", "members", "orders", "inbound_events", "checkins", "reviews", "point_tasks", "tiers"]


def create_account(database_url: str) -> int:
    """The benchmark's official account with the default programme (tasks, tiers, expiry)."""
    with db.sessions(database_url) as sessions, sessions.begin() as session:
        account, _ = save_account(session, APPID, "积分压测", TOKEN)
        ensure_defaults(session, account.id)
        return account.id


def load(database_url: str, mix: Mix, account_id: int) -> None:
    """Members, orders, events (in CreateTime order), check-ins and reviews; then ANALYZE."""
    now = naive(datetime.now(UTC))
    with db.connect(database_url, autocommit=False) as conn:
        members = ((m, account_id, openid(m), True, 0, 0, 0, 0, now) for m in range(1, mix.members + 1))
        copy(conn, "members", MEMBER_COLS, members)
        orders = (
            (o.id, account_id, o.member_id, f"PO{o.id:010d}", o.amount_fen, 0, naive(o.at), naive(o.at))
            for o in mix.orders
        )
        copy(conn, "orders", ORDER_COLS, orders)
        copy(conn, "inbound_events", EVENT_COLS, (event_row(e, account_id, now) for e in mix.events))
        checkins = (
            (account_id, c.member_id, c.day, c.streak, 10, c.bonus, False, f"msg:{c.msg_id}", naive(c.at))
            for c in mix.checkins
        )
        copy(conn, "checkins", CHECKIN_COLS, checkins)
        reviews = (
            (account_id, r.member_id, r.rating, r.text, "approved", f"msg:{r.msg_id}", 0, naive(r.at))
            for r in mix.reviews
        )
        copy(conn, "reviews", REVIEW_COLS, reviews)
        for table in ("members", "orders"):
            conn.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        conn.commit()
    with db.connect(database_url) as conn:
        db.analyze(conn, TABLES)


def copy(conn: psycopg.Connection[Any], table: str, columns: str, rows: Iterable[Sequence[Any]]) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as out:
        for row in rows:
            out.write_row(row)


def event_row(e: Event, account_id: int, received: datetime) -> tuple[Any, ...]:
    """One stored callback (or API event) as the webhook or the merchant API would have stored it."""
    who = openid(e.member_id)
    key, msg_type, event, event_key, msg_id, payload = _shape(e, who, int(e.at.timestamp()))
    pending = EventStatus.PENDING.value
    return (
        account_id,
        key,
        who,
        msg_type,
        event,
        event_key,
        e.content,
        msg_id,
        naive(e.at),
        payload,
        pending,
        0,
        received,
    )


Shape = tuple[
    str, str, str | None, str | None, int | None, str
]  # key, type, event, event key, MsgId, payload


def _shape(e: Event, who: str, created: int) -> Shape:
    if e.kind == "order":
        payload = json.dumps({"order_no": f"PO{e.ref:010d}", "paid_at": e.at.isoformat()})
        return f"order:{e.ref}", API, ORDER_PAID, str(e.ref), None, payload
    if e.kind == "follow":
        body = "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
        key = dedup_key("event", None, who, created, "subscribe", None)
        return key, "event", "subscribe", None, None, xml(who, created, body)
    body = (
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{e.content}]]></Content><MsgId>{e.ref}</MsgId>"
    )
    return f"msg:{e.ref}", "text", None, None, e.ref, xml(who, created, body)


def xml(who: str, created: int, body: str) -> str:
    head = f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{who}]]></FromUserName>"
    return f"{head}<CreateTime>{created}</CreateTime>{body}</xml>"


def naive(at: datetime) -> datetime:
    """What `UTCDateTime` stores: naive UTC."""
    return at.astimezone(UTC).replace(tzinfo=None)
