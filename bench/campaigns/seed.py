"""One account's members, scores, contact windows, tags and a month of earlier campaigns, in SQL.

Members 1 … recipients are the delivery runs' audience (tag `bench-delivery`, the first
`limited_recipients` of them also `bench-limited`): all following, a customer-service window opened
an hour ago, no earlier campaign, so nothing holds them back. Everyone else is spread by hashes of
the id: 8 % unfollowed; 95 % scored (stages light 50 %, sticky 25 %, deep 15 %, iron 10 %; buyers get
R/F/M quintiles and a segment; 2 % KOL); 30 % with a message window inside 48 hours (a sixth of them
with its 5 messages used), 20 % with one that closed days ago, 10 % of those with a follow or
scan a minute or two ago; tags `coupon_fans` 30 %, `vip` 12 %, `new` 10 % (a tenth of each
removed); and six earlier campaigns this month that reached 8 %, 25 % × 3 and 40 % × 2 of them —
today, 2, 4, 6, 12 and 20 days ago, by customer service where a window was open, else by mass
send — so the caps and the monthly mass quota hold some back.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bench.campaigns.config import Config
from bench.points import bigledger, db
from models import Campaign
from rules.segments.scoring import SEGMENTS
from services.accounts import registry as accounts

APPID, SECRET, TOKEN = "wxbenchcampaigns1", "campaigns-secret", "campaignstoken"
DELIVERY_TAG, LIMITED_TAG = "bench-delivery", "bench-limited"
TAGS = (("coupon_fans", 30), ("vip", 12), ("new", 10))
HISTORY = ((0.02, 8), (2, 25), (4, 25), (6, 25), (12, 40), (20, 40))  # (days ago, % of members)
TABLES = ["members", "member_scores", "contact_windows", "member_tags", "deliveries"]
# RFM segment by (R high, F high, M high) as a 0-7 index: 4·R + 2·F + M
SEGMENT_BY_INDEX = [SEGMENTS[(bool(i & 4), bool(i & 2), bool(i & 1))][0] for i in range(8)]

MEMBERS = """
INSERT INTO members (id, account_id, openid, following, first_followed_at, last_followed_at, follow_count,
                     last_interaction_at, points_balance, points_earned, spend_fen, created_at)
SELECT g, %(account)s, 'oCmp' || lpad(g::text, 9, '0'),
       g <= %(recipients)s OR abs(hashint8extended(g, 11)) %% 100 >= 8, t.at, t.at, 1,
       %(now)s - make_interval(secs => abs(hashint8extended(g, 12)) %% (90 * 86400)),
       p.points, p.points, 0, t.at
FROM generate_series(1, %(members)s) g
CROSS JOIN LATERAL (SELECT %(now)s - interval '720 days' + make_interval(secs => g * 60) AS at) t
CROSS JOIN LATERAL (SELECT (abs(hashint8extended(g, 13)) %% 3000)::int AS points) p
"""
SCORES = """
INSERT INTO member_scores (member_id, account_id, stage, recency_days, frequency, monetary_fen, r, f, m,
                           rfm_segment, influence, parts, kol, computed_at)
SELECT g, %(account)s, s.stage, CASE WHEN s.buyer THEN s.h2 %% 90 END,
       CASE WHEN s.buyer THEN 1 + s.h2 %% 7 ELSE 0 END,
       CASE WHEN s.buyer THEN s.h2 %% 500000 ELSE 0 END, s.r, s.f, s.m,
       CASE WHEN s.buyer
            THEN (%(segments)s::text[])[1 + 4 * (s.r >= 3)::int + 2 * (s.f >= 3)::int + (s.m >= 3)::int] END,
       (s.h2 %% 1000) / 10.0, '{}'::json, s.h2 %% 100 < 2, %(now)s
FROM generate_series(1, %(members)s) g
CROSS JOIN LATERAL (SELECT abs(hashint8extended(g, 21)) %% 100 AS h, abs(hashint8extended(g, 22)) AS h2) x
CROSS JOIN LATERAL (SELECT CASE WHEN x.h < 50 THEN 'light' WHEN x.h < 75 THEN 'sticky'
                                WHEN x.h < 90 THEN 'deep' ELSE 'iron' END AS stage,
                           x.h >= 75 AS buyer, x.h, x.h2) y
CROSS JOIN LATERAL (SELECT y.*, CASE WHEN y.buyer THEN (1 + y.h2 %% 5)::smallint END AS r,
                           CASE WHEN y.buyer THEN (1 + (y.h2 / 5) %% 5)::smallint END AS f,
                           CASE WHEN y.buyer THEN (1 + (y.h2 / 25) %% 5)::smallint END AS m) s
WHERE g <= %(recipients)s OR abs(hashint8extended(g, 23)) %% 20 <> 0
"""
WINDOWS = """
INSERT INTO contact_windows (member_id, message_at, message_used, event_at, event_used)
SELECT g,
       CASE WHEN g <= %(recipients)s THEN %(now)s - interval '1 hour'
            WHEN w.h < 30 THEN %(now)s - make_interval(secs => w.h2 %% (47 * 3600))
            ELSE %(now)s - make_interval(days => (3 + w.h2 %% 27)::int) END,
       CASE WHEN g <= %(recipients)s THEN 0 ELSE w.h2 %% 6 END,
       CASE WHEN g > %(recipients)s AND w.h2 %% 10 = 0 THEN %(now)s - make_interval(secs => w.h2 %% 120) END,
       0
