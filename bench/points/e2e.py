"""(b) End to end: signed 签到 texts and subscribes through gunicorn while two RQ workers drain.

The load reuses the webhook bench's generator and bodies (bench/load.py, bench/webhook.lua,
bench/bodies.py) with the text message's content swapped for 签到: every request comes from a
new openid, so each text checks a new member in (a `checkins` row, written in the reply's
transaction) and each subscribe is a first follow. The workers run with the default DRAIN_LINGER.
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import stack
from bench.bodies import TEXT_CONTENT, BodyFactory, Templates, templates, wechat_server
from bench.load import LoadResult, LoadSpec, run_load
from bench.points import checks, cpu, db
from bench.points.config import Config, app_env
from bench.points.workers import job_seconds, rq_workers
from bench.servers import ServerSpec, gunicorn

RESULTS = Path(__file__).resolve().parent.parent / "results"
CHECKIN_TEXT = "签到"
WARMUP_RUN, MEASURED_RUN = 1, 2  # the runs' openids start with o001…, o002…
MEASURED = f"o{MEASURED_RUN:03d}%"
WARMUP_SECONDS = 2.0
DRAIN_TIMEOUT = 120.0
LAG = """
SELECT count(*),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)),
       percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)),
       max(extract(epoch FROM processed_at - received_at)),
       max(processed_at)
FROM inbound_events WHERE openid LIKE %s AND status = 'done'
"""


def checkin_templates(url: str) -> Templates:
    """bench/bodies.py's templates, the text saying 签到 instead of 你好."""
    tpl = templates(wechat_server(url))
    assert tpl.text.count(TEXT_CONTENT) == 1
    return replace(tpl, text=tpl.text.replace(TEXT_CONTENT, CHECKIN_TEXT))


def push(url: str, run: int, seconds: float, cfg: Config) -> LoadResult:
    spec = LoadSpec(url + "/wechat", BodyFactory(checkin_templates(url), run), 0, seconds)
    return run_load(cfg.generator, replace(spec, connections=cfg.connections))


def stored_events(database_url: str) -> int:
    with db.connect(database_url) as conn:
        return db.count(conn, "SELECT count(*) FROM inbound_events WHERE openid LIKE %s", [MEASURED])


def wait_drained(database_url: str, timeout: float = DRAIN_TIMEOUT) -> float:
    """Poll until no event is pending; returns the wall time (time.time()) it was first seen so."""
    deadline = time.monotonic() + timeout
    with db.connect(database_url) as conn:
        while time.monotonic() < deadline:
            if db.count(conn, "SELECT count(*) FROM inbound_events WHERE status = 'pending'") == 0:
                return time.time()
            time.sleep(0.05)
    raise RuntimeError(f"events still pending {timeout:.0f} s after the load stopped")


def run(cfg: Config) -> dict[str, Any]:
    stack.prepare_redis(cfg.redis_url)
    stack.prepare_database(cfg.database_url)
    env = app_env(cfg)
    with rq_workers(cfg.redis_url, env, 2, RESULTS, "e2e") as workers:
        with gunicorn(ServerSpec("points-e2e", "app:create_app()", env), RESULTS) as url:
            push(url, WARMUP_RUN, WARMUP_SECONDS, cfg)
            cpu_before, machine_before = cpu.process_seconds(workers.pids), cpu.MachineTicks.now()
            load = push(url, MEASURED_RUN, cfg.seconds, cfg)
            stopped = time.time()
            worker_cpu = cpu.process_seconds(workers.pids) - cpu_before
            machine_busy = cpu.MachineTicks.now().busy_pct_since(machine_before)
            stack.settled(lambda: stored_events(cfg.database_url))  # requests in flight land
        drained = wait_drained(cfg.database_url)
    stored = stored_events(cfg.database_url)
    with db.connect(cfg.database_url) as conn:
        row = conn.execute(LAG, [MEASURED]).fetchone()
        assert row is not None  # an aggregate always returns a row
        count, p50, p99, worst, last = row
        found = [
            checks.Check("stored events = 200 answers + cut off in flight", load.ok + load.cut_off, stored)
        ]
        found += checks.ledger_checks(conn)
        counts = checks.outcome_counts(conn) | {
            "checkin_rows": db.count(conn, "SELECT count(*) FROM checkins")
        }
    last_done = last.replace(tzinfo=UTC).timestamp() if last else stopped
    return {
        "connections": cfg.connections,
        "load": {**asdict(load), "rps": round(load.rps, 1), "errors": load.errors},
        "stored_events": stored,
        "done_events": int(count),
        "lag_p50_ms": round(1000 * float(p50 or 0), 1),
        "lag_p99_ms": round(1000 * float(p99 or 0), 1),
        "lag_max_ms": round(1000 * float(worst or 0), 1),
        "last_done_after_stop_s": round(last_done - stopped, 3),
        "drained_seen_after_stop_s": round(drained - stopped, 3),
        **counts,
        "workers_cpu_s_during_load": round(worker_cpu, 2),
        "machine_busy_pct_during_load": machine_busy,
        "jobs": job_seconds(workers.logs),
        "checks": [c.as_dict() for c in found],
        "checks_hold": all(c.holds for c in found) and load.errors == 0,
        "stopped_at": datetime.fromtimestamp(stopped, UTC).isoformat(timespec="milliseconds"),
    }
