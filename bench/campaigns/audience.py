"""Audience resolution and preview over the seeded million, against plain counts of the same tables.

Each query runs once untimed (a warm cache), then `repeat` times in a transaction of its own through
Tiefen's session factory (as the merchant API runs `preview`); the budget holds when the slowest
run is within it. The baselines are plain psycopg: the account's members counted, and members ⟕
member_scores grouped by stage. The preview's answer is checked against the rules themselves:
the audience fetched by a plain query, each member's facts put through `rules.campaigns.planner.plan` and
`split_variant` in Python.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.campaigns.config import PREVIEW_BUDGET_S, Config
from bench.points import db
from bench.points.db import in_tx, repeated
from bench.referrals.checks import check
from models import Campaign
from rules.campaigns.planner import Facts, Rules, plan, split_variant
from services.campaigns import audience as campaigns

TZ = "Asia/Shanghai"
COUNT = "SELECT count(*) FROM members WHERE account_id = %s"
GROUPED = (
    "SELECT s.stage, count(*) FROM members m LEFT JOIN member_scores s ON s.member_id = m.id "
    "WHERE m.account_id = %s GROUP BY s.stage"
)
AUDIENCES = {  # label: (spec, checked member by member against rules.campaigns.planner)
    "sticky/deep/iron + coupon_fans": ({"stages": ["sticky", "deep", "iron"], "tags": ["coupon_fans"]}, True),
    "everyone": ({}, False),  # checked by its totals only (a million facts through Python: too long)
}
FACTS = """
SELECT m.id, m.following, w.message_at, coalesce(w.message_used, 0), w.event_at, coalesce(w.event_used, 0),
       count(*) FILTER (WHERE d.sent_at >= %(day)s), count(*) FILTER (WHERE d.sent_at >= %(week)s),
       count(*) FILTER (WHERE d.channel = 'mass' AND d.sent_at >= %(month)s)
FROM members m
LEFT JOIN member_scores s ON s.member_id = m.id
LEFT JOIN contact_windows w ON w.member_id = m.id
LEFT JOIN deliveries d ON d.member_id = m.id AND d.status = 'sent' AND d.sent_at >= least(%(week)s, %(month)s)
WHERE m.account_id = %(account)s AND (%(stages)s::text[] IS NULL OR s.stage = ANY(%(stages)s))
  AND (%(tags)s::text[] IS NULL OR EXISTS (SELECT 1 FROM member_tags t WHERE t.member_id = m.id
                                           AND t.tag = ANY(%(tags)s) AND t.removed_at IS NULL))
