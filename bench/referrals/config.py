"""The run's settings, from BENCH_REFERRALS_* variables (and BENCH_ENFORCE_TARGETS)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.engine import make_url

from bench.entry import env_int
from config import parse_bool

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tiefen_bench_referrals"
OTHER_BENCHES = {"tiefen_bench", "tiefen_bench_points"}  # the other benches' databases: never ours
TOP_BUDGET_S = 5.0  # top_referrers(limit=100)
RING_BUDGET_S = 30.0  # ring_scan + mark_rings


@dataclass(frozen=True)
class Config:
    database_url: str
    members: int
    edges: int  # referral rows, rings included
    rings: int  # planted rings, lengths 2-5; one in 16 has a refused edge (so it is no ring)
    top: int  # top_referrers(limit=…)
    repeat: int  # timed runs of each query, after one to warm the cache
    enforce_targets: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        cfg = cls(
            database_url=env.get("BENCH_REFERRALS_DATABASE_URL") or DEFAULT_DATABASE_URL,
            members=env_int(env, "BENCH_REFERRALS_MEMBERS", 1_000_000),
            edges=env_int(env, "BENCH_REFERRALS_EDGES", 800_000),
            rings=env_int(env, "BENCH_REFERRALS_RINGS", 320),
            top=env_int(env, "BENCH_REFERRALS_TOP", 100),
            repeat=env_int(env, "BENCH_REFERRALS_REPEAT", 3),
            enforce_targets=parse_bool(env.get("BENCH_ENFORCE_TARGETS")),
        )
        cfg.check()
        return cfg

    def check(self) -> None:
        name = make_url(self.database_url).database
        if name in OTHER_BENCHES:
            raise ValueError(f"refusing database {name!r}: another bench owns it")
        if not 16 <= self.rings <= 10_000 or not 1 <= self.top <= 1000 or not 1 <= self.repeat <= 20:
            raise ValueError("BENCH_REFERRALS_RINGS must be 16-10000, _TOP 1-1000 and _REPEAT 1-20")
        if not 10 * self.rings * 5 <= self.edges < self.members - 5 * self.rings - 1000:
            raise ValueError("need edges ≥ 50 × rings and members > edges + 5 × rings + 1000")

    def settings(self) -> dict[str, Any]:
        out = asdict(self)
        del out["database_url"], out["enforce_targets"]
        return out
