"""Timing: the bare GROUP BY baseline, and one scoring run in a child process (`bench.segments.job`).

The child connects with application_name `bench.segments.job`; when it outlives its timeout it is
killed and its backend cancelled and terminated (a killed client leaves PostgreSQL running the
statement, holding the account's advisory lock). What PostgreSQL spilled to temporary files during
a run is read from pg_stat_database before and after.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from bench.points import db
from bench.segments.config import Config

APP = "bench.segments.job"
# the member column of every activity row the job reads: 10,000,000 rows at scale 1
ACTIVITY = """
    SELECT member_id FROM checkins UNION ALL SELECT sharer_id FROM page_views
    UNION ALL SELECT member_id FROM shares UNION ALL SELECT member_id FROM reviews
    UNION ALL SELECT member_id FROM review_likes UNION ALL SELECT referrer_id FROM referrals
"""
BASELINE = f"SELECT count(*) FROM (SELECT member_id, count(*) FROM ({ACTIVITY}) e GROUP BY member_id) g"
SETTINGS = {  # name: (work_mem, max_parallel_workers_per_gather or None for the server's)
    "default": (None, None),
    "256MB": ("256MB", None),
    "default_serial": (None, "0"),
    "256MB_serial": ("256MB", "0"),
}
TEMP = "SELECT temp_files, temp_bytes FROM pg_stat_database WHERE datname = current_database()"


def baseline(conn: psycopg.Connection[Any], repeat: int) -> dict[str, Any]:
    """The GROUP BY under each setting: one untimed run to warm the cache, then `repeat` timed."""
    conn.execute(BASELINE)
    out: dict[str, Any] = {
        "groups": db.count(conn, BASELINE),
        "rows": db.count(conn, f"SELECT count(*) FROM ({ACTIVITY}) e"),
    }
    for name, (work_mem, workers) in SETTINGS.items():
        conn.execute("RESET work_mem")
        conn.execute("RESET max_parallel_workers_per_gather")
        if work_mem:
            conn.execute(f"SET work_mem = '{work_mem}'")
        if workers:
            conn.execute(f"SET max_parallel_workers_per_gather = {workers}")
        plan = "\n".join(r[0] for r in conn.execute(f"EXPLAIN {BASELINE}"))
        runs = [db.timed(lambda: conn.execute(BASELINE).fetchone())[0] for _ in range(repeat)]
        out[name] = {"median_s": round(statistics.median(runs), 3), "parallel": "Gather" in plan}
    conn.execute("RESET work_mem")
    conn.execute("RESET max_parallel_workers_per_gather")
    out["server_work_mem"] = db.one(conn, "SHOW work_mem")
    out["server_workers_per_gather"] = db.one(conn, "SHOW max_parallel_workers_per_gather")
    return out


def launch(cfg: Config, mode: str, timeout: float, options: str = "") -> dict[str, Any]:
    """Run `score_members` (full or incremental) in a child process; its figures, or how it failed."""
    url = make_url(cfg.database_url).update_query_dict({"application_name": APP})
    env = dict(os.environ)
    if options:
        env["PGOPTIONS"] = options  # libpq passes these settings to the backend
    before = _temp(cfg)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.segments.job", url.render_as_string(hide_password=False), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        stdout, stderr = child.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        child.terminate()
        try:
            stdout, stderr = child.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            stdout, stderr = child.communicate()
        _stop_backends(cfg)
        timed_out = True
    wall = time.perf_counter() - started
    after = _temp(cfg)
    out: dict[str, Any] = {"mode": mode, "options": options, "wall_s": round(wall, 2), "timed_out": timed_out}
    out["load_avg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    out["temp_files"], out["temp_bytes"] = after[0] - before[0], after[1] - before[1]
    lines = [line for line in stderr.splitlines() if line.startswith("step ")]
    out["reached"] = lines[-1][5:] if lines else None
    if timed_out or child.returncode != 0:
        out["error"] = f"timed out after {timeout:g} s" if timed_out else stderr.strip()[-2000:]
        if stdout.strip().startswith("{"):  # a stopped child reports its peak RSS
            out["rss_peak_bytes"] = json.loads(stdout.splitlines()[-1])["rss_peak_bytes"]
        return out
    return {**out, **json.loads(stdout)}


def _temp(cfg: Config) -> tuple[int, int]:
    # a new connection each time: the statistics are read as of its first query
    with db.connect(cfg.database_url) as conn:
        row = conn.execute(TEMP).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _stop_backends(cfg: Config) -> None:
    """Cancel, then terminate, the backends the job left (only ours: by application_name, this database)."""
    mine = "application_name = %s AND datname = current_database() AND pid <> pg_backend_pid()"
    with db.connect(cfg.database_url) as conn:
        conn.execute(f"SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE {mine}", [APP])
        time.sleep(2)
        conn.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {mine}", [APP])
