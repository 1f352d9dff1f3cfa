"""`python -m bench.referrals`: seed the referral graph, time the queries, check them, print, write JSON.

Exit status: 0 when the run is valid (every check holds) whether or not the budgets are met;
1 when a check fails or (BENCH_ENFORCE_TARGETS=1) a budget is missed; 2 when PostgreSQL does not
answer or a setting is wrong; 130 on Ctrl-C.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import entry
from bench.referrals import graph, report
from bench.referrals.config import Config
from bench.report import write
from bench.webhook import git_commit

RESULTS = Path(__file__).resolve().parent.parent / "results" / "referrals.json"


def run(cfg: Config) -> int:
    rep: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpus": os.cpu_count(),
        **cfg.settings(),
    }
    rep["graph"] = graph.run(cfg)
    print(report.render(rep["graph"]), flush=True)
    write(rep, RESULTS)
    print(f"\nresults: {RESULTS}")
    g = rep["graph"]
    met = g["top_holds"] and g["rings_holds"]
    return 0 if g["checks_hold"] and (met or not cfg.enforce_targets) else 1


def main() -> int:
    return entry.main("bench.referrals", Config.from_env, run)


if __name__ == "__main__":
    sys.exit(main())
