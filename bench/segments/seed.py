"""One account's members and their activity, generated in SQL (INSERT … SELECT FROM generate_series).

Members are numbered in the order they followed, spread over the year before the anchor (a few
minutes before seeding). 5 % followed again later, 12 % have unfollowed. An unlogged plan
(`bench_seg_plan`, one row a member) fixes for each: when they followed, how active they are (u), the
business day of their last check-in (up to 90 days ago, the more active the more recent) and how
many check-ins they made before it (up to a fifth of their days, scaled so that the total is
exactly the configured count; one a day at most, the unique key). `last_interaction_at` is the
later of the last check-in and the last follow. Tiers: 70 % normal, 20 % silver, 8 % gold, 2 % diamond.

The loader drops each table's secondary indexes and unique constraints (and the primary key when
nothing refers to it) and builds them again afterwards (a rebuilt unique constraint proves the keys
unique), skips foreign-key triggers, and loads the check-ins on a second connection meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from bench.points import bigledger, db
from bench.segments import activity
from bench.segments.activity import h, u
from bench.segments.config import Config

SPAN_S = 365 * 86400
RATE = 0.2  # the most active check in on up to a fifth of their days; u³ makes most far less active
POWER = 2000  # referrers a third of the referrals come from
CHECKIN_AT = "LEAST({day} - interval '1 hour' + make_interval(secs => {h}), %(anchor)s)"  # 07:00-21:00 +08

PLAN = f"""
CREATE UNLOGGED TABLE bench_seg_plan AS
WITH base AS (
    SELECT g AS id,
           %(anchor)s - make_interval(secs => %(span)s::float8 * (%(members)s - g) / %(members)s
                                              + {h("g", 1, 3600)}) AS ffa,
           {h("g", 2, 100)} AS hf, {u("g", 3)} AS u, {u("g", 4)} AS w
    FROM generate_series(1, %(members)s) g),
dated AS (
    SELECT b.*, CASE WHEN hf < 5 THEN ffa + (%(anchor)s - ffa) * w ELSE ffa END AS lfa,
           (%(anchor)s + interval '8 hours')::date - floor(90 * (1 - u) ^ 2)::int AS last_day,
           (ffa + interval '8 hours')::date AS ffa_day
    FROM base b),
raw AS MATERIALIZED (
    SELECT d.*, GREATEST(0, floor(%(rate)s * u ^ 3 * (last_day - ffa_day))::int) AS n_raw FROM dated d),
cum AS (SELECT raw.*, sum(n_raw) OVER (ORDER BY id) AS c, sum(n_raw) OVER () AS s FROM raw)
SELECT id, ffa, lfa, hf >= 88 AS gone, w, last_day, ffa_day, s,
       (c * %(checkins)s / s - (c - n_raw) * %(checkins)s / s)::int AS n,
       (c - n_raw) * %(checkins)s / s AS before
FROM cum
"""
LAST_CHECKIN = CHECKIN_AT.format(day="p.last_day", h=h("p.before", 5, 50400))
MEMBERS = f"""
INSERT INTO members (id, account_id, openid, following, first_followed_at, last_followed_at, unfollowed_at,
                     follow_count, last_interaction_at, points_balance, points_earned, spend_fen, tier_code,
                     created_at)
SELECT p.id, %(account)s, 'oSeg' || lpad(p.id::text, 8, '0'), NOT p.gone, p.ffa, p.lfa,
       CASE WHEN p.gone THEN p.lfa + (%(anchor)s - p.lfa) * {u("p.id", 6)} END,
       CASE WHEN p.lfa > p.ffa THEN 2 ELSE 1 END,
       CASE WHEN p.n > 0 THEN GREATEST(p.lfa, {LAST_CHECKIN}) ELSE p.lfa END, 10 * p.n, 10 * p.n, 0,
       CASE WHEN t.x < 70 THEN 'normal' WHEN t.x < 90 THEN 'silver' WHEN t.x < 98 THEN 'gold'
            ELSE 'diamond' END,
       p.ffa
FROM bench_seg_plan p CROSS JOIN LATERAL (SELECT {h("p.id", 7, 100)} AS x) t
"""
# Check-in k (0 = the last) of a member with n falls k × days / n days before the last: distinct days.
CHECKINS = f"""
INSERT INTO checkins (account_id, member_id, day, streak, points, bonus, makeup, source_key, created_at)
SELECT %(account)s, p.id, c.day, 1, 10, 0, false, 'msg:' || lpad((p.before + k)::text, 10, '0'),
       {CHECKIN_AT.format(day="c.day", h=h("p.before + k", 5, 50400))}
