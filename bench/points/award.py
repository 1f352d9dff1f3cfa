"""(a) The award stage: stored events drained by two RQ workers, timed, then checked."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench import stack
from bench.points import checks, db, mix, seed, watch
from bench.points.config import Config, app_env
from bench.points.workers import enqueue_drains, failed_jobs, job_seconds, log_lines, rq_workers
from services.points.programme import DEFAULT_TASKS

RESULTS = Path(__file__).resolve().parent.parent / "results"
TARGET_AWARDS_PER_S = 5000.0
WORKERS = 2


def review_min_length() -> int:
    return int(next(t for t in DEFAULT_TASKS if t["action"] == "review")["min_length"])


def prepare(cfg: Config) -> tuple[mix.Mix, float]:
    """A fresh schema, the account, and the stored events; returns the mix and the seconds to load it."""
    stack.prepare_redis(cfg.redis_url)
    stack.prepare_database(cfg.database_url)
    data = mix.build(cfg.events, cfg.event_members, datetime.now(ZoneInfo(mix.TZ)).date())
    account_id = seed.create_account(cfg.database_url)
    seconds, _ = db.timed(lambda: seed.load(cfg.database_url, data, account_id))
    return data, seconds


def run(cfg: Config) -> dict[str, Any]:
    data, load_seconds = prepare(cfg)
    env = app_env(cfg, DRAIN_LINGER="0")
    with (
        rq_workers(cfg.redis_url, env, WORKERS, RESULTS, "award") as workers,
        db.connect(cfg.database_url) as conn,
    ):
        watched = watch.until_drained(
            conn, lambda: enqueue_drains(cfg.redis_url, WORKERS), lambda: enqueue_drains(cfg.redis_url, 1)
        )
    with db.connect(cfg.database_url) as conn:
        found = checks.award_checks(conn, mix.expected_awards(data, review_min_length()))
        counts = checks.outcome_counts(conn)
    rows = counts["ledger_rows"]
    return {
        "events": len(data.events),
        "members": data.members,
        "workers": WORKERS,
        "load_seconds": round(load_seconds, 2),
        "seconds": round(watched.seconds, 3),
        "events_per_s": round(len(data.events) / watched.seconds, 1),
        "awards_per_s": round(rows / watched.seconds, 1),
        "target_awards_per_s": TARGET_AWARDS_PER_S,
        "target_holds": rows / watched.seconds >= TARGET_AWARDS_PER_S,
        **counts,
        "backend_shares_pct": watched.shares(),
        "backend_samples": dict(watched.samples.most_common(12)),
        "jobs": job_seconds(workers.logs),
        "kicks": watched.kicks,
        "failed_jobs": failed_jobs(cfg.redis_url),
        "deadlocks_logged": log_lines(workers.logs, "deadlock detected"),
        "checks": [c.as_dict() for c in found],
        "checks_hold": all(c.holds for c in found),
    }
