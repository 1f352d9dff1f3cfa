"""New events after the full run, stored as the webhook and the drain would have left them.

`n` members (g × stride mod members: distinct; each batch shifted), one event each over the last
minute: every tenth an order paid through the merchant API (an `api`/`order_paid` inbound event and
its order), the rest a 签到 text (the inbound event, the check-in for today's business day unless they already
have one: the drain would only have replied so, and `last_interaction_at` / `last_message_at`).
All in one transaction, with ids from the sequences: above the full run's watermark.
"""

from __future__ import annotations

import time
from typing import Any

from bench.points import db
from bench.segments.config import Config

PLAN = """
CREATE TEMP TABLE seg_new AS
SELECT j, m.id AS member_id, m.openid, j %% 10 = 0 AS is_order,
       CASE WHEN j %% 10 = 0 THEN nextval('orders_id_seq') END AS order_id,
       (now() AT TIME ZONE 'UTC') - make_interval(secs => 60.0 * (%(n)s - j) / %(n)s) AS at
FROM generate_series(1, %(n)s) j
JOIN members m ON m.id = 1 + (j::bigint * %(stride)s + %(shift)s) %% %(members)s
"""
ORDERS = """
INSERT INTO orders (id, account_id, member_id, order_no, amount_fen, refunded_fen, paid_at, created_at)
SELECT order_id, %(account)s, member_id, %(sn)s || lpad(j::text, 10, '0'), 1990 + (j * 7) %% 20000, 0, at, at
FROM seg_new WHERE is_order
"""
EVENTS = """
INSERT INTO inbound_events (account_id, dedup_key, openid, msg_type, event, event_key, content, msg_id,
                            create_time, payload, status, attempts, received_at, processed_at, member_id)
SELECT %(account)s,
       CASE WHEN is_order THEN 'order:' || order_id ELSE 'msg:' || (%(msg)s + j) END, openid,
       CASE WHEN is_order THEN 'api' ELSE 'text' END, CASE WHEN is_order THEN 'order_paid' END,
       order_id::text, CASE WHEN is_order THEN NULL ELSE '签到' END,
       CASE WHEN is_order THEN NULL ELSE %(msg)s + j END, at,
       CASE WHEN is_order THEN json_build_object('order_no', %(sn)s || lpad(j::text, 10, '0'))::text
            ELSE '<xml><FromUserName><![CDATA[' || openid || ']]></FromUserName></xml>' END,
       'done', 1, at, at, member_id
FROM seg_new ORDER BY j
"""
CHECKINS = """
INSERT INTO checkins (account_id, member_id, day, streak, points, bonus, makeup, source_key, created_at)
SELECT %(account)s, member_id, (at + interval '8 hours')::date, 1, 10, 0, false,
       'msg:' || (%(msg)s + j), at
FROM seg_new WHERE NOT is_order
ON CONFLICT (member_id, day) DO NOTHING
"""
MEMBERS = """
UPDATE members m SET last_interaction_at = GREATEST(m.last_interaction_at, n.at),
                     last_message_at = CASE WHEN n.is_order THEN m.last_message_at
                                            ELSE GREATEST(m.last_message_at, n.at) END
FROM seg_new n WHERE m.id = n.member_id
"""

STEPS = (("orders", ORDERS), ("events", EVENTS), ("checkins", CHECKINS), ("members", MEMBERS))


def store(cfg: Config, account_id: int, batch: int = 0) -> dict[str, Any]:
    """Store a batch of new events; returns what was written and the seconds it took. Each batch
    has its own members, order numbers and MsgIds."""
    params = {
        "account": account_id,
        "n": cfg.new_events,
        "stride": cfg.stride,
        "shift": 12345 + 7777 * batch,
        "members": cfg.members,
        "sn": "SN" if batch == 0 else f"SN{batch}-",
        "msg": 8_000_000_000 + 100_000_000 * batch,
    }
    started = time.perf_counter()
    with db.connect(cfg.database_url, autocommit=False) as conn:
        conn.execute(PLAN, params)
        written = {name: conn.execute(sql, params).rowcount for name, sql in STEPS}
        seconds = time.perf_counter() - started
        members = [int(r[0]) for r in conn.execute("SELECT member_id FROM seg_new ORDER BY member_id")]
        conn.execute("DROP TABLE seg_new")
        conn.commit()
    return {"written": written, "members": members, "seconds": round(seconds, 3)}