GROUP BY m.id, w.member_id
"""
# the plan's nodes (lines with "->", and the root) and what says where time and memory went
HIGHLIGHT = re.compile(r"^\S|->|Batches: [2-9]|Disk|Workers Launched|Execution Time|Planning Time|Timing:")


def create_campaign(
    sessions: sessionmaker[Session], account_id: int, name: str, audience: dict[str, Any], now: datetime
) -> int:
    body = {
        "name": name,
        "audience": audience,
        "variants": [
            {"code": c, "split": 50, "title": f"{name} {c}", "summary": "双十二会员专享,点击领取"}
            for c in "AB"
        ],
        "quiet_start": 0,  # no quiet hours: the figures must not depend on the hour the bench runs
        "quiet_end": 0,
    }
    with sessions.begin() as session:
        return campaigns.create(session, account_id, body, now).id


def run(cfg: Config, account_id: int, now: datetime) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with db.connect(cfg.database_url) as conn:
        out["baseline_count"] = repeated(cfg.repeat, lambda: conn.execute(COUNT, [account_id]).fetchone())
        out["baseline_group"] = repeated(cfg.repeat, lambda: conn.execute(GROUPED, [account_id]).fetchall())
    out["audiences"], out["checks"] = {}, []
    with db.sessions(cfg.database_url) as sessions:
        for label, (spec, member_by_member) in AUDIENCES.items():
            cid = create_campaign(sessions, account_id, f"预览 {label}"[:60], spec, now)
            got = in_tx(
                sessions, lambda s, cid=cid: campaigns.preview(s, s.get(Campaign, cid), TZ, now, Rules())
            )
            a = out["audiences"][label] = {
                "campaign_id": cid,
                "spec": spec,
                "preview": repeated(
                    cfg.repeat, lambda cid=cid: in_tx(sessions, lambda s: _preview(s, cid, now))
                ),
                "planned_count": repeated(
                    cfg.repeat, lambda cid=cid: in_tx(sessions, lambda s: _count(s, cid, now))
                ),
                "result": {
                    "audience": got.audience,
                    "by_channel": got.by_channel,
                    "held": got.held,
                    "by_variant": got.by_variant,
                },
            }
            if member_by_member:
                out["checks"] += truth_checks(cfg, account_id, cid, spec, now, label, a["result"])
            else:
                out["checks"] += total_checks(cfg, account_id, label, a["result"])
        first = next(iter(out["audiences"].values()))["campaign_id"]
        out["explain"] = explain(sessions, first, now)
    base = out["baseline_group"]["median_s"]
    for a in out["audiences"].values():
        for k in ("preview", "planned_count"):
            a[k]["x_group_baseline"] = round(a[k]["median_s"] / base, 2)
    out["budget_s"] = PREVIEW_BUDGET_S
    out["slowest_s"] = max(
        a[k]["max_s"] for a in out["audiences"].values() for k in ("preview", "planned_count")
    )
    out["holds"] = out["slowest_s"] <= PREVIEW_BUDGET_S
    return out


def _preview(session: Session, cid: int, now: datetime) -> Any:
    return campaigns.preview(session, session.get(Campaign, cid), TZ, now, Rules())


def _count(session: Session, cid: int, now: datetime) -> int:
    rows = campaigns.planned(session, session.get(Campaign, cid), TZ, now, Rules()).subquery()
    return int(session.scalar(select(func.count()).select_from(rows)) or 0)


def truth_checks(
    cfg: Config,
    account_id: int,
    cid: int,
    spec: dict[str, Any],
    now: datetime,
    label: str,
    got: dict[str, Any],
) -> list[dict[str, Any]]:
    """The preview against `rules.campaigns.planner` over facts fetched by a plain query (no Tiefen SQL)."""
    local = now.astimezone(ZoneInfo(TZ))
    bounds = {
        "day": datetime.combine(local.date(), clock_time(), local.tzinfo),
        "week": now - timedelta(days=7),
        "month": datetime.combine(local.date().replace(day=1), clock_time(), local.tzinfo),
    }
    naive = {k: v.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) for k, v in bounds.items()}
    params = {"account": account_id, "stages": spec.get("stages"), "tags": spec.get("tags"), **naive}
    with db.connect(cfg.database_url) as conn:
        rows = conn.execute(FACTS, params).fetchall()
    rules, splits = Rules(), [("A", 50), ("B", 50)]
    counts: Counter[tuple[str, str | None, str | None]] = Counter()
    for mid, following, m_at, m_used, e_at, e_used, today, week, mass in rows:
        facts = Facts(following, _aware(m_at), m_used, _aware(e_at), e_used, today, week, mass)
        channel, reason = plan(facts, now, False, rules)
        counts[(split_variant(mid, cid, splits), channel, reason)] += 1
    by_channel = {c: sum(n for (_, ch, _), n in counts.items() if ch == c) for c in ("kf", "mass")}
    held: Counter[str] = Counter()
    for (_, ch, reason), n in counts.items():
        if ch is None and reason:
            held[reason] += n
    by_variant = {v: sum(n for (var, ch, _), n in counts.items() if var == v and ch) for v in "AB"}
    return [
        check(f"{label}: audience = members matched by a plain query", len(rows), got["audience"]),
        check(
            f"{label}: by channel = rules.campaigns.planner.plan over their facts",
            by_channel,
            got["by_channel"],
        ),
        check(f"{label}: held by reason = rules.campaigns.planner.plan", dict(held), got["held"]),
        check(
            f"{label}: sent by variant = rules.campaigns.planner.split_variant", by_variant, got["by_variant"]
        ),
    ]


def total_checks(cfg: Config, account_id: int, label: str, got: dict[str, Any]) -> list[dict[str, Any]]:
    with db.connect(cfg.database_url) as conn:
        members = db.count(conn, COUNT, [account_id])
    sent = sum(got["by_channel"].values())
    return [
        check(f"{label}: audience = the account's members", members, got["audience"]),
        check(f"{label}: sent + held = audience", got["audience"], sent + sum(got["held"].values())),
        check(f"{label}: by variant adds up to sent", sent, sum(got["by_variant"].values())),
    ]


def _aware(at: datetime | None) -> datetime | None:
    return None if at is None else at.replace(tzinfo=ZoneInfo("UTC"))


def explain(sessions: sessionmaker[Session], cid: int, now: datetime) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement `preview` sends, with its own parameters."""
    seen: list[tuple[str, Any]] = []
    engine = sessions.kw["bind"]

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "GROUP BY" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        in_tx(sessions, lambda s: _preview(s, cid, now))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = seen[-1]
    with sessions.begin() as session:
        plan_rows = session.connection().exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters
        )
        lines = [r[0] for r in plan_rows]
    return {"plan": lines, "highlights": [_short(ln) for ln in lines if HIGHLIGHT.search(ln)]}


def _short(line: str) -> str:
    """A plan line without its cost estimate, the CASE expressions cut."""
    line = re.sub(r"\(cost=[^)]*\) ", "", line.rstrip())
    return line if len(line) <= 150 else line[:147] + "…"
