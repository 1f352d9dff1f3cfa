"""An incremental run's SQL on PostgreSQL, driven from the touched members' temp table.

`collect_touched` (in `segments`) leaves the members to rescore in `scoring_touched`. Every count
here starts from that table and probes the activity tables' member indexes, one member at a time
(LATERAL), so the run's cost follows the members touched, not the million in the account: no
GROUP BY over the activity tables, no join against every member.

RFM quintiles still rank each touched buyer among all the account's buyers, exactly as the full
run's CUME_DIST does, but through four cut values per measure (`rfm_cuts`): the value at each fifth
of the sorted buyers. A buyer's quintile is 1 + how many cuts its value reaches.

Referral sums move by deltas. Every row of `member_scores` keeps the member's second-degree and
downstream sums and what it lends to its referrer's (its live referrals; its check-ins in the window
plus its reviews; 0 while its own referral is refused or voided). An incremental run counts each
touched member's own activity afresh (`scoring_own`); a touched member whose referrer is touched too
lends its new values, and the referrer's sums move by new minus lent before. Referees outside the
touched members are not read: a referrer with hundreds of friends costs what its changed friends
cost. The price: what changes without an event stays as last counted in the referrer's sums until
a full run, that is an untouched referee's check-ins ageing out of the window and a referral voided
or refused by hand. The nightly full rebuild (`tasks/cron.py`) recounts them; a member touched only
at the top (a referrer's referrer, whose own referrer is not touched) keeps lending what it lent,
so that the sums above it stay the sums of what was lent.

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


OWN_SQL = f"""
CREATE TEMP TABLE scoring_own ON COMMIT DROP AS
SELECT m.id, m.last_interaction_at, m.last_followed_at, ck.n AS checkins, rv.n AS reviews,
    rv.good, rv.liked, lk.n AS likes, sh.n AS shares, pv.reads, pv.follows, rf.n AS referrals,
    up.referrer_id, COALESCE(old.second_degree, 0) AS second_degree,
    COALESCE(old.downstream, 0) AS downstream,
    COALESCE(old.lent_second_degree, 0) AS was_lent_second_degree,
    COALESCE(old.lent_downstream, 0) AS was_lent_downstream,
    CASE WHEN their.id IS NULL THEN COALESCE(old.lent_second_degree, 0)
         WHEN up.live THEN rf.n ELSE 0 END AS lent_second_degree,
    CASE WHEN their.id IS NULL THEN COALESCE(old.lent_downstream, 0)
         WHEN up.live THEN ck.n + rv.n ELSE 0 END AS lent_downstream
FROM scoring_touched t JOIN members m ON m.id = t.id
LEFT JOIN member_scores old ON old.member_id = m.id
LEFT JOIN LATERAL (
    SELECT referrer_id, {LIVE} AS live FROM referrals WHERE referee_id = m.id AND account_id = :a) up
    ON TRUE
LEFT JOIN scoring_touched their ON their.id = up.referrer_id
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
    SELECT COUNT(*) AS n FROM referrals WHERE referrer_id = m.id AND account_id = :a AND {LIVE}) rf
WHERE m.account_id = :a
"""
# a referrer's sums move by what its touched referees lend now less what they lent before
DELTAS_SQL = """
UPDATE scoring_own o
SET second_degree = o.second_degree + d.second_degree, downstream = o.downstream + d.downstream
FROM (
    SELECT referrer_id, SUM(lent_second_degree - was_lent_second_degree) AS second_degree,
        SUM(lent_downstream - was_lent_downstream) AS downstream
    FROM scoring_own
    WHERE lent_second_degree <> was_lent_second_degree OR lent_downstream <> was_lent_downstream
    GROUP BY referrer_id) d
WHERE o.id = d.referrer_id
"""

COUNTED_SQL = f"""
counted AS (
    SELECT o.id AS member_id, o.last_interaction_at, o.last_followed_at,
        o.checkins + o.reviews + o.likes AS activity, o.good AS good_reviews, o.liked AS review_likes,
        o.shares, o.reads AS share_reads, o.follows AS share_follows,
        o.referrals, o.second_degree, o.downstream AS downstream_activity,
        o.lent_second_degree, o.lent_downstream,
        EXISTS (SELECT 1 FROM orders b WHERE b.member_id = o.id AND b.account_id = :a
                AND b.amount_fen > b.refunded_fen) AS has_bought,
        paid.last_paid, paid.f, paid.m,
        {_quintile("paid.last_paid", "r")} AS r, {_quintile("paid.f", "f")} AS f_score,
        {_quintile("paid.m", "m")} AS m_score
    FROM scoring_own o
    LEFT JOIN LATERAL (
        SELECT MAX(paid_at) AS last_paid, COUNT(*) AS f, SUM(amount_fen - refunded_fen) AS m
        FROM orders WHERE member_id = o.id AND account_id = :a AND paid_at >= :rfm_since
            AND amount_fen > refunded_fen
        HAVING COUNT(*) > 0) paid ON TRUE)"""


def count_own(session: Session, params: dict[str, Any]) -> None:
    """The touched members' own counts in the temp table `scoring_own`, their referral sums moved
    by their touched referees' changes (no referee outside the touched members is read)."""
    session.execute(text(OWN_SQL), {"a": params["a"], "activity_day": params["activity_day"]})
    session.execute(text("ALTER TABLE scoring_own ADD PRIMARY KEY (id)"))
    session.execute(text(DELTAS_SQL))


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
