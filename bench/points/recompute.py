"""(c) Recomputing balances over the big ledger, and expiring its due lots, against a bare GROUP BY.

All in one run, on the same data: the baseline aggregate; `rebuild_balances` as an audit
(nothing to fix) and as a full repair (every cached balance zeroed first); the expiry of every
due lot by `expire_due` (batches of 5,000, a transaction each, as tasks.points.expire_points
runs it) and, for comparison, by one set-based statement (rolled back, then vacuumed away).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bench.points import bigledger, db
from bench.points.config import Config
from services.points.expiry import expire_due, rebuild_balances

TARGET_RATIO = 2.0
BASELINE = (
    "SELECT count(*), sum(balance) FROM "
    "(SELECT member_id, sum(delta) AS balance FROM ledger_entries GROUP BY member_id) s"
)
BASELINE_FETCH = "SELECT member_id, sum(delta) FROM ledger_entries GROUP BY member_id"
DUE = "SELECT count(*), coalesce(sum(remaining), 0) FROM point_lots WHERE remaining > 0 AND expires_at <= %s"
SET_BASED_EXPIRY = """
WITH due AS (
    SELECT l.id, l.account_id, l.member_id, l.remaining, l.expires_at, a.timezone
    FROM point_lots l JOIN accounts a ON a.id = l.account_id
    WHERE l.remaining > 0 AND l.expires_at <= %(now)s
    FOR UPDATE OF l SKIP LOCKED
), entries AS (
    INSERT INTO ledger_entries (account_id, member_id, key, delta, kind, note, business_date, created_at)
    SELECT account_id, member_id, 'expire:' || id, -remaining, 'expiry', '积分过期',
           (expires_at AT TIME ZONE 'UTC' AT TIME ZONE timezone)::date, %(now)s
    FROM due
    ON CONFLICT (account_id, key) DO NOTHING
    RETURNING key, member_id, delta
), lots AS (
    UPDATE point_lots SET remaining = 0
    WHERE id IN (SELECT split_part(key, ':', 2)::bigint FROM entries) RETURNING id
), balances AS (
    UPDATE members m SET points_balance = m.points_balance + s.delta
    FROM (SELECT member_id, sum(delta) AS delta FROM entries GROUP BY member_id) s
    WHERE m.id = s.member_id RETURNING m.id
)
SELECT (SELECT count(*) FROM lots), (SELECT coalesce(-sum(delta), 0) FROM entries)
"""


def rebuild(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        return rebuild_balances(session)


def expire_all(sessions: sessionmaker[Session], now: datetime) -> tuple[int, int]:
    """A full pass of `expire_due` over the due lots; returns (batches, points)."""
    batches = points = after = 0
    while True:
        with sessions.begin() as session:
            expired, last = expire_due(session, now, after=after)
        if last is None:
            return batches, points
        batches, points, after = batches + 1, points + expired, last


def set_based_expiry(database_url: str, now: datetime) -> tuple[float, int, int]:
    """One statement doing what the pass does, in a transaction rolled back; (seconds, lots, points)."""
    with db.connect(database_url, autocommit=False) as conn:
        seconds, row = db.timed(lambda: conn.execute(SET_BASED_EXPIRY, {"now": now}).fetchone())
        conn.rollback()
    with db.connect(database_url) as conn:
        db.analyze(conn, bigledger.TABLES, vacuum=True)  # the rolled-back rows go before the real pass
    lots, points = row or (0, 0)
    return seconds, int(lots), int(points)


def baselines(database_url: str) -> dict[str, float]:
    with db.connect(database_url) as conn:
        conn.execute(BASELINE).fetchone()  # warm the cache
        counted, _ = db.timed(lambda: conn.execute(BASELINE).fetchone())
        fetched, _ = db.timed(lambda: conn.execute(BASELINE_FETCH).fetchall())
    return {"baseline_s": counted, "baseline_fetch_all_s": fetched}


def zero_balances(database_url: str) -> None:
    with db.connect(database_url) as conn:
        conn.execute("UPDATE members SET points_balance = 0, points_earned = 0")
        db.analyze(conn, ["members"], vacuum=True)


def run(cfg: Config) -> dict[str, Any]:
    out: dict[str, Any] = {"ledger_rows": cfg.ledger_rows, "members": cfg.members}
    out["load_seconds"] = bigledger.load(cfg)
    out |= baselines(cfg.database_url)
    now = datetime.now(UTC).replace(tzinfo=None)
    with db.sessions(cfg.database_url) as sessions:
        out["audit_s"], out["audit_fixed"] = db.timed(lambda: rebuild(sessions))
        zero_balances(cfg.database_url)
        out["repair_s"], out["repair_fixed"] = db.timed(lambda: rebuild(sessions))
        with db.connect(cfg.database_url) as conn:
            due_lots, due_points = (int(n) for n in conn.execute(DUE, [now]).fetchone() or (0, 0))
        out |= {"due_lots": due_lots, "due_points": due_points}
        out["set_expiry_s"], out["set_expiry_lots"], out["set_expiry_points"] = set_based_expiry(
            cfg.database_url, now
        )
        aware = now.replace(tzinfo=UTC)
        out["expire_due_s"], (out["expire_due_batches"], out["expire_due_points"]) = db.timed(
            lambda: expire_all(sessions, aware)
        )
        out["audit_after_expiry_s"], out["audit_after_expiry_fixed"] = db.timed(lambda: rebuild(sessions))
    with db.connect(cfg.database_url) as conn:
        out["due_after"] = db.count(
            conn, "SELECT count(*) FROM point_lots WHERE remaining > 0 AND expires_at <= %s", [now]
        )
    return verdicts(out, cfg)


def verdicts(out: dict[str, Any], cfg: Config) -> dict[str, Any]:
    base = out["baseline_s"]
    for name in ("audit", "repair", "audit_after_expiry", "expire_due", "set_expiry"):
        out[f"{name}_ratio"] = round(out[f"{name}_s"] / base, 2)
    out["target_ratio"] = TARGET_RATIO
    out["audit_holds"] = out["audit_ratio"] <= TARGET_RATIO
    out["repair_holds"] = out["repair_ratio"] <= TARGET_RATIO
    out["expire_due_vs_set_based"] = (
        round(out["expire_due_s"] / out["set_expiry_s"], 1) if out["set_expiry_s"] else None
    )
    out["checks"] = [
        {"name": "audit on right balances fixes nothing", "expected": 0, "actual": out["audit_fixed"]},
        {
            "name": "repair fixes every member with a nonzero balance",
            "expected": cfg.members,
            "actual": out["repair_fixed"],
        },
        {
            "name": "expire_due: points expired = points due",
            "expected": out["due_points"],
            "actual": out["expire_due_points"],
        },
        {
            "name": "set-based expiry: points = points due",
            "expected": out["due_points"],
            "actual": out["set_expiry_points"],
        },
        {"name": "due lots left after the pass", "expected": 0, "actual": out["due_after"]},
        {
            "name": "audit after expiry fixes nothing",
            "expected": 0,
            "actual": out["audit_after_expiry_fixed"],
        },
    ]
    for check in out["checks"]:
        check["holds"] = check["expected"] == check["actual"]
    out["checks_hold"] = all(c["holds"] for c in out["checks"])
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}
