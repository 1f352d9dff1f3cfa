"""The run's settings, from BENCH_SEGMENTS_* variables (and BENCH_ENFORCE_TARGETS)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from math import gcd
from typing import Any

from sqlalchemy.engine import make_url

from bench.entry import env_int
from config import parse_bool

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tiefen_bench_segments"
OTHER_BENCHES = {"tiefen_bench", "tiefen_bench_points", "tiefen_bench_referrals"}  # never ours
FULL_BUDGET_S = 60.0  # score_members(full=True), the whole job
RSS_BUDGET_BYTES = 1 << 30  # the job process's peak resident memory
INCREMENTAL_BUDGET_S = 2.0  # score_members() after the new events
# the 10,000,000 activity rows at scale 1, by table (orders come on top)
EVENTS = {
    "checkins": 6_500_000,
    "page_views": 1_500_000,
    "shares": 300_000,
    "reviews": 500_000,
    "review_likes": 700_000,
    "referrals": 500_000,
}


@dataclass(frozen=True)
class Config:
    database_url: str
    scale: float  # 1.0: the sizes; 0.01 for a quick run
    members: int
    events: dict[str, int]  # rows per activity table
    orders: int
    history: int  # inbound events stored before the full run (all counted by it)
    new_events: int  # inbound events after it, for the incremental run
    spot: int  # members whose influence is recomputed in Python
    baseline_repeat: int
    timeout: float  # seconds a scoring run may take before it is stopped
    enforce_targets: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        scale = float(env.get("BENCH_SEGMENTS_SCALE") or 1.0)
        cfg = cls(
            database_url=env.get("BENCH_SEGMENTS_DATABASE_URL") or DEFAULT_DATABASE_URL,
            scale=scale,
            members=round(1_000_000 * scale),
            events={table: round(n * scale) for table, n in EVENTS.items()},
            orders=round(200_000 * scale),
            history=round(100_000 * scale),
            new_events=env_int(env, "BENCH_SEGMENTS_NEW_EVENTS", round(10_000 * min(scale, 1.0))),
            spot=env_int(env, "BENCH_SEGMENTS_SPOT", 20),
            baseline_repeat=env_int(env, "BENCH_SEGMENTS_REPEAT", 1),
            timeout=float(env.get("BENCH_SEGMENTS_JOB_TIMEOUT") or 300),
            enforce_targets=parse_bool(env.get("BENCH_ENFORCE_TARGETS")),
        )
        cfg.check()
        return cfg

    def check(self) -> None:
        name = make_url(self.database_url).database
        if name in OTHER_BENCHES:
            raise ValueError(f"refusing database {name!r}: another bench owns it")
        if not 0.001 <= self.scale <= 4:
            raise ValueError("BENCH_SEGMENTS_SCALE must be 0.001-4")
        if not 1 <= self.new_events <= self.members // 2:
            raise ValueError("BENCH_SEGMENTS_NEW_EVENTS must be 1 to half the members")
        if not 1 <= self.spot <= 200 or not 1 <= self.baseline_repeat <= 10 or not 10 <= self.timeout <= 7200:
            raise ValueError("BENCH_SEGMENTS_SPOT must be 1-200, _REPEAT 1-10 and _JOB_TIMEOUT 10-7200")

    @property
    def stride(self) -> int:
        """A multiplier coprime with the member count: g × stride mod members visits every member."""
        return next(k for k in range(7919, 10**6) if gcd(k, self.members) == 1)

    def settings(self) -> dict[str, Any]:
        out = asdict(self)
        del out["database_url"], out["enforce_targets"]
        out["events_total"] = sum(self.events.values())
        return out
