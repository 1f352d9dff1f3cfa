"""Influence and stage of a few members, recounted in Python from their own rows (plain queries).

Nothing here calls Tiefen's services: check-ins in the window, reviews (good ones and the likes
they got), likes given, shares, reads of their shares and the readers who followed after reading
(each reader once), referrals not refused or voided two levels down and what those friends did;
the stage from the same counts, their orders and their last interaction.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from rules.segments.scoring import PARTS, weights_of

Conn = psycopg.Connection[Any]
NOT_COUNTED = ("refused", "voided")
PROGRAMME = (
    "SELECT p.kol_weights, p.active_days, p.rfm_window_days, a.timezone FROM programmes p "
    "JOIN accounts a ON a.id = p.account_id WHERE p.account_id = %s"
)
EDGES = (
    "SELECT referrer_id, referee_id, status FROM referrals WHERE account_id = %s AND referrer_id = ANY(%s)"
)
CHECKINS = "SELECT member_id, day FROM checkins WHERE account_id = %s AND member_id = ANY(%s)"
REVIEWS = (
    "SELECT member_id, rating, status, like_count FROM reviews WHERE account_id = %s AND member_id = ANY(%s)"
)
LIKES = (
    "SELECT l.member_id, r.account_id FROM review_likes l JOIN reviews r ON r.id = l.review_id "
    "WHERE l.member_id = ANY(%s)"
)
SHARES = "SELECT member_id FROM shares WHERE account_id = %s AND member_id = ANY(%s)"
READS = (
    "SELECT sharer_id, viewer_openid, viewed_at FROM page_views WHERE account_id = %s AND sharer_id = ANY(%s)"
)
FOLLOWED = "SELECT openid, first_followed_at FROM members WHERE account_id = %s AND openid = ANY(%s)"
BOUGHT = (
    "SELECT DISTINCT member_id FROM orders WHERE account_id = %s AND member_id = ANY(%s) "
    "AND amount_fen > refunded_fen"
)
SEEN = "SELECT id, last_interaction_at, last_followed_at FROM members WHERE id = ANY(%s)"
STORED = "SELECT member_id, stage, influence, parts FROM member_scores WHERE member_id = ANY(%s)"


def programme(conn: Conn, account_id: int) -> dict[str, Any]:
    row = conn.execute(PROGRAMME, [account_id]).fetchone()
    assert row is not None
    return {"weights": weights_of(row[0]), "active_days": row[1], "rfm_days": row[2], "tz": row[3]}


def influence(conn: Conn, a: int, members: list[int], now: datetime) -> dict[int, dict[str, Any]]:
    """Parts, influence and stage of `members` as of `now` (the run's start, naive UTC)."""
    prog = programme(conn, a)
    start = (now - timedelta(days=prog["rfm_days"])).replace(tzinfo=ZoneInfo("UTC"))
    first_day = start.astimezone(ZoneInfo(prog["tz"])).date()
    down: dict[int, list[int]] = defaultdict(list)
    for referrer, referee, status in conn.execute(EDGES, [a, members]):
        if status not in NOT_COUNTED:
            down[referrer].append(referee)
    friends = sorted({f for fs in down.values() for f in fs})
    theirs = Counter(r for r, _, s in conn.execute(EDGES, [a, friends]) if s not in NOT_COUNTED)
    people = sorted(set(members) | set(friends))
    checkins = Counter(m for m, day in conn.execute(CHECKINS, [a, people]) if day >= first_day)
    reviews: Counter[int] = Counter()
    good: Counter[int] = Counter()
    liked: Counter[int] = Counter()
    for m, rating, status, likes in conn.execute(REVIEWS, [a, people]):
        reviews[m] += 1
        if rating >= 4 and status == "approved":
            good[m] += 1
            liked[m] += likes
    likes_given = Counter(m for m, account in conn.execute(LIKES, [members]) if account == a)
    shares = Counter(m for (m,) in conn.execute(SHARES, [a, members]))
    reads = conn.execute(READS, [a, members]).fetchall()
    followed = dict(conn.execute(FOLLOWED, [a, sorted({r[1] for r in reads})]).fetchall())
    converts: dict[int, set[str]] = defaultdict(set)
    for sharer, reader, at in reads:
        if followed.get(reader) is not None and followed[reader] > at:
            converts[sharer].add(reader)
    bought = {m for (m,) in conn.execute(BOUGHT, [a, members])}
    seen = {m: (last, follow) for m, last, follow in conn.execute(SEEN, [members])}
    out = {}
    for m in members:
        counts = {
            "activity": checkins[m] + reviews[m] + likes_given[m],
            "good_reviews": good[m],
            "review_likes": liked[m],
            "shares": shares[m],
            "share_reads": sum(1 for r in reads if r[0] == m),
            "share_follows": len(converts[m]),
            "referrals": len(down[m]),
            "second_degree": sum(theirs[f] for f in down[m]),
            "downstream_activity": sum(checkins[f] + reviews[f] for f in down[m]),
        }
        parts = {p: _points(counts[p], prog["weights"][p]) for p in PARTS}
        last, follow = seen[m]
        active = last is not None and last >= now - timedelta(days=prog["active_days"])
        if counts["referrals"] or counts["share_follows"]:
            stage = "iron"
        elif m in bought:
            stage = "deep"
        elif active and last > (follow or datetime(1970, 1, 1)):
            stage = "sticky"
        else:
            stage = "light"
        out[m] = {"parts": parts, "influence": float(sum(parts.values())), "stage": stage, "counts": counts}
    return out


def _points(count: int, weight: float) -> Decimal:
    """count × weight rounded to 2 places, half away from zero (as PostgreSQL's ROUND(numeric, 2))."""
    return Decimal(repr(count * weight)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def disagreements(conn: Conn, expected: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The members whose stored stage, influence or parts differ from the recount (empty: all agree)."""
    stored = {
        int(m): (stage, float(score), parts)
        for m, stage, score, parts in conn.execute(STORED, [list(expected)])
    }
    wrong = []
    for m, want in expected.items():
        stage, score, parts = stored[m]
        got = (
            {p: float(v) for p, v in zip(PARTS, parts, strict=False)}
            if isinstance(parts, list)
            else {p: float(parts.get(p, 0)) for p in PARTS}
        )
        if (
            stage != want["stage"]
            or abs(score - want["influence"]) > 0.005
            or any(abs(got[p] - float(want["parts"][p])) > 0.005 for p in PARTS)
        ):
            mine = {"stage": want["stage"], "influence": want["influence"], "counts": want["counts"]}
            wrong.append(
                {"member": m, "recounted": mine, "stored": {"stage": stage, "influence": score, "parts": got}}
            )
    return wrong
