"""The run's settings, from BENCH_POINTS_* variables (and BENCH_GENERATOR, BENCH_ENFORCE_TARGETS)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

from bench.bodies import APPID, TOKEN
from bench.entry import env_int
from bench.load import pick_generator
from bench.webhook import BENCH_SECRET_KEY, clean_env
from config import parse_bool

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tiefen_bench_points"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
OTHER_BENCHES = {"tiefen_bench"}  # the webhook bench's database: never ours
PARTS = ("a", "b", "c")
PROFILE_MODES = ("auto", "always", "never")


@dataclass(frozen=True)
class Config:
    parts: tuple[str, ...]
    database_url: str
    redis_url: str
    events: int  # (a) stored events to drain
    event_members: int  # (a) members they come from
    profile: str  # (a) auto: profile the drain when the target is missed
    profile_batches: int  # (a) batches the profile runs
    seconds: float  # (b) load time
    connections: int  # (b)
    generator: str  # (b) python
    ledger_rows: int  # (c)
    members: int  # (c)
    enforce_targets: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Config:
        parts = tuple(p.strip() for p in (env.get("BENCH_POINTS_PARTS") or "a,b,c").split(",") if p.strip())
        if not parts or set(parts) - set(PARTS):
            raise ValueError(f"BENCH_POINTS_PARTS must list some of {','.join(PARTS)}")
        profile = env.get("BENCH_POINTS_PROFILE") or "auto"
        if profile not in PROFILE_MODES:
            raise ValueError(f"BENCH_POINTS_PROFILE must be one of {PROFILE_MODES}")
        cfg = cls(
            parts=parts,
            database_url=env.get("BENCH_POINTS_DATABASE_URL") or DEFAULT_DATABASE_URL,
            redis_url=env.get("BENCH_POINTS_REDIS_URL") or DEFAULT_REDIS_URL,
            events=env_int(env, "BENCH_POINTS_EVENTS", 100_000),
            event_members=env_int(env, "BENCH_POINTS_EVENT_MEMBERS", 20_000),
            profile=profile,
            profile_batches=env_int(env, "BENCH_POINTS_PROFILE_BATCHES", 40),
            seconds=float(env.get("BENCH_POINTS_SECONDS") or 15),
            connections=env_int(env, "BENCH_POINTS_CONNECTIONS", 8),
            generator=pick_generator(env.get("BENCH_GENERATOR") or "auto") if "b" in parts else "none",
            ledger_rows=env_int(env, "BENCH_POINTS_LEDGER_ROWS", 10_000_000),
            members=env_int(env, "BENCH_POINTS_MEMBERS", 1_000_000),
            enforce_targets=parse_bool(env.get("BENCH_ENFORCE_TARGETS")),
        )
        cfg.check()
        return cfg

    def check(self) -> None:
        name = make_url(self.database_url).database
        if name in OTHER_BENCHES:
            raise ValueError(f"refusing database {name!r}: another bench owns it")
        if self.ledger_rows < self.members or self.event_members < 100 or self.events < 1000:
            raise ValueError("need ledger rows ≥ members, ≥ 100 event members and ≥ 1000 events")
        if not 0 < self.seconds <= 240:
            raise ValueError("BENCH_POINTS_SECONDS must be in (0, 240]")

    def settings(self) -> dict[str, Any]:
        return {
            "parts": list(self.parts),
            "events": self.events,
            "event_members": self.event_members,
            "seconds": self.seconds,
            "connections": self.connections,
            "generator": self.generator,
            "ledger_rows": self.ledger_rows,
            "members": self.members,
        }


def app_env(cfg: Config, **extra: str) -> dict[str, str]:
    """The environment of Tiefen's processes (gunicorn, rq workers): as bench/webhook.py gives it."""
    return {
        **clean_env(),
        "DATABASE_URL": cfg.database_url,
        "REDIS_URL": cfg.redis_url,
        "WECHAT_APPID": APPID,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_SECRET": "x",
        "SECRET_KEY": BENCH_SECRET_KEY,
        **extra,
    }
