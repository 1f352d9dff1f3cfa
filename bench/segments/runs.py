"""The sequence: seed; the baseline; the cold full rebuild (no scores or tags yet) in its own
process; checks; what the minutes before the cron's next run bring (AFTER_FULL); new events; the
incremental run; a snapshot; a second full rebuild; the incremental rows compared; for information,
two more incremental runs, the second reported.

The cron runs the incremental job every 15 minutes (tasks/cron.py). Before the next run after a full
rebuild, autovacuum has vacuumed and analysed the tables it rewrote (every row of member_scores is
dead once) and a checkpoint (checkpoint_timeout, 5 minutes) has written out the buffers it dirtied.
Without the CHECKPOINT, the incremental run's backend writes those out itself as it evicts them,
which cost it about a second here: the cost of the rebuild, not of the run.

When the cold rebuild does not finish within the timeout it is stopped and run again with the
planner's nested loops off (FALLBACK), only so that the rest can be measured; the report says so.
"""

from __future__ import annotations

from typing import Any

from bench import stack
from bench.points import db
from bench.points import seed as points_seed
from bench.segments import checks, events, recount, scoring, seed
from bench.segments.config import FULL_BUDGET_S, INCREMENTAL_BUDGET_S, RSS_BUDGET_BYTES, Config
from services.segments.scoring import LATE

FALLBACK = "-c enable_nestloop=off"
AFTER_FULL = ("VACUUM ANALYZE member_scores, member_tags, page_views", "CHECKPOINT")
FULL_RUNS = ("full", "full_fallback", "full_again")  # the peak RSS verdict takes the highest
LAST_RUN = (
    "SELECT id, watermark, started_at, members_scored, candidates FROM kol_runs ORDER BY id DESC LIMIT 1"
)
SHAPE = """
SELECT (SELECT count(*) FROM page_views WHERE sharer_id IS NOT NULL),
       (SELECT count(*) FROM page_views WHERE followed_at IS NOT NULL),
       (SELECT count(*) FROM page_views v JOIN members m ON m.account_id = v.account_id
            AND m.openid = v.viewer_openid WHERE v.followed_at IS NULL AND m.first_followed_at > v.viewed_at),
       (SELECT count(*) FROM referrals WHERE status NOT IN ('refused', 'voided')),
       (SELECT count(DISTINCT member_id) FROM orders),
       (SELECT count(*) FROM orders WHERE refunded_fen >= amount_fen),
       (SELECT count(*) FROM orders WHERE refunded_fen > 0 AND refunded_fen < amount_fen),
       (SELECT count(DISTINCT member_id) FROM checkins)
"""
SNAPSHOT = (
    "DROP TABLE IF EXISTS bench_scores_snapshot; CREATE TABLE bench_scores_snapshot AS TABLE member_scores"
)
SAME = """s.stage, s.frequency, s.monetary_fen, s.r, s.f, s.m, s.rfm_segment, s.influence, s.parts::jsonb"""
NEW = SAME.replace("s.", "n.")
DIFF = f"""
WITH t AS (SELECT unnest(%(touched)s::int[]) AS member_id)
SELECT count(*) FILTER (WHERE t.member_id IS NOT NULL AND ({SAME}) IS DISTINCT FROM ({NEW})),
       count(*) FILTER (WHERE t.member_id IS NOT NULL AND s.recency_days IS DISTINCT FROM n.recency_days),
       count(*) FILTER (WHERE t.member_id IS NULL AND (s.r, s.f, s.m) IS DISTINCT FROM (n.r, n.f, n.m)),
       count(*) FILTER (WHERE t.member_id IS NULL AND s.stage <> n.stage),
       count(*) FILTER (WHERE t.member_id IS NULL AND (s.influence, s.parts::jsonb) IS DISTINCT FROM
                                                      (n.influence, n.parts::jsonb))
FROM bench_scores_snapshot s JOIN member_scores n USING (member_id) LEFT JOIN t USING (member_id)
"""


