"""Two accounts generated in SQL (INSERT … SELECT FROM generate_series): `big` with the full sizes,
`small` with a hundredth of them (10,000 members). Each account's rows are spread over the year
before the anchor, members in the order they followed; events are ledger entries (half), check-ins
(three tenths) and inbound events (a fifth, one in ten an unfollow); orders and referrals on top.
Foreign-key triggers are skipped while loading (session_replication_role = replica); the tables
are vacuumed and analysed afterwards, so index-only scans work as in a settled database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import psycopg

SPAN_DAYS = 365
EVENT_SHARES = {"ledger_entries": 0.5, "checkins": 0.3, "inbound_events": 0.2}


@dataclass(frozen=True)
class Size:
    members: int
    events: int

    @property
    def orders(self) -> int:
        return self.members // 5

    @property
    def referrals(self) -> int:
        return self.members // 20

    def of(self, table: str) -> int:
        return round(self.events * EVENT_SHARES[table])


MEMBERS = """
INSERT INTO members (account_id, openid, following, first_followed_at, last_followed_at, follow_count,
    phone, nickname, points_balance, points_earned, spend_fen, created_at)
SELECT %(a)s, 'o' || %(a)s || 'x' || g, g %% 8 <> 0,
       %(anchor)s - make_interval(secs => 86400.0 * %(span)s * (%(n)s - g) / %(n)s),
       %(anchor)s - make_interval(secs => 86400.0 * %(span)s * (%(n)s - g) / %(n)s),
       1, '13' || lpad((%(a)s * 100000000 + g)::text, 9, '0'),
       (ARRAY['小王', '阿强', '丽丽', 'Lucy'])[1 + g %% 4] || g, g %% 500, g %% 700, (g %% 97) * 1000,
       %(anchor)s - make_interval(secs => 86400.0 * %(span)s * (%(n)s - g) / %(n)s)
FROM generate_series(1, %(n)s) g
"""
# member ids of the account are first..first+n-1 (inserted in one statement, in order)
LEDGER = """
INSERT INTO ledger_entries (account_id, member_id, key, delta, kind, action, business_date, created_at)
SELECT %(a)s, %(first)s + g %% %(n)s, 'b' || g,
       CASE WHEN g %% 20 < 14 THEN 10 WHEN g %% 20 < 17 THEN -50 WHEN g %% 20 = 17 THEN -5
            WHEN g %% 20 = 18 THEN -10 ELSE 5 END,
       CASE WHEN g %% 20 < 14 THEN 'award' WHEN g %% 20 < 17 THEN 'redemption' WHEN g %% 20 = 17 THEN 'expiry'
            WHEN g %% 20 = 18 THEN 'reversal' ELSE 'makeup' END,
       CASE WHEN g %% 20 < 14 THEN 'checkin' END,
       (%(anchor)s + interval '8 hours')::date - (g * 7919 %% %(span)s)::int,
       (%(anchor)s + interval '8 hours')::date - (g * 7919 %% %(span)s)::int + interval '4 hours'
FROM generate_series(0::bigint, %(rows)s - 1) g
"""
CHECKINS = """
INSERT INTO checkins (account_id, member_id, day, streak, points, bonus, makeup, source_key, created_at)
SELECT %(a)s, %(first)s + g %% %(n)s,
       (%(anchor)s + interval '8 hours')::date - ((((g %% %(n)s) * 13 + (g / %(n)s) * 97) %% %(span)s)::int),
       1, 5, 0, false, 'c' || g,
       (%(anchor)s + interval '8 hours')::date - ((((g %% %(n)s) * 13 + (g / %(n)s) * 97) %% %(span)s)::int)
FROM generate_series(0::bigint, %(rows)s - 1) g
"""
INBOUND = """
INSERT INTO inbound_events (account_id, dedup_key, openid, msg_type, event, create_time, payload, status,
    attempts, received_at, member_id)
