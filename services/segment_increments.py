"""An incremental run's SQL on PostgreSQL, driven from the touched members' temp table.

`collect_touched` (in `segments`) leaves the members to rescore in `scoring_touched`. Every count
here starts from that table and probes the activity tables' member indexes, one member at a time
(LATERAL), so the run's cost follows the members touched, not the million in the account: no
GROUP BY over the activity tables, no join against every member.

RFM quintiles still rank each touched buyer among all the account's buyers, exactly as the full
run's CUME_DIST does, but through four cut values per measure (`rfm_cuts`): the value at each fifth
of the sorted buyers. A buyer's quintile is 1 + how many cuts its value reaches.

Check-ins, shares and the referees' reviews are counted by member alone (a member's rows are its
account's), so that the member indexes answer without reading the rows (index-only scans).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from models.base import UTCDateTime

LIVE = "status NOT IN ('refused', 'voided')"
MEASURES = ("r", "f", "m")
# the 1-based position in the ascending buyers of the first value scoring above quintile k:
# CEIL(cume_dist × 5 - 0.000001) <= k  ⇔  (buyers at or below the value) <= FLOOR((k + 0.000001) × n / 5)
POSITIONS = ", ".join(f"CAST(FLOOR(({k} + 0.000001) * n / 5) AS INTEGER) + 1" for k in range(1, 5))

CUTS_SQL = f"""
WITH o AS (
    SELECT MAX(paid_at) AS last_paid, COUNT(*) AS f, SUM(amount_fen - refunded_fen) AS m
    FROM orders WHERE account_id = :a AND paid_at >= :rfm_since AND amount_fen > refunded_fen
    GROUP BY member_id),
sorted AS (
    SELECT COUNT(*) AS n, array_agg(last_paid ORDER BY last_paid) AS r,
        array_agg(f ORDER BY f) AS f, array_agg(m ORDER BY m) AS m
    FROM o)