def run(cfg: Config) -> dict[str, Any]:
    out: dict[str, Any] = {}
    schema_s, _ = db.timed(lambda: stack.prepare_database(cfg.database_url))
    account_id = points_seed.create_account(cfg.database_url)
    steps = seed.load(cfg, account_id)
    out["seed_seconds"] = {
        "schema": round(schema_s, 2),
        **steps,
        "total": round(schema_s + steps.pop("wall"), 2),
    }
    with db.connect(cfg.database_url) as conn:
        out["rows"] = {
            t: db.count(conn, f"SELECT count(*) FROM {t}") for t in (*cfg.events, "orders", "members")
        }
        names = (
            "shared_reads",
            "followed_reads",
            "reads_to_mark",
            "live_referrals",
            "buyers",
            "refunded",
            "part_refunded",
            "checkin_members",
        )
        out["shape"] = dict(zip(names, conn.execute(SHAPE).fetchone() or (), strict=True))
        out["baseline"] = scoring.baseline(conn, cfg.baseline_repeat)
    out["full"] = scoring.launch(cfg, "full", cfg.timeout)
    if "error" in out["full"]:
        out["full_fallback"] = scoring.launch(cfg, "full", cfg.timeout, FALLBACK)
        if "error" in out["full_fallback"]:
            return verdicts(out)
    with db.connect(cfg.database_url) as conn:
        first = conn.execute(LAST_RUN).fetchone()
        assert first is not None
        out["checks"] = after_full(conn, cfg, account_id, first[2])
        out["vacuum_analyze_s"] = round(db.timed(lambda: after_full_rebuild(conn))[0], 2)
    new = events.store(cfg, account_id)
    out["new_events"] = {k: v for k, v in new.items() if k != "members"}
    with db.connect(cfg.database_url) as conn:  # before the run: it moves what members lent
        touched = checks.expected_scope(conn, account_id, first[1], first[2] - LATE)
    out["incremental"] = scoring.launch(cfg, "incremental", cfg.timeout)
    if "error" in out["incremental"]:
        return verdicts(out)
    with db.connect(cfg.database_url) as conn:
        second = conn.execute(LAST_RUN).fetchone()
        assert second is not None
        rescored = {
            int(m)
            for (m,) in conn.execute(
                "SELECT member_id FROM member_scores WHERE computed_at = %s", [second[2]]
            )
        }
        conn.execute(SNAPSHOT)
    out["full_again"] = scoring.launch(cfg, "full", cfg.timeout)
    with db.connect(cfg.database_url) as conn:
        diff = conn.execute(DIFF, {"touched": sorted(touched)}).fetchone() or (0, 0, 0, 0, 0)
        third = conn.execute(LAST_RUN).fetchone()
        conn.execute("DROP TABLE bench_scores_snapshot")
    out["incremental_next"] = following_incremental(cfg, account_id)
    out["scope"] = {
        "new_event_members": len(new["members"]),
        "expected": len(touched),
        "scored": second[3],
        "rescored_rows": len(rescored),
        "recency_moved": diff[1],
        "untouched_rfm_moved": diff[2],
        "untouched_stage_moved": diff[3],
    }
    out["checks"] += [
        checks.check(
            "incremental members_scored = new-event members + recent sharers, their referrers, and those "
            "referrers' referrers whose second-degree sum moved",
            len(touched),
            second[3],
        ),
        checks.check(
            "the rows the incremental run rewrote are exactly those",
            True,
            rescored == touched,
            {"missing": len(touched - rescored), "extra": len(rescored - touched)},
        ),
        checks.check(
            "incremental rows = the full rebuild's after it (stage, RFM, influence, parts)", 0, diff[0]
        ),
        checks.check(
            "rows the incremental run left: influence and parts = the full rebuild's after it", 0, diff[4]
        ),
        checks.check(
            "KOL candidates: incremental = full rebuild after it", second[4], third[4] if third else None
        ),
    ]
    return verdicts(out)


def after_full_rebuild(conn: Any) -> None:
    for statement in AFTER_FULL:  # VACUUM runs alone, outside a transaction
        conn.execute(statement)


def following_incremental(cfg: Config, account_id: int) -> dict[str, Any]:
    """For information: an incremental run that follows another (as the cron's runs do between two
    nightly rebuilds), not the first after a full rebuild. Two more batches of new events, a run
    after each; the second is reported."""
    with db.connect(cfg.database_url) as conn:
        after_full_rebuild(conn)
    events.store(cfg, account_id, batch=1)
    first = scoring.launch(cfg, "incremental", cfg.timeout)
    if "error" in first:
        return first
    with db.connect(cfg.database_url) as conn:
        conn.execute("CHECKPOINT")  # 15 minutes later; too few dead rows for autovacuum
    events.store(cfg, account_id, batch=2)
    return scoring.launch(cfg, "incremental", cfg.timeout)


def after_full(conn: Any, cfg: Config, account_id: int, started_at: Any) -> list[dict[str, Any]]:
    """Coverage and tags, RFM recounted for every buyer, influence recounted for a few members."""
    out = checks.coverage(conn, account_id, cfg.members)
    rfm = checks.compare_rfm(conn, account_id, checks.rfm(conn, account_id, started_at))
    out.append(
        checks.check(
            f"F, M, R/F/M quintiles and segment of all {rfm['buyers']:,} buyers = the recount",
            (rfm["buyers"], 0),
            (rfm["scored_with_rfm"], rfm["wrong"]),
            rfm["first_wrong"],
        )
    )
    out.append(
        checks.check(
            "recency_days = whole days since the last purchase (buyers off)",
            0,
            rfm["recency_wrong"],
            rfm["first_recency_wrong"],
        )
    )
    spot = checks.spot_members(conn, account_id, cfg.spot)
    wrong = recount.disagreements(conn, recount.influence(conn, account_id, spot, started_at))
    out.append(
        checks.check(
            f"influence, parts and stage of {len(spot)} members = the recount",
            [],
            [w["member"] for w in wrong],
            wrong[:3],
        )
    )
    return out


def verdicts(out: dict[str, Any]) -> dict[str, Any]:
    full, incremental = out["full"], out.get("incremental", {})
    out["budgets"] = {
        "full_s": FULL_BUDGET_S,
        "rss_bytes": RSS_BUDGET_BYTES,
        "incremental_s": INCREMENTAL_BUDGET_S,
    }
    out["full_holds"] = "error" not in full and full["seconds"] <= FULL_BUDGET_S
    rss = [out[k]["rss_peak_bytes"] for k in FULL_RUNS if "rss_peak_bytes" in out.get(k, {})]
    out["rss_peak_bytes"] = max(rss, default=None)
    out["rss_holds"] = bool(rss) and max(rss) <= RSS_BUDGET_BYTES
    out["incremental_holds"] = "seconds" in incremental and incremental["seconds"] <= INCREMENTAL_BUDGET_S
    out["checks_hold"] = bool(out.get("checks")) and all(c["holds"] for c in out["checks"])
    return out