SELECT %(a)s, 'e' || g, 'o' || %(a)s || 'x' || (1 + g %% %(n)s),
       CASE WHEN g %% 10 < 3 THEN 'text' ELSE 'event' END,
       CASE WHEN g %% 10 < 3 THEN NULL WHEN g %% 10 = 3 THEN 'unsubscribe' WHEN g %% 10 < 6 THEN 'subscribe'
            ELSE 'CLICK' END,
       %(anchor)s - make_interval(secs => (g * 7919 %% (86400 * %(span)s))::float8),
       '<xml/>', 'done', 1,
       %(anchor)s - make_interval(secs => (g * 7919 %% (86400 * %(span)s))::float8), %(first)s + g %% %(n)s
FROM generate_series(0::bigint, %(rows)s - 1) g
"""
ORDERS = """
INSERT INTO orders (account_id, member_id, order_no, amount_fen, refunded_fen, paid_at, created_at)
SELECT %(a)s, %(first)s + (g * 31) %% %(n)s, 'n' || g, 1000 + g %% 9000,
       CASE WHEN g %% 25 = 0 THEN 500 ELSE 0 END,
       %(anchor)s - make_interval(secs => (g * 7919 %% (86400 * %(span)s))::float8),
       %(anchor)s - make_interval(secs => (g * 7919 %% (86400 * %(span)s))::float8)
FROM generate_series(0::bigint, %(rows)s - 1) g
"""
REFERRALS = """
INSERT INTO referrals (account_id, referrer_id, referee_id, scene, bound_at, status, reasons, reward_points)
SELECT %(a)s, %(first)s + (g * 7) %% %(n)s, %(first)s + (g * 7 + 1) %% %(n)s, 'm-' || g,
       %(anchor)s - make_interval(secs => (g * 7919 %% (86400 * %(span)s))::float8), 'paid', '[]', 10
FROM generate_series(0::bigint, %(rows)s - 1) g
"""
TAGS = """
INSERT INTO member_tags (account_id, member_id, tag, source, created_at)
SELECT %(a)s, %(first)s + g, CASE WHEN g %% 10 = 0 THEN '咖啡控' ELSE '常客' END, 'rule', %(anchor)s
FROM generate_series(0, %(n)s - 1, 3) g
"""


def seed(conninfo: str, account_id: int, size: Size, anchor: datetime, say: object = print) -> float:
    """Load one account's rows; returns the seconds it took."""
    started = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET maintenance_work_mem = '512MB'")
        base = {"a": account_id, "anchor": anchor, "span": SPAN_DAYS, "n": size.members}
        conn.execute(MEMBERS, base)
        row = conn.execute("SELECT min(id) FROM members WHERE account_id = %s", [account_id]).fetchone()
        assert row is not None
        base["first"] = row[0]
        for table, stmt, rows in (
            ("ledger_entries", LEDGER, size.of("ledger_entries")),
            ("checkins", CHECKINS, size.of("checkins")),
            ("inbound_events", INBOUND, size.of("inbound_events")),
            ("orders", ORDERS, size.orders),
            ("referrals", REFERRALS, size.referrals),
            ("member_tags", TAGS, size.members),
        ):
            t = time.perf_counter()
            conn.execute(stmt, {**base, "rows": rows})
            print(
                f"  account {account_id}: {table} {rows:,} rows in {time.perf_counter() - t:.1f} s",
                flush=True,
            )
        conn.execute(
            "INSERT INTO campaigns (account_id, name, status, kind, audience, variants, page, quiet_start,"
            " quiet_end, created_at) SELECT %s, '活动' || g,"
            " CASE WHEN g < 3 THEN 'sending' ELSE 'finished' END,"
            " 'campaign', '{}', '[]', 'campaign', 1320, 480, %s FROM generate_series(1, 10) g",
            [account_id, anchor],
        )
    return time.perf_counter() - started


def settle(conninfo: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for table in (
            "members",
            "ledger_entries",
            "checkins",
            "inbound_events",
            "orders",
            "referrals",
            "member_tags",
        ):
            conn.execute(f"VACUUM (ANALYZE) {table}")