SELECT n, {", ".join(f"{x}[p[{k}]]" for x in MEASURES for k in range(1, 5))}
FROM sorted, LATERAL (SELECT ARRAY[{POSITIONS}] AS p) positions
"""


@dataclass(frozen=True)
class RfmCuts:
    """Per measure (recency as the last payment, frequency, money), the four values where the
    quintile score steps up; `buyers` ranked."""

    buyers: int
    r: tuple[Any, ...]
    f: tuple[Any, ...]
    m: tuple[Any, ...]

    def params(self) -> dict[str, Any]:
        return {f"{x}{k}": getattr(self, x)[k - 1] for x in MEASURES for k in range(1, 5)}


def rfm_cuts(session: Session, params: dict[str, Any]) -> RfmCuts:
    """The cut values over every buyer of the account (`params`: a, rfm_since)."""
    stmt = text(CUTS_SQL).bindparams(bindparam("rfm_since", type_=UTCDateTime()))
    row = session.execute(stmt, {"a": params["a"], "rfm_since": params["rfm_since"]}).one()
    n = int(row[0] or 0)
    return RfmCuts(n, tuple(row[1:5]), tuple(row[5:9]), tuple(row[9:13]))


def _quintile(value: str, x: str) -> str:
    steps = " + ".join(f"CASE WHEN {value} >= :{x}{k} THEN 1 ELSE 0 END" for k in range(1, 5))
    return f"CASE WHEN {value} IS NULL THEN NULL ELSE 1 + {steps} END"


COUNTED_SQL = f"""
counted AS (
    SELECT m.id AS member_id, m.last_interaction_at, m.last_followed_at,
        ck.n + rv.n + lk.n AS activity, rv.good AS good_reviews, rv.liked AS review_likes,
        sh.n AS shares, pv.reads AS share_reads, pv.follows AS share_follows,
        rf.n AS referrals, rf.second_degree, rf.downstream AS downstream_activity,
        EXISTS (SELECT 1 FROM orders b WHERE b.member_id = m.id AND b.account_id = :a
                AND b.amount_fen > b.refunded_fen) AS has_bought,
        o.last_paid, o.f, o.m,
        {_quintile("o.last_paid", "r")} AS r, {_quintile("o.f", "f")} AS f_score,
        {_quintile("o.m", "m")} AS m_score
    FROM scoring_touched t JOIN members m ON m.id = t.id
    CROSS JOIN LATERAL (
        SELECT COUNT(*) AS n FROM checkins WHERE member_id = m.id AND day >= :activity_day) ck
    CROSS JOIN LATERAL (
        SELECT COUNT(*) AS n,
            COALESCE(SUM(CASE WHEN rating >= 4 AND status = 'approved' THEN 1 ELSE 0 END), 0) AS good,
            COALESCE(SUM(CASE WHEN rating >= 4 AND status = 'approved' THEN like_count ELSE 0 END), 0)
                AS liked
        FROM reviews WHERE member_id = m.id AND account_id = :a) rv
    CROSS JOIN LATERAL (
        SELECT COUNT(*) AS n FROM review_likes l JOIN reviews r ON r.id = l.review_id
        WHERE l.member_id = m.id AND r.account_id = :a) lk
    CROSS JOIN LATERAL (SELECT COUNT(*) AS n FROM shares WHERE member_id = m.id) sh
    CROSS JOIN LATERAL (
        SELECT COUNT(*) AS reads,
            COUNT(DISTINCT CASE WHEN followed_at IS NOT NULL THEN viewer_openid END) AS follows
        FROM page_views WHERE sharer_id = m.id AND account_id = :a) pv
    CROSS JOIN LATERAL (
        SELECT COUNT(*) AS n, COALESCE(SUM(down.second_degree), 0) AS second_degree,
            COALESCE(SUM(down.checkins + down.reviews), 0) AS downstream
        FROM referrals l CROSS JOIN LATERAL (
            SELECT (SELECT COUNT(*) FROM referrals b
                    WHERE b.referrer_id = l.referee_id AND b.account_id = :a AND b.{LIVE}) AS second_degree,
                (SELECT COUNT(*) FROM checkins
                    WHERE member_id = l.referee_id AND day >= :activity_day) AS checkins,
                (SELECT COUNT(*) FROM reviews WHERE member_id = l.referee_id) AS reviews) down
        WHERE l.referrer_id = m.id AND l.account_id = :a AND l.{LIVE}) rf
    LEFT JOIN LATERAL (
        SELECT MAX(paid_at) AS last_paid, COUNT(*) AS f, SUM(amount_fen - refunded_fen) AS m
        FROM orders WHERE member_id = m.id AND account_id = :a AND paid_at >= :rfm_since
            AND amount_fen > refunded_fen
        HAVING COUNT(*) > 0) o ON TRUE
    WHERE m.account_id = :a)"""

DESIRED_SQL = """
    SELECT s.member_id, v.tag FROM scoring_touched x JOIN member_scores s ON s.member_id = x.id
    CROSS JOIN LATERAL (VALUES (CASE s.stage {stage} END), (CASE s.rfm_segment {segment} END)) v (tag)
    WHERE s.account_id = :a AND v.tag IS NOT NULL
    UNION ALL SELECT s.member_id, '{kol}' FROM member_scores s WHERE s.account_id = :a AND s.kol
    UNION ALL SELECT member_id, '等级:' || name FROM (
        SELECT m.id AS member_id,
            (SELECT t.name FROM tiers t WHERE t.account_id = m.account_id AND t.code = m.tier_code) AS name
        FROM scoring_touched x JOIN members m ON m.id = x.id WHERE m.account_id = :a) tiered
    WHERE name IS NOT NULL
"""


def store_desired(session: Session, desired: str, params: dict[str, Any]) -> None:
    """The touched members' rule tags (and every KOL tag) in the indexed temp table `scoring_desired`."""
    session.execute(
        text(f"CREATE TEMP TABLE scoring_desired ON COMMIT DROP AS {desired}"), {"a": params["a"]}
    )
    session.execute(text("CREATE INDEX ON scoring_desired (member_id, tag)"))
    session.execute(text("ANALYZE scoring_desired"))


def by_member(session: Session) -> None:
    """From here to the end of the transaction, join by probing indexes: the planner, pricing a
    random read at four sequential ones, would rather hash whole tables for a few thousand members."""
    session.execute(text("SET LOCAL enable_hashjoin = off"))
    session.execute(text("SET LOCAL enable_mergejoin = off"))
