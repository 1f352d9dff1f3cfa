"""A skewed referral forest for one account, generated in SQL (INSERT … SELECT FROM generate_series).

Members 1 … roots bring nobody in: they are the forest's roots. The next ids come in eight
generations; a member of generation g was brought by one of generation g-1, picked by a hash, so a
referrer brings 1.5 on average (most 1-3, some none). A quarter of generations 1 and 2 were
brought by one of the first POWER members instead, picked with a square's skew: those few
hundred bring hundreds each, the first thousands. Chains are up to eight deep. 8 % of the edges
are refused (never counted), the rest paid, held, in review or voided.

The last 5 × rings ids hold the planted rings: ring k has 2 + k % 4 members, each brought by the
next (slots past its length stay unused members). Every 16th ring has a refused edge, so it is no
ring. Every 50th member of generation 7 was brought by a ring member instead: tails hanging off
the rings (with their own children in generation 8), which must not be reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.points import bigledger, db
from bench.referrals.config import Config

POWER = 300
SHARES = (300, 200, 120, 80, 50, 30, 15, 5)  # generation sizes, per 800
BROKEN_EVERY = 16
TAIL_EVERY = 50
TABLES = ["members", "referrals"]

MEMBERS = """
INSERT INTO members (id, account_id, openid, following, first_followed_at, last_followed_at, follow_count,
                     points_balance, points_earned, spend_fen, created_at)
SELECT g, %(account)s, 'oRef' || lpad(g::text, 8, '0'), abs(hashint8extended(g, 7)) %% 10 <> 0,
       t.at, t.at, 1, 0, 0, 0, t.at
FROM generate_series(1, %(members)s) g
CROSS JOIN LATERAL (SELECT timestamp '2025-01-01' + make_interval(secs => g * 30) AS at) t
"""
EDGES = """
INSERT INTO referrals (account_id, referrer_id, referee_id, scene, bound_at, status, reasons, hold_until,
                       reward_points)
SELECT %(account)s, p.parent, m, 'm' || p.parent || '-bench0', t.at, s.status,
       CASE WHEN s.status = 'refused' THEN '["refollow"]' ELSE '[]' END::json, t.at + interval '3 days',
       CASE WHEN s.status = 'paid' THEN 50 ELSE 0 END
FROM unnest(%(gen)s::int[], %(first)s::int[], %(size)s::int[], %(pfirst)s::int[], %(psize)s::int[])
     AS lv(gen, first, size, pfirst, psize)
CROSS JOIN LATERAL generate_series(lv.first, lv.first + lv.size - 1) m
CROSS JOIN LATERAL (SELECT CASE
    WHEN lv.gen = 7 AND (m - lv.first) %% %(tail)s = 0
        THEN %(ring_base)s + 5 * (((m - lv.first) / %(tail)s) %% %(rings)s)
    WHEN lv.gen <= 2 AND abs(hashint8extended(m, 2)) %% 100 < 25
        THEN 1 + floor(%(power)s * ((abs(hashint8extended(m, 3)) %% 1000000) / 1e6) ^ 2)::int
    ELSE lv.pfirst + abs(hashint8extended(m, 1)) %% lv.psize END AS parent) p
CROSS JOIN LATERAL (SELECT CASE WHEN h < 8 THEN 'refused' WHEN h < 60 THEN 'paid' WHEN h < 75 THEN 'held'
                                WHEN h < 80 THEN 'review' ELSE 'voided' END AS status
                    FROM (SELECT abs(hashint8extended(m, 4)) %% 100 AS h) x) s
CROSS JOIN LATERAL (SELECT timestamp '2026-01-01' + make_interval(days => 20 * lv.gen,
                           secs => abs(hashint8extended(m, 5)) %% (20 * 86400)) AS at) t
"""
RINGS = """
INSERT INTO referrals (account_id, referrer_id, referee_id, scene, bound_at, status, reasons, hold_until,
                       reward_points)
