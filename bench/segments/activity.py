"""The activity besides check-ins, as INSERT … SELECT FROM generate_series (see seed.py for the plan).

`u(x, s)` is a uniform number in [0, 1) from a hash of x (seeded by s), `h(x, s, n)` an integer in
[0, n): the same inputs give the same rows on every run. Every row is dated after its member
followed (`bench_seg_plan.ffa`) and before the anchor (a few minutes before the seeding started).
"""

from __future__ import annotations


def u(x: str, seed: int) -> str:
    return f"((abs(hashint8extended({x}, {seed})) %% 1000000)::float8 / 1000000)"


def h(x: str, seed: int, n: int | str) -> str:
    return f"(abs(hashint8extended({x}, {seed})) %% {n})"


def since_follow(member: str, x: str) -> str:
    """A time between `member`'s follow and the anchor, placed by x."""
    return f"({member}.ffa + (%(anchor)s - {member}.ffa) * {x})"


# Referees are the even ids (so each is referred once). A referrer is always an earlier member, so
# the edges make a forest: 30 % were brought by one of the first POWER members (a square's skew:
# the first bring thousands), the rest by a member shortly before them (chains several deep).
REFERRALS = f"""
INSERT INTO referrals (account_id, referrer_id, referee_id, scene, bound_at, status, reasons, hold_until,
                       decided_at, decided_by, reward_points)
SELECT %(account)s, r.referrer, p.id, 'm' || r.referrer || '-seg', p.ffa, s.status,
       CASE WHEN s.status = 'refused' THEN '["refollow"]'
            WHEN s.status = 'review' AND g %% 2 = 0 THEN '["burst"]' ELSE '[]' END::json,
       p.ffa + interval '3 days', CASE WHEN s.status IN ('paid', 'refused', 'voided') THEN p.ffa END,
       CASE WHEN s.status IN ('paid', 'refused', 'voided') THEN 'rules' END,
       CASE WHEN s.status = 'paid' THEN 50 ELSE 0 END
FROM generate_series(1, %(referrals)s) g
JOIN bench_seg_plan p ON p.id = 2 * g
CROSS JOIN LATERAL (SELECT CASE WHEN {h("g", 11, 100)} < 30
        THEN LEAST(p.id - 1, 1 + floor(%(power)s * {u("g", 12)} ^ 2)::int)
        ELSE p.id - 1 - floor((p.id - 2) * {u("g", 13)} ^ 4)::int END AS referrer) r
CROSS JOIN LATERAL (SELECT CASE WHEN x < 8 THEN 'refused' WHEN x < 60 THEN 'paid' WHEN x < 75 THEN 'held'
                                WHEN x < 80 THEN 'review' ELSE 'voided' END AS status
                    FROM (SELECT {h("g", 14, 100)} AS x) y) s
"""

