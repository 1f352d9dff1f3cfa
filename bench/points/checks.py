"""Correctness after a drain, straight from the tables: every figure the ledger must agree with."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import psycopg

from bench.points.db import count as one

BALANCES = """
WITH s AS (
    SELECT member_id, sum(delta) AS balance,
           coalesce(sum(delta) FILTER (WHERE kind IN ('award', 'reversal')), 0) AS earned
    FROM ledger_entries GROUP BY member_id
)
SELECT count(*) FILTER (WHERE m.points_balance <> coalesce(s.balance, 0)),
       count(*) FILTER (WHERE m.points_earned <> coalesce(s.earned, 0))
FROM members m LEFT JOIN s ON s.member_id = m.id
"""
REVIEW_DAYS_OVER_CAP = """
SELECT count(*) FROM (
    SELECT 1 FROM ledger_entries WHERE kind = 'award' AND action = 'review'
    GROUP BY member_id, business_date HAVING count(*) > 1
) x
"""
CHECKIN_MEMBERS_OFF = """
WITH a AS (SELECT member_id, sum(delta) AS pts FROM ledger_entries
           WHERE action IN ('checkin', 'checkin_bonus') GROUP BY member_id),
     c AS (SELECT member_id, sum(points + bonus) AS pts FROM checkins GROUP BY member_id)
SELECT count(*) FROM a FULL JOIN c USING (member_id) WHERE a.pts IS DISTINCT FROM c.pts
"""
DUPLICATE_KEYS = (
    "SELECT count(*) FROM (SELECT 1 FROM ledger_entries GROUP BY account_id, key HAVING count(*) > 1) x"
)
LOTS_OFF = """
SELECT count(*) FROM ledger_entries e FULL JOIN point_lots l ON l.entry_id = e.id
WHERE (e.kind = 'award' OR e.id IS NULL) AND (l.id IS NULL OR e.id IS NULL OR l.points <> e.delta)
"""
PURCHASE_HOLDS_OFF = """
SELECT count(*) FROM ledger_entries e JOIN point_lots l ON l.entry_id = e.id
WHERE e.action = 'purchase' AND l.available_at <> l.earned_at + interval '7 days'
"""


@dataclass(frozen=True)
class Check:
    name: str
    expected: int
    actual: int

    @property
    def holds(self) -> bool:
        return self.expected == self.actual

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "holds": self.holds}


def ledger_checks(conn: psycopg.Connection[Any]) -> list[Check]:
    """What must hold after any drain: all done, balances = ledger sums, keys once, a lot per award."""
    balance_off, earned_off = (int(n) for n in conn.execute(BALANCES).fetchone() or (0, 0))
    return [
        Check("events not done", 0, one(conn, "SELECT count(*) FROM inbound_events WHERE status <> 'done'")),
        Check("members whose points_balance ≠ Σ ledger deltas", 0, balance_off),
        Check("members whose points_earned ≠ Σ award/reversal deltas", 0, earned_off),
        Check("duplicate (account, key) in the ledger", 0, one(conn, DUPLICATE_KEYS)),
        Check("awards without their lot (or lots without their award)", 0, one(conn, LOTS_OFF)),
        Check("members whose check-in awards ≠ Σ checkins.points + bonus", 0, one(conn, CHECKIN_MEMBERS_OFF)),
    ]


def award_checks(conn: psycopg.Connection[Any], expected: dict[str, int]) -> list[Check]:
    """The award stage's: the general ones, the caps, and the awards per action the rules allow."""
    checks = ledger_checks(conn)
    checks.append(
        Check("(member, business day) pairs with > 1 review award", 0, one(conn, REVIEW_DAYS_OVER_CAP))
    )
    checkin_sum = one(conn, "SELECT coalesce(sum(points + bonus), 0) FROM checkins")
    awarded = (
        "SELECT coalesce(sum(delta), 0) FROM ledger_entries WHERE action IN ('checkin', 'checkin_bonus')"
    )
    checks.append(
        Check("check-in points awarded = Σ checkins.points + bonus", checkin_sum, one(conn, awarded))
    )
    yuan = one(conn, "SELECT coalesce(sum(amount_fen / 100), 0) FROM orders")
    paid = one(conn, "SELECT coalesce(sum(delta), 0) FROM ledger_entries WHERE action = 'purchase'")
    checks.append(Check("purchase points = Σ whole yuan paid", yuan, paid))
    checks.append(Check("purchase lots not held 7 days", 0, one(conn, PURCHASE_HOLDS_OFF)))
    spend = one(conn, "SELECT coalesce(sum(amount_fen), 0) FROM orders")
    checks.append(
        Check("Σ members.spend_fen = Σ orders", spend, one(conn, "SELECT sum(spend_fen) FROM members"))
    )
    counts = dict(conn.execute("SELECT action, count(*) FROM ledger_entries WHERE kind = 'award' GROUP BY 1"))
    checks += [Check(f"{action} awards", n, int(counts.get(action, 0))) for action, n in expected.items()]
    return checks


def outcome_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """For information: what the drain wrote."""
    return {
        "ledger_rows": one(conn, "SELECT count(*) FROM ledger_entries"),
        "points_awarded": one(conn, "SELECT coalesce(sum(delta), 0) FROM ledger_entries"),
        "tier_changes": one(conn, "SELECT count(*) FROM tier_changes"),
        "members_with_tier": one(conn, "SELECT count(*) FROM members WHERE tier_code IS NOT NULL"),
    }