FROM generate_series(1, %(members)s) g
CROSS JOIN LATERAL (SELECT abs(hashint8extended(g, 31)) %% 100 AS h, abs(hashint8extended(g, 32)) AS h2) w
WHERE g <= %(recipients)s OR w.h < 50
"""
TAGGED = """
INSERT INTO member_tags (account_id, member_id, tag, source, created_at, removed_at)
SELECT %(account)s, g, t.tag, 'manual', %(now)s - interval '30 days',
       CASE WHEN abs(hashint8extended(g, 50 + t.k)) %% 10 = 0 THEN %(now)s - interval '1 day' END
FROM generate_series(1, %(members)s) g
CROSS JOIN unnest(%(tags)s::text[], %(shares)s::int[], %(ks)s::int[]) AS t(tag, share, k)
WHERE g > %(recipients)s AND abs(hashint8extended(g, 40 + t.k)) %% 100 < t.share
UNION ALL
SELECT %(account)s, g, %(delivery_tag)s, 'manual', %(now)s - interval '30 days', NULL
FROM generate_series(1, %(recipients)s) g
UNION ALL
SELECT %(account)s, g, %(limited_tag)s, 'manual', %(now)s - interval '30 days', NULL
FROM generate_series(1, %(limited)s) g
"""
DELIVERED = """
INSERT INTO deliveries (account_id, campaign_id, member_id, variant, channel, status, attempts, planned_at,
                        claimed_at, sent_at)
SELECT %(account)s, h.campaign, g,
       CASE WHEN abs(hashint8extended(g, 60 + h.k)) %% 2 = 0 THEN 'A' ELSE 'B' END,
       CASE WHEN abs(hashint8extended(g, 31)) %% 100 < 30 THEN 'kf' ELSE 'mass' END,
       'sent', 1, x.at, x.at, x.at
FROM unnest(%(campaigns)s::int[], %(ages)s::float8[], %(shares)s::int[], %(ks)s::int[])
     AS h(campaign, age_days, share, k)
CROSS JOIN LATERAL (SELECT %(now)s - make_interval(secs => h.age_days * 86400) AS at) x
CROSS JOIN generate_series(%(recipients)s + 1, %(members)s) g
WHERE abs(hashint8extended(g, 70 + h.k)) %% 100 < h.share
"""


def create_account(cfg: Config) -> int:
    with db.sessions(cfg.database_url) as sessions, sessions.begin() as session:
        account, _ = accounts.save_account(session, APPID, "活动压测", TOKEN, secret=SECRET)
        return account.id


def earlier_campaigns(cfg: Config, account_id: int, now: datetime) -> list[int]:
    """The campaigns the seeded deliveries belong to (done, one per HISTORY entry)."""
    with db.sessions(cfg.database_url) as sessions, sessions.begin() as session:
        rows = []
        for k, (days, _) in enumerate(HISTORY):
            at = now - timedelta(days=days)
            variants = [{"code": c, "split": 50, "title": f"往期 {k} {c}", "summary": "…"} for c in "AB"]
            rows.append(
                Campaign(
                    account_id=account_id,
                    name=f"往期活动 {k}",
                    status="done",
                    audience={},
                    variants=variants,
                    created_at=at,
                    started_at=at,
                    finished_at=at,
                )  # fmt: skip
            )
        session.add_all(rows)
        session.flush()
        return [c.id for c in rows]


def load(cfg: Config, account_id: int, now: datetime) -> dict[str, float]:
    """Everything above into the fresh schema, indexes rebuilt after; returns seconds per step."""
    history = earlier_campaigns(cfg, account_id, now)
    params: dict[str, Any] = {
        "account": account_id,
        "members": cfg.members,
        "recipients": cfg.recipients,
        "limited": cfg.limited_recipients,
        "now": now.replace(tzinfo=None),  # the columns hold naive UTC
        "segments": SEGMENT_BY_INDEX,
        "delivery_tag": DELIVERY_TAG,
        "limited_tag": LIMITED_TAG,
    }
    tags = {"tags": [t for t, _ in TAGS], "shares": [s for _, s in TAGS], "ks": list(range(len(TAGS)))}
    earlier = {
        "campaigns": history,
        "ages": [float(d) for d, _ in HISTORY],
        "shares": [s for _, s in HISTORY],
        "ks": list(range(len(HISTORY))),
    }
    steps: dict[str, float] = {}
    with db.connect(cfg.database_url) as conn:
        bigledger.bulk_session(conn)
        for table, sql, extra in (
            ("members", MEMBERS, {}),
            ("member_scores", SCORES, {}),
            ("contact_windows", WINDOWS, {}),
            ("member_tags", TAGGED, tags),
            ("deliveries", DELIVERED, earlier),
        ):
            with bigledger.without_indexes(conn, table, steps):
                steps[table], _ = db.timed(
                    lambda sql=sql, extra=extra: conn.execute(sql, {**params, **extra})
                )
        conn.execute("SELECT setval('members_id_seq', %(members)s)", params)
        steps["vacuum_analyze"], _ = db.timed(lambda: db.analyze(conn, TABLES, vacuum=True))
    return {k: round(v, 2) for k, v in steps.items()}


def counts(cfg: Config) -> dict[str, int]:
    with db.connect(cfg.database_url) as conn:
        return {t: db.count(conn, f"SELECT count(*) FROM {t}") for t in TABLES}
