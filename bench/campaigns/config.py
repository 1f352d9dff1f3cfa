"""The run's settings, from BENCH_CAMPAIGNS_* variables (and BENCH_ENFORCE_TARGETS)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url

from bench.entry import env_int
from config import parse_bool

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_campaigns"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
# other people's databases, and the other benches': never ours (the bench drops its schema)
REFUSED = {
    "postgres", "template0", "template1", "test", "test_main", "test_bench", "test_posters",
    "tiefen_bench", "tiefen_bench_points", "tiefen_bench_referrals", "bench_segments",
}  # fmt: skip
REFUSED_REDIS = {"14"}  # the webhook and posters benches flush or write there

PREVIEW_BUDGET_S = 5.0  # audience + planner + GROUP BY over 1,000,000 members, slowest run
RATE_TARGET = 2000.0  # messages/s delivered to the simulator by 2 workers
ENGINE_BUDGET_MS = 0.5  # the engine's own wall time per message, the HTTP call excluded


@dataclass(frozen=True)
class Config:
    database_url: str
    redis_url: str
    members: int
    recipients: int  # each delivery run's audience (the first ids, known to the simulator)
    workers: int
    concurrency: int  # customer-service calls in flight per sender (settings.campaign_concurrency)
    rate: float  # settings.campaign_rate for the measured runs: high enough not to throttle
    limited_rate: float  # … and for the run that shows the limiter holding a rate
    limited_recipients: int
    baseline_messages: int  # bare customer-service sends, no engine: the ceiling the simulator allows
    repeat: int  # timed previews after one warm run
    sim_threads: int
    job_timeout: int  # RQ's per-job limit for send_campaign in this bench (production: RQ's 180 s)
    enforce_targets: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        cfg = cls(
            database_url=env.get("BENCH_CAMPAIGNS_DATABASE_URL") or DEFAULT_DATABASE_URL,
            redis_url=env.get("BENCH_CAMPAIGNS_REDIS_URL") or DEFAULT_REDIS_URL,
            members=env_int(env, "BENCH_CAMPAIGNS_MEMBERS", 1_000_000),
            recipients=env_int(env, "BENCH_CAMPAIGNS_RECIPIENTS", 100_000),
            workers=env_int(env, "BENCH_CAMPAIGNS_WORKERS", 2),
            concurrency=env_int(env, "BENCH_CAMPAIGNS_CONCURRENCY", 8),
            rate=float(env_int(env, "BENCH_CAMPAIGNS_RATE", 100_000)),
            limited_rate=float(env_int(env, "BENCH_CAMPAIGNS_LIMITED_RATE", 2000)),
            limited_recipients=env_int(env, "BENCH_CAMPAIGNS_LIMITED_RECIPIENTS", 20_000),
            baseline_messages=env_int(env, "BENCH_CAMPAIGNS_BASELINE_MESSAGES", 6000),
            repeat=env_int(env, "BENCH_CAMPAIGNS_REPEAT", 3),
            sim_threads=env_int(env, "BENCH_CAMPAIGNS_SIM_THREADS", 8),
            job_timeout=env_int(env, "BENCH_CAMPAIGNS_JOB_TIMEOUT", 1800),
            enforce_targets=parse_bool(env.get("BENCH_ENFORCE_TARGETS")),
        )
        cfg.check()
        return cfg

    def check(self) -> None:
        name = make_url(self.database_url).database
        if not name or name in REFUSED:
            raise ValueError(f"refusing database {name!r}: the bench drops its schema")
        db = urlsplit(self.redis_url).path.strip("/")
        if not db.isdigit() or db in REFUSED_REDIS:
            raise ValueError(f"the Redis URL must name a database of this bench's own (not 14), got {db!r}")
        if not 1000 <= self.recipients <= self.members // 4:
            raise ValueError("BENCH_CAMPAIGNS_RECIPIENTS must be 1000 to a quarter of the members")
        if not 2 <= self.limited_recipients <= self.recipients:
            raise ValueError("BENCH_CAMPAIGNS_LIMITED_RECIPIENTS must be 2 to BENCH_CAMPAIGNS_RECIPIENTS")
        if not 0 <= self.baseline_messages <= self.recipients or not 1 <= self.workers <= 8:
            raise ValueError("BENCH_CAMPAIGNS_BASELINE_MESSAGES ≤ recipients; 1-8 workers")
        if self.rate < 1 or self.limited_rate < 1 or not 1 <= self.repeat <= 20:
            raise ValueError("rates must be ≥ 1 and BENCH_CAMPAIGNS_REPEAT 1-20")

    def settings(self) -> dict[str, Any]:
        out = asdict(self)
        del out["database_url"], out["redis_url"], out["enforce_targets"]
        return out
