"""(c) A big ledger, generated in SQL: members, ledger entries (keys unique) and the awards' lots.

Entries are spread evenly over the last 400 days in id order, one member in turn per row, so each
member has ledger_rows / members entries. 85 % are awards (1–100 points, four actions), 10 %
redemptions and 5 % old expiries (−1…−20). Every award has its lot, expiring 365 days after it
was earned; a quarter of the lots are spent (remaining 0), so about 6–7 % of all lots are past
their date with points left: the backlog `expire_due` works through.

The loader drops the tables' secondary indexes and unique constraints and builds them again
afterwards (a unique constraint rebuilt over the rows proves the keys unique), and skips the
foreign-key triggers (`session_replication_role = replica`): the rows are consistent by construction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import psycopg

from bench import stack
from bench.points import db, seed
from bench.points.config import Config

SPAN_DAYS, EXPIRY_DAYS = 400, 365
MEMBERS = """
INSERT INTO members (id, account_id, openid, following, follow_count, points_balance, points_earned,
                     spend_fen, created_at)
SELECT g, %(account)s, 'big' || g, true, 0, 0, 0, 0, now() AT TIME ZONE 'UTC'
FROM generate_series(1, %(members)s) g
"""
ENTRIES = """
INSERT INTO ledger_entries (account_id, member_id, key, delta, kind, action, business_date, created_at)
SELECT %(account)s, 1 + (g - 1) %% %(members)s, k.kind || ':' || coalesce(k.action, 'gen') || ':' || g,
       CASE WHEN k.kind = 'award' THEN 1 + (g * 37) %% 100 ELSE -(1 + (g * 13) %% 20) END,
       k.kind, k.action, (k.at AT TIME ZONE 'UTC' AT TIME ZONE 'Asia/Shanghai')::date, k.at
FROM generate_series(1::bigint, %(rows)s) g
CROSS JOIN LATERAL (
    SELECT CASE WHEN (g * 7919) %% 100 < 85 THEN 'award' WHEN (g * 7919) %% 100 < 95 THEN 'redemption'
                ELSE 'expiry' END AS kind,
           CASE WHEN (g * 7919) %% 100 < 85
                THEN (ARRAY['checkin', 'review', 'purchase', 'follow'])[1 + g %% 4] END AS action,
           (now() AT TIME ZONE 'UTC') - make_interval(secs => %(span)s * (%(rows)s - g) / %(rows)s) AS at
) k
"""
LOTS = """
INSERT INTO point_lots (account_id, member_id, entry_id, points, remaining, earned_at, available_at,
                        expires_at)
SELECT account_id, member_id, id, delta, CASE WHEN id %% 4 = 0 THEN 0 ELSE delta END,
       created_at, created_at, created_at + make_interval(days => %(expiry)s)
FROM ledger_entries WHERE kind = 'award'
"""
BALANCES_RIGHT = """
UPDATE members m SET points_balance = s.balance, points_earned = s.earned
FROM (SELECT member_id, sum(delta) AS balance,
             coalesce(sum(delta) FILTER (WHERE kind IN ('award', 'reversal')), 0) AS earned
      FROM ledger_entries GROUP BY member_id) s
WHERE m.id = s.member_id
"""
TABLES = ["members", "ledger_entries", "point_lots"]


def load(cfg: Config) -> dict[str, float]:
    """A fresh schema with the big ledger in it, cached balances right; returns seconds per step."""
    stack.prepare_database(cfg.database_url)
    account = seed.create_account(cfg.database_url)
    params = {"account": account, "members": cfg.members, "rows": cfg.ledger_rows, "span": SPAN_DAYS * 86400}
    steps: dict[str, float] = {}
    with db.connect(cfg.database_url) as conn:
        bulk_session(conn)
        steps["members"], _ = db.timed(lambda: conn.execute(MEMBERS, params))
        conn.execute("SELECT setval('members_id_seq', %(members)s)", params)
        with without_indexes(conn, "ledger_entries", steps):
            steps["ledger_entries"], _ = db.timed(lambda: conn.execute(ENTRIES, params))
        with without_indexes(conn, "point_lots", steps):
            steps["point_lots"], _ = db.timed(lambda: conn.execute(LOTS, {"expiry": EXPIRY_DAYS}))
        steps["balances"], _ = db.timed(lambda: conn.execute(BALANCES_RIGHT))
        steps["vacuum_analyze"], _ = db.timed(lambda: db.analyze(conn, TABLES, vacuum=True))
        conn.execute("CHECKPOINT")
    return {k: round(v, 1) for k, v in steps.items()}


def bulk_session(conn: psycopg.Connection[Any]) -> None:
    """Index builds get memory (work_mem stays at its default); FK triggers are skipped if allowed."""
    conn.execute("SET maintenance_work_mem = '512MB'")
    with suppress(psycopg.errors.InsufficientPrivilege):  # if not a superuser, FKs are checked row by row
        conn.execute("SET session_replication_role = replica")


@contextmanager
def without_indexes(conn: psycopg.Connection[Any], table: str, steps: dict[str, float]) -> Iterator[None]:
    """Drop `table`'s unique constraints and secondary indexes (not its primary key); rebuild them after."""
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype = 'u'",
        [table],
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
        "WHERE indrelid = %s::regclass AND NOT indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [table],
    ).fetchall()
    for name, _ in constraints:
        conn.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    yield
    seconds, _ = db.timed(lambda: _rebuild(conn, table, constraints, indexes))
    steps[f"{table}_indexes"] = seconds


def _rebuild(conn: psycopg.Connection[Any], table: str, constraints: list[Any], indexes: list[Any]) -> None:
    for name, definition in constraints:
        conn.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for _, definition in indexes:
        conn.execute(definition)
