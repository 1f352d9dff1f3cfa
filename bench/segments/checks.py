"""Checks of the stored scores: coverage, stages, tags, RFM recounted for every buyer, and which
members an incremental run must rescore. Worked out from plain queries and Python, not Tiefen's
services (recount.py does the influence of a few members).
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from bench.points import db
from bench.segments.recount import Conn, programme
from rules.segments.scoring import PARTS, SEGMENTS

# the parts are stored as a JSON array in PARTS order (models.segments.ScoreParts); ->> takes an index
SECOND, FOLLOWS = PARTS.index("second_degree"), PARTS.index("share_follows")
SPOT = f"""
(SELECT member_id FROM member_scores WHERE account_id = %(a)s ORDER BY influence DESC, member_id LIMIT %(k)s)
UNION (SELECT member_id FROM member_scores WHERE account_id = %(a)s
       AND (parts ->> {SECOND})::float > 0 ORDER BY hashint4(member_id) LIMIT %(k)s)
UNION (SELECT member_id FROM member_scores WHERE account_id = %(a)s
       AND (parts ->> {FOLLOWS})::float > 0 ORDER BY hashint4(member_id) LIMIT %(k)s)
UNION (SELECT member_id FROM member_scores WHERE account_id = %(a)s
       ORDER BY hashint4(member_id + 7) LIMIT %(k)s)
"""
REFERRALS = "SELECT referee_id, referrer_id, status FROM referrals WHERE account_id = %s"
LENT = "SELECT member_id, lent_second_degree FROM member_scores WHERE member_id = ANY(%s)"
ORDERS = "SELECT member_id, amount_fen, refunded_fen, paid_at FROM orders WHERE account_id = %s"
STORED_RFM = (
    "SELECT member_id, recency_days, frequency, monetary_fen, r, f, m, rfm_segment FROM member_scores "
    "WHERE account_id = %s AND r IS NOT NULL"
)
UNSCORED = (
    "SELECT count(*) FROM members m WHERE m.account_id = %s "
    "AND NOT EXISTS (SELECT 1 FROM member_scores s WHERE s.member_id = m.id)"
)
TAGS = """
SELECT count(*) FILTER (WHERE tag LIKE '阶段:%%'),
       count(DISTINCT member_id) FILTER (WHERE tag LIKE '阶段:%%'),
       count(*) FILTER (WHERE tag LIKE 'RFM:%%'), count(*) FILTER (WHERE tag LIKE '等级:%%'),
       count(*) FILTER (WHERE tag = 'KOL候选')
FROM member_tags WHERE account_id = %s AND removed_at IS NULL
"""
SCORED = """
SELECT count(*), count(*) FILTER (WHERE rfm_segment IS NOT NULL), count(*) FILTER (WHERE kol),
       (SELECT count(*) FROM members WHERE account_id = %(a)s AND tier_code IS NOT NULL)
FROM member_scores WHERE account_id = %(a)s
"""
# what an incremental run's scope is made of, besides the new events (the caller passes `since`)
RECENT = """
SELECT sharer_id FROM page_views WHERE account_id = %(a)s AND sharer_id IS NOT NULL
    AND (viewed_at >= %(since)s OR followed_at >= %(since)s)
UNION ALL SELECT member_id FROM shares WHERE account_id = %(a)s AND shared_at >= %(since)s
UNION ALL SELECT r.member_id FROM review_likes l JOIN reviews r ON r.id = l.review_id
    WHERE r.account_id = %(a)s AND l.created_at >= %(since)s