# The reviews' plan: author (older members write more), rating, status, and the likes each gets,
# scaled so that they add up to exactly %(likes)s (good reviews draw about three times as many).
REVIEW_PLAN = f"""
CREATE UNLOGGED TABLE bench_seg_reviews AS
WITH base AS (
    SELECT g AS id, 1 + floor(%(members)s * {u("g", 21)} ^ 2)::int AS member_id,
           {h("g", 22, 100)} AS hr, {h("g", 23, 100)} AS hs, {u("g", 24)} AS w, {u("g", 27)} AS t
    FROM generate_series(1, %(reviews)s) g),
rated AS (
    SELECT b.*, CASE WHEN hr < 45 THEN 5 WHEN hr < 70 THEN 4 WHEN hr < 85 THEN 3 WHEN hr < 93 THEN 2
                     ELSE 1 END AS rating,
           CASE WHEN hs < 80 THEN 'approved' WHEN hs < 92 THEN 'pending' ELSE 'rejected' END AS status
    FROM base b),
raw AS MATERIALIZED (
    SELECT r.*, floor(CASE WHEN rating >= 4 AND status = 'approved' THEN 12 ELSE 5 END * w ^ 3)::int AS n_raw
    FROM rated r),
cum AS (SELECT raw.*, sum(n_raw) OVER (ORDER BY id) AS c, sum(n_raw) OVER () AS s FROM raw)
SELECT c.id, c.member_id, c.rating, c.status, c.s,
       (c.c * %(likes)s / c.s - (c.c - c.n_raw) * %(likes)s / c.s)::int AS likes,
       {since_follow("p", "c.t")} AS at
FROM cum c JOIN bench_seg_plan p ON p.id = c.member_id
"""
REVIEWS = f"""
INSERT INTO reviews (id, account_id, member_id, rating, text, status, source_key, like_count, created_at,
                     decided_at)
SELECT r.id, %(account)s, r.member_id, r.rating,
       (ARRAY['很好喝,下次还来', '服务一般', '环境不错,咖啡偏酸', '排队太久了', '店员很热情'])
           [1 + {h("r.id", 28, 5)}],
       r.status, 'rv:' || r.id, r.likes, r.at,
       CASE WHEN r.status <> 'pending' THEN r.at + interval '1 hour' END
FROM bench_seg_reviews r
"""
# Each liker is another member (never the author), distinct per review.
LIKES = f"""
INSERT INTO review_likes (review_id, member_id, created_at)
SELECT r.id, 1 + (r.member_id + k + {h("r.id", 25, "(%(members)s - 20)")}) %% %(members)s,
       r.at + (%(anchor)s - r.at) * {u("r.id * 8 + k", 26)}
FROM bench_seg_reviews r CROSS JOIN LATERAL generate_series(0, r.likes - 1) k
WHERE r.likes > 0
"""
SHARES = f"""
INSERT INTO shares (id, account_id, member_id, page, target, shared_at)
SELECT g, %(account)s, s.member_id, '/h5/p/' || {h("g", 32, 200)},
       CASE WHEN {h("g", 33, 100)} < 70 THEN 'friend' ELSE 'timeline' END, {since_follow("p", u("g", 34))}
FROM generate_series(1, %(shares)s) g
CROSS JOIN LATERAL (SELECT 1 + floor(%(members)s * {u("g", 31)} ^ 3)::int AS member_id) s
JOIN bench_seg_plan p ON p.id = s.member_id
"""
# Half the readers are members (g × stride mod members: each member once per `members` rows, on a
# page of its own, so the unique key holds), half people who never followed. 60 % of the reads came
# through a share (the sharer skewed like the shares). 30 % of the members' shared reads happened
# just before they followed: those are marked followed, except every tenth, left to the job's
# `attribute_follows`.
PAGE_VIEWS = f"""
INSERT INTO page_views (id, account_id, viewer_openid, page, day, sharer_id, viewed_at, followed_at)
SELECT g, %(account)s, v.openid, v.page, (v.at + interval '8 hours')::date, v.sharer, v.at,
       CASE WHEN v.converted AND g %% 10 <> 0 THEN p.ffa END
FROM generate_series(1::bigint, %(page_views)s) g
CROSS JOIN LATERAL (SELECT {h("g", 41, 100)} AS kind, {u("g", 44)} AS w,
                           CASE WHEN {h("g", 42, 100)} < 60
                                THEN 1 + floor(%(members)s * {u("g", 43)} ^ 3)::int END AS sharer0) x
LEFT JOIN bench_seg_plan p ON x.kind < 50 AND p.id = 1 + (g * %(stride)s) %% %(members)s
CROSS JOIN LATERAL (SELECT p.id IS NOT NULL AND x.sharer0 IS NOT NULL AND x.w < 0.3 AS converted) c
CROSS JOIN LATERAL (SELECT
    COALESCE('oSeg' || lpad(p.id::text, 8, '0'), 'oX' || g) AS openid,
    '/h5/p/' || ((g - 1) / %(members)s) || '-' || {h("g", 45, 200)} AS page,
    NULLIF(x.sharer0, p.id) AS sharer,
    c.converted,
    CASE WHEN c.converted THEN p.ffa - make_interval(secs => 60 + {h("g", 46, 36000)})
         WHEN p.id IS NOT NULL
             THEN LEAST(p.ffa + (%(anchor)s - p.ffa) * x.w + interval '1 second', %(anchor)s)
         ELSE %(anchor)s - make_interval(secs => %(span)s * x.w) END AS at) v
"""
# Buyers skew to older members; 5 % of orders refunded in full, 3 % by half.
ORDERS = f"""
INSERT INTO orders (id, account_id, member_id, order_no, amount_fen, refunded_fen, paid_at, created_at)
SELECT g, %(account)s, o.member_id, 'SO' || lpad(g::text, 10, '0'), o.amount,
       CASE WHEN o.hr < 5 THEN o.amount WHEN o.hr < 8 THEN o.amount / 2 ELSE 0 END, t.at, t.at
FROM generate_series(1, %(orders)s) g
CROSS JOIN LATERAL (SELECT 1 + floor(%(members)s * {u("g", 51)} ^ 2)::int AS member_id,
                           990 + floor(50000 * {u("g", 52)} ^ 2)::int AS amount, {h("g", 53, 100)} AS hr) o
JOIN bench_seg_plan p ON p.id = o.member_id
CROSS JOIN LATERAL (SELECT {since_follow("p", u("g", 54))} AS at) t
"""
# Callbacks the drain has done with, one every 10 s before the anchor: the full run counts them all.
HISTORY = f"""
INSERT INTO inbound_events (id, account_id, dedup_key, openid, msg_type, content, msg_id, create_time,
                            payload, status, attempts, received_at, processed_at)
SELECT g, %(account)s, 'msg:' || (7000000000 + g), e.openid, 'text', '积分', 7000000000 + g, e.at,
       '<xml><FromUserName><![CDATA[' || e.openid || ']]></FromUserName></xml>', 'done', 1, e.at, e.at
FROM generate_series(1, %(history)s) g
CROSS JOIN LATERAL (SELECT 'oSeg' || lpad((1 + {h("g", 61, "%(members)s")})::text, 8, '0') AS openid,
                           %(anchor)s - make_interval(secs => 10 * (%(history)s - g)) AS at) e
"""