FROM bench_seg_plan p
CROSS JOIN LATERAL generate_series(0, p.n - 1) k
CROSS JOIN LATERAL (SELECT p.last_day - (k * (p.last_day - p.ffa_day)) / p.n AS day) c
WHERE p.n > 0
"""
TABLES = [
    "members",
    "checkins",
    "referrals",
    "reviews",
    "review_likes",
    "shares",
    "page_views",
    "orders",
    "inbound_events",
]
EXPLICIT_IDS = ["members", "reviews", "shares", "page_views", "orders", "inbound_events"]


def anchor() -> datetime:
    """Naive UTC (what `UTCDateTime` stores), on the minute, a little before now."""
    return datetime.now(UTC).replace(tzinfo=None, second=0, microsecond=0) - timedelta(minutes=5)


def load(cfg: Config, account_id: int) -> dict[str, float]:
    """Members and activity into the fresh schema, indexes rebuilt, VACUUM ANALYZE; seconds per step
    (check-ins load on a second connection while the other tables load: the steps overlap; `wall`
    is the whole load)."""
    params: dict[str, Any] = {
        "account": account_id,
        "anchor": anchor(),
        "span": SPAN_S,
        "members": cfg.members,
        "rate": RATE,
        "power": min(POWER, cfg.members // 2),
        "stride": cfg.stride,
        "likes": cfg.events["review_likes"],
        "history": cfg.history,
        "orders": cfg.orders,
        **cfg.events,
    }
    steps: dict[str, float] = {}
    started = time.perf_counter()
    with _bulk(cfg) as conn:
        steps["plan"], _ = db.timed(
            lambda: _plan(conn, "bench_seg_plan", PLAN, params, cfg.events["checkins"])
        )
        _insert(conn, steps, "members", MEMBERS, params)
    with ThreadPoolExecutor(2) as pool:
        done = [pool.submit(_checkins, cfg, params, steps), pool.submit(_the_rest, cfg, params, steps)]
        for future in done:
            future.result()
    with _bulk(cfg) as conn:
        for table in EXPLICIT_IDS:
            conn.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        conn.execute("DROP TABLE bench_seg_plan, bench_seg_reviews")
        steps["vacuum_analyze"], _ = db.timed(lambda: db.analyze(conn, ["members"], vacuum=True))
        steps["checkpoint"], _ = db.timed(lambda: conn.execute("CHECKPOINT"))
    steps["wall"] = time.perf_counter() - started
    return {k: round(v, 2) for k, v in steps.items()}


@contextmanager
def _bulk(cfg: Config) -> Iterator[psycopg.Connection[Any]]:
    with db.connect(cfg.database_url) as conn:
        bigledger.bulk_session(conn)
        conn.execute("SET work_mem = '256MB'")  # the plans' window sums; the bench's queries get their own
        yield conn


def _checkins(cfg: Config, params: dict[str, Any], steps: dict[str, float]) -> None:
    with _bulk(cfg) as conn:
        _insert(conn, steps, "checkins", CHECKINS, params)
        steps["checkins_vacuum"], _ = db.timed(lambda: db.analyze(conn, ["checkins"], vacuum=True))


def _the_rest(cfg: Config, params: dict[str, Any], steps: dict[str, float]) -> None:
    with _bulk(cfg) as conn:
        _insert(conn, steps, "referrals", activity.REFERRALS, params)
        likes = cfg.events["review_likes"]
        seconds, _ = db.timed(lambda: _plan(conn, "bench_seg_reviews", activity.REVIEW_PLAN, params, likes))
        _insert(conn, steps, "reviews", activity.REVIEWS, params, extra=seconds)
        _insert(conn, steps, "review_likes", activity.LIKES, params)
        _insert(conn, steps, "shares", activity.SHARES, params)
        _insert(conn, steps, "page_views", activity.PAGE_VIEWS, params)
        _insert(conn, steps, "orders", activity.ORDERS, params)
        _insert(conn, steps, "inbound_events", activity.HISTORY, params)
        rest = [t for t in TABLES if t not in ("members", "checkins")]
        steps["vacuum_analyze_rest"], _ = db.timed(lambda: db.analyze(conn, rest, vacuum=True))


def _plan(conn: psycopg.Connection[Any], table: str, sql: str, params: dict[str, Any], total: int) -> None:
    """An unlogged table of its own (both loading connections read it), keyed by id."""
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(sql, params)
    conn.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (id)")
    conn.execute(f"ANALYZE {table}")
    planned = db.count(conn, f"SELECT max(s) FROM {table}")
    if planned < total:
        raise ValueError(f"{table} plans only {planned} rows for {total}: scale too small")


def _insert(
    conn: psycopg.Connection[Any],
    steps: dict[str, float],
    table: str,
    sql: str,
    params: dict[str, Any],
    extra: float = 0.0,
) -> None:
    """One INSERT … SELECT with the table's indexes dropped, its seconds and the rebuild's recorded."""
    with bigledger.without_indexes(conn, table, steps), _without_primary_key(conn, table, steps):
        seconds, _ = db.timed(lambda: conn.execute(sql, params))
    steps[table] = seconds + extra


@contextmanager
def _without_primary_key(
    conn: psycopg.Connection[Any], table: str, steps: dict[str, float]
) -> Iterator[None]:
    """Drop the primary key too when no foreign key points at it (it costs more than the rows on a
    big load: check-ins take 29 s with it, 11 s without); added back after."""
    row = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype = 'p' AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.confrelid = %s::regclass)",
        [table, table],
    ).fetchone()
    if row is None:
        yield
        return
    conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {row[0]}")
    yield
    seconds, _ = db.timed(lambda: conn.execute(f"ALTER TABLE {table} ADD CONSTRAINT {row[0]} {row[1]}"))
    steps[f"{table}_indexes"] = steps.get(f"{table}_indexes", 0.0) + seconds
