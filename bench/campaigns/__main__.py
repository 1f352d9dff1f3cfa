"""`python -m bench.campaigns`: seed, time the preview, deliver through the simulator, check, report.

Exit status: 0 when the run is valid (every check holds) whether or not the targets are met; 1 when
a check fails, a worker or the simulator fails, or (BENCH_ENFORCE_TARGETS=1) a target is missed; 2
when PostgreSQL or Redis does not answer or a setting is wrong; 130 on Ctrl-C.
"""

from __future__ import annotations

import os
import sys
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import RedisError

from bench import entry, stack
from bench.campaigns import audience, baseline, delivery, report, seed, sim
from bench.campaigns.config import Config
from bench.report import write
from bench.servers import ROOT
from bench.webhook import git_commit
from models import utcnow
from tasks.runtime import connect_redis
from wechat.client import client_for

RESULTS = ROOT / "bench" / "results" / "campaigns.json"


def run(cfg: Config) -> int:
    rep: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        **cfg.settings(),
    }
    stack.prepare_database(cfg.database_url)
    stack.prepare_redis(cfg.redis_url)
    account_id = seed.create_account(cfg)
    members = [delivery.openid(m) for m in range(1, cfg.recipients + 1)]
    with sim.simulator(cfg.sim_threads) as simulator:
        sim.post(simulator.url, "/_sim/apps", {"appid": seed.APPID, "secret": seed.SECRET})
        registering = sim.Registration(simulator.url, seed.APPID, members)  # while PostgreSQL seeds
        rep["seed"] = {"seconds": seed.load(cfg, account_id, utcnow()), "rows": seed.counts(cfg)}
        rep["registration"] = registering.wait()
        print(report.seeded(rep), flush=True)
        rep["preview"] = audience.run(cfg, account_id, utcnow())
        print(report.preview(rep["preview"]), flush=True)
        redis = stack.redis_client(cfg.redis_url)
        if not client_for(seed.APPID, seed.SECRET, simulator.url, connect_redis(cfg.redis_url)).access_token:
            raise RuntimeError("the simulator gave no access token")
        rep["baseline"] = {
            "kf": baseline.run(
                cfg.redis_url,
                simulator,
                "kf",
                members[-cfg.baseline_messages :],
                cfg.workers,
                cfg.concurrency,
            ),
            "mass": baseline.run(cfg.redis_url, simulator, "mass", members, cfg.workers),
        }
        print(report.baselines(rep["baseline"]), flush=True)
        runs = rep["runs"] = {}
        for key, label, tag, rate, expected, channel in (
            ("kf", "客服 kf-heavy", seed.DELIVERY_TAG, cfg.rate, cfg.recipients, "kf"),
            ("mass", "群发 mass-heavy", seed.DELIVERY_TAG, cfg.rate, cfg.recipients, "mass"),
            ("limited", "限速 limited", seed.LIMITED_TAG, cfg.limited_rate, cfg.limited_recipients, "mass"),
        ):
            runs[key] = delivery.run(
                cfg,
                simulator,
                redis,
                account_id,
                label,
                tag,
                rate,
                expected,
                channel,
                utcnow(),
                key == "limited",
            )
            print(report.delivery(runs[key], rep["baseline"].get(key)), flush=True)
            delivery.pass_a_week(cfg, runs[key]["campaign_id"], close_windows=key == "kf")
    rep["verdicts"] = report.verdicts(rep)
    print(report.summary(rep), flush=True)
    write(rep, RESULTS)
    print(f"\nresults: {RESULTS}")
    checks = [c for c in rep["preview"]["checks"]] + [c for r in runs.values() for c in r["checks"]]
    valid = all(c["holds"] for c in checks)
    met = all(v["holds"] for v in rep["verdicts"])
    return 0 if valid and (met or not cfg.enforce_targets) else 1


def _flush(cfg: Config) -> None:
    with suppress(RedisError, stack.Unavailable):
        stack.flush_redis(cfg.redis_url)  # the bench's own database: queues, tokens, meters


def main() -> int:
    return entry.main(
        "bench.campaigns",
        Config.from_env,
        run,
        (RuntimeError,),
        "; workers and the simulator stopped",
        _flush,
    )


if __name__ == "__main__":
    sys.exit(main())