"""
EDGES = "SELECT referee_id, referrer_id FROM referrals WHERE account_id = %s"
NEW_EVENTS = (
    "SELECT m.id FROM inbound_events e JOIN members m ON m.account_id = e.account_id AND m.openid = e.openid "
    "WHERE e.account_id = %s AND e.id > %s"
)


def check(name: str, expected: Any, actual: Any, detail: Any = None) -> dict[str, Any]:
    out = {"name": name, "expected": expected, "actual": actual, "holds": expected == actual}
    if detail is not None and not out["holds"]:
        out["detail"] = detail
    return out


def spot_members(conn: Conn, account_id: int, n: int) -> list[int]:
    """About n members: the top by influence, some with second-degree referrals, some with share
    follows, some at random (picked from the scores; recount.py recounts them from the activity)."""
    return sorted(int(r[0]) for r in conn.execute(SPOT, {"a": account_id, "k": max(1, n // 4)}))


def coverage(conn: Conn, account_id: int, members: int) -> list[dict[str, Any]]:
    """Every member scored once; the stages add up; one stage tag each; the other rule tags as scored."""
    stages = dict(conn.execute("SELECT stage, count(*) FROM member_scores GROUP BY stage").fetchall())
    scored, segmented, kol, tiered = conn.execute(SCORED, {"a": account_id}).fetchone() or (0, 0, 0, 0)
    stage_tags, staged, rfm_tags, tier_tags, kol_tags = (
        conn.execute(TAGS, [account_id]).fetchone() or (0,) * 5
    )
    return [
        check("members without a member_scores row", 0, db.count(conn, UNSCORED, [account_id])),
        check("member_scores rows = members", members, scored),
        check("stage counts add up to the members", members, sum(stages.values()), stages),
        check("one active 阶段 tag per member", (members, members), (stage_tags, staged)),
        check("active RFM tags = members with an RFM segment", segmented, rfm_tags),
        check("active 等级 tags = members with a tier", tiered, tier_tags),
        check("active KOL候选 tags = members marked kol", kol, kol_tags),
    ]


def rfm(conn: Conn, account_id: int, now: datetime) -> dict[int, tuple[Any, ...]]:
    """(recency days, frequency, monetary, r, f, m, segment) for every buyer in the window, from all
    the orders: CUME_DIST is the share of buyers at or below, the quintile ceil(5 × it)."""
    since = now - timedelta(days=programme(conn, account_id)["rfm_days"])
    last: dict[int, datetime] = {}
    freq: Counter[int] = Counter()
    money: Counter[int] = Counter()
    for m, amount, refunded, at in conn.execute(ORDERS, [account_id]):
        if at >= since and amount > refunded:
            last[m] = max(last.get(m, at), at)
            freq[m] += 1
            money[m] += amount - refunded
    r_of, f_of, m_of = _quintiles(last.values()), _quintiles(freq.values()), _quintiles(money.values())
    codes = {key: code for key, (code, _) in SEGMENTS.items()}
    out = {}
    for m in last:
        r, f, mm = r_of(last[m]), f_of(freq[m]), m_of(money[m])
        days = int((now - last[m]).total_seconds() / 86400)
        out[m] = (days, freq[m], money[m], r, f, mm, codes[(r >= 3, f >= 3, mm >= 3)])
    return out


def _quintiles(values: Any) -> Any:
    ordered = sorted(values)
    return lambda v: math.ceil(bisect.bisect_right(ordered, v) / len(ordered) * 5 - 0.000001)


def compare_rfm(conn: Conn, account_id: int, expected: dict[int, tuple[Any, ...]]) -> dict[str, Any]:
    """Frequency, monetary, R, F, M and segment of every buyer; recency_days apart (whole days since
    the last purchase, as SQLite's CAST truncates them)."""
    got = {int(r[0]): tuple(r[1:]) for r in conn.execute(STORED_RFM, [account_id])}
    wrong = [m for m in expected if got.get(m, (None,))[1:] != expected[m][1:]]
    days = [m for m in expected if m in got and got[m][0] != expected[m][0]]
    return {
        "buyers": len(expected),
        "scored_with_rfm": len(got),
        "wrong": len(wrong),
        "first_wrong": _first(wrong, expected, got),
        "recency_wrong": len(days),
        "first_recency_wrong": _first(days, expected, got),
    }


def _first(members: list[int], expected: dict[int, Any], got: dict[int, Any]) -> dict[str, Any] | None:
    return (
        {"member": members[0], "recounted": expected[members[0]], "stored": got.get(members[0])}
        if members
        else None
    )


def expected_scope(conn: Conn, account_id: int, watermark: int, since: datetime) -> set[int]:
    """The members an incremental run must rescore, read before it runs: those with events above the
    watermark, sharers of recent reads or follows, recent sharers, authors of recently liked reviews;
    their referrers (any status); and the referrers of those whose live referrals now number other
    than what they lent (member_scores.lent_second_degree; 0 while their own referral is not live)."""
    dirty = {int(m) for (m,) in conn.execute(NEW_EVENTS, [account_id, watermark])}
    dirty |= {int(m) for (m,) in conn.execute(RECENT, {"a": account_id, "since": since})}
    up, live, count = {}, set(), Counter[int]()
    for referee, referrer, status in conn.execute(REFERRALS, [account_id]):
        up[int(referee)] = int(referrer)
        if status not in ("refused", "voided"):
            live.add(int(referee))
            count[int(referrer)] += 1
    first = {up[m] for m in dirty if m in up}
    lent = dict(conn.execute(LENT, [sorted(first)]))
    moved = {r for r in first if (count[r] if r in live else 0) != lent.get(r, 0)}
    return dirty | first | {up[m] for m in moved if m in up}
