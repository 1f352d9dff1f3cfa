"""`python -m bench.points`: run the parts BENCH_POINTS_PARTS names (a,b,c), print, write the JSON.

Exit status: 0 when every run is valid (its checks hold) whether or not the targets are met;
1 when a check fails, a process fails, or (BENCH_ENFORCE_TARGETS=1) a target is missed;
2 when PostgreSQL or Redis does not answer or a setting is wrong; 130 on Ctrl-C.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError

from bench import entry, stack
from bench.points import award, e2e, profile, recompute, report
from bench.points.config import Config
from bench.report import write
from bench.webhook import git_commit

RESULTS = Path(__file__).resolve().parent.parent / "results" / "points.json"


def part_a(cfg: Config) -> dict[str, Any]:
    result = award.run(cfg)
    if cfg.profile == "always" or (cfg.profile == "auto" and not result["target_holds"]):
        result["profile"] = profile.run(cfg, cfg.profile_batches)
    return result


PARTS: dict[str, tuple[Callable[[Config], dict[str, Any]], Callable[[dict[str, Any]], str]]] = {
    "a": (part_a, report.award),
    "b": (e2e.run, report.e2e),
    "c": (recompute.run, report.recompute),
}
TARGETS = {"a": ("target_holds",), "b": (), "c": ("audit_holds", "repair_holds")}


def run(cfg: Config) -> int:
    rep: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpus": os.cpu_count(),
        **cfg.settings(),
    }
    try:
        for part in cfg.parts:
            measure, render = PARTS[part]
            rep[part] = measure(cfg)
            print(render(rep[part]), flush=True)
            write(rep, RESULTS)  # after each part: a later failure keeps what was measured
    finally:
        with suppress(RedisError):
            stack.flush_redis(cfg.redis_url)
    print(f"\nresults: {RESULTS}")
    valid = all(rep[p]["checks_hold"] for p in cfg.parts)
    met = all(rep[p][t] for p in cfg.parts for t in TARGETS[p])
    return 0 if valid and (met or not cfg.enforce_targets) else 1


def main() -> int:
    return entry.main(
        "bench.points", Config.from_env, run, (RuntimeError,), "; workers and servers stopped"
    )  # RuntimeError: a worker, gunicorn or the load generator failed; all are stopped


if __name__ == "__main__":
    sys.exit(main())