SELECT %(account)s, r.referrer, r.referee, 'm' || r.referrer || '-ring00', t.at, s.status, '[]'::json,
       t.at + interval '3 days', CASE WHEN s.status = 'paid' THEN 50 ELSE 0 END
FROM generate_series(0, %(rings)s - 1) k
CROSS JOIN LATERAL (SELECT 2 + k %% 4 AS len) l
CROSS JOIN LATERAL generate_series(0, l.len - 1) j
CROSS JOIN LATERAL (SELECT %(ring_base)s + 5 * k + j AS referee,
                           %(ring_base)s + 5 * k + (j + 1) %% l.len AS referrer) r
CROSS JOIN LATERAL (SELECT CASE WHEN k %% %(broken)s = %(broken)s - 1 AND j = 0 THEN 'refused'
                                ELSE (ARRAY['paid', 'paid', 'held', 'held', 'held', 'held', 'review',
                                            'review', 'voided', 'voided'])[1 + (k + j) %% 10] END AS status) s
CROSS JOIN LATERAL (SELECT timestamp '2026-06-01' + make_interval(hours => k, mins => j) AS at) t
"""


@dataclass(frozen=True)
class Layout:
    """Which ids are roots, which generation, which ring slots."""

    roots: int
    generations: list[tuple[int, int, int, int, int]]  # (gen, first id, size, parent first id, parent size)
    ring_base: int  # first id of the ring slots
    ring_edges: int

    @classmethod
    def of(cls, cfg: Config) -> Layout:
        ring_edges = sum(2 + k % 4 for k in range(cfg.rings))
        forest_edges = cfg.edges - ring_edges
        sizes = [forest_edges * s // sum(SHARES) for s in SHARES]
        sizes[0] += forest_edges - sum(sizes)
        ring_base = cfg.members - 5 * cfg.rings + 1
        roots = ring_base - 1 - forest_edges
        gens, first, parent = [], roots + 1, (1, roots)
        for gen, size in enumerate(sizes, start=1):
            gens.append((gen, first, size, *parent))
            parent, first = (first, size), first + size
        return cls(roots, gens, ring_base, ring_edges)

    def planted(self, rings: int) -> list[frozenset[int]]:
        """The member sets of the rings that are rings (none of their edges refused)."""
        return [
            frozenset(self.ring_base + 5 * k + j for j in range(2 + k % 4))
            for k in range(rings)
            if k % BROKEN_EVERY != BROKEN_EVERY - 1
        ]


def load(cfg: Config, account_id: int) -> tuple[Layout, dict[str, float]]:
    """Members and edges into the fresh schema, indexes rebuilt after; returns seconds per step."""
    layout = Layout.of(cfg)
    params: dict[str, Any] = {
        "account": account_id,
        "members": cfg.members,
        "rings": cfg.rings,
        "ring_base": layout.ring_base,
        "tail": TAIL_EVERY,
        "power": POWER,
        "broken": BROKEN_EVERY,
        **{name: [g[i] for g in layout.generations] for i, name in enumerate(("gen", "first", "size"))},
        "pfirst": [g[3] for g in layout.generations],
        "psize": [g[4] for g in layout.generations],
    }
    steps: dict[str, float] = {}
    with db.connect(cfg.database_url) as conn:
        bigledger.bulk_session(conn)
        with bigledger.without_indexes(conn, "members", steps):
            steps["members"], _ = db.timed(lambda: conn.execute(MEMBERS, params))
        conn.execute("SELECT setval('members_id_seq', %(members)s)", params)
        with bigledger.without_indexes(conn, "referrals", steps):
            steps["referrals"], _ = db.timed(lambda: conn.execute(EDGES, params))
            steps["rings"], _ = db.timed(lambda: conn.execute(RINGS, params))
        steps["vacuum_analyze"], _ = db.timed(lambda: db.analyze(conn, TABLES, vacuum=True))
    return layout, {k: round(v, 2) for k, v in steps.items()}
