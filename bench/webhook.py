"""Benchmark the webhook's full path against a bare baseline: `python -m bench.webhook`.

(a) Tiefen (`app:create_app()`): verify, parse, store in PostgreSQL, enqueue to Redis, reply.
(b) `bench/baseline.py`: verify, parse, reply; nothing stored or enqueued.
(c) the floor, (b) plus one durable INSERT of the body: what any webhook that stores each callback
before replying costs at least, whatever else it does or leaves out.
Each runs under `gunicorn -w 2 -k sync` and takes the same closed-loop load (wrk, or the
Python generator without it). Prints a table, writes bench/results/webhook.json, and checks
that the database holds one inbound event per request Tiefen answered.

Environment: BENCH_SECONDS (15), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (32),
BENCH_SERVICE_SECONDS (5; 0 skips the run at one connection per worker),
BENCH_GENERATOR (auto|wrk|python), BENCH_DATABASE_URL, BENCH_REDIS_URL,
BENCH_ENFORCE_TARGETS (1: exit 1 when a target is missed).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from bench import entry, report, stack
from bench.bodies import APPID, TOKEN, BodyFactory, signed_path, templates, wechat_server
from bench.load import LoadResult, LoadSpec, pick_generator, run_load
from bench.report import Pair, StoreCheck
from bench.servers import ROOT, WORKERS, ServerSpec, gunicorn
from config import Settings, parse_bool

RESULTS = Path(__file__).resolve().parent / "results"
MAX_SECONDS = 240.0  # one signed timestamp serves a whole run: stay inside the 300 s replay window


@dataclass(frozen=True)
class Config:
    database_url: str
    redis_url: str
    seconds: float
    warmup_seconds: float
    service_seconds: float
    connections: int
    generator: str
    enforce_targets: bool

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Config:
        seconds = float(env.get("BENCH_SECONDS") or 15)
        if not 0 < seconds <= MAX_SECONDS:
            raise ValueError(f"BENCH_SECONDS must be in (0, {MAX_SECONDS:.0f}]")
        return cls(
            database_url=env.get("BENCH_DATABASE_URL") or stack.DEFAULT_DATABASE_URL,
            redis_url=env.get("BENCH_REDIS_URL") or stack.DEFAULT_REDIS_URL,
            seconds=seconds,
            warmup_seconds=float(env.get("BENCH_WARMUP_SECONDS") or 2),
            service_seconds=float(env.get("BENCH_SERVICE_SECONDS") or 5),
            connections=int(env.get("BENCH_CONNECTIONS") or 32),
            generator=pick_generator(env.get("BENCH_GENERATOR") or "auto"),
            enforce_targets=parse_bool(env.get("BENCH_ENFORCE_TARGETS")),
        )

    def settings(self) -> dict[str, Any]:
        """What the report records about the run."""
        return {
            "commit": git_commit(),
            "generator": self.generator,
            "seconds": self.seconds,
            "warmup_seconds": self.warmup_seconds,
            "mix": {"subscribe": 0.5, "text": 0.5},
            "gunicorn": {"workers": WORKERS, "worker_class": "sync"},
        }


def git_commit() -> str | None:
    """The commit the measured code is at (read-only; None outside a git checkout)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        )
    except OSError:
        return None
    return done.stdout.strip() or None


@dataclass(frozen=True)
class ServerRuns:
    main: LoadResult
    service: LoadResult | None


def clean_env() -> dict[str, str]:
    """This process's environment without anything Tiefen's Settings would read."""
    names = {f.name.upper() for f in fields(Settings)}
    return {k: v for k, v in os.environ.items() if k not in names}


def tiefen_settings(database_url: str, redis_url: str) -> dict[str, str]:
    """What Tiefen's app is given in the benches: the stores and the one account, from the environment."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WECHAT_APPID": APPID,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_SECRET": "x",
    }


def tiefen_spec(cfg: Config) -> ServerSpec:
    env = {**clean_env(), **tiefen_settings(cfg.database_url, cfg.redis_url)}
    return ServerSpec("tiefen", "app:create_app()", env)


def baseline_spec() -> ServerSpec:
    return ServerSpec("baseline", "bench.baseline:create_app()", {**clean_env(), "WECHAT_TOKEN": TOKEN})


def floor_spec(dsn: str) -> ServerSpec:
    env = {**clean_env(), "WECHAT_TOKEN": TOKEN, "BENCH_FLOOR_DSN": dsn}
    return ServerSpec("floor", "bench.baseline:create_durable_app()", env)


def push(url: str, run: int, seconds: float, connections: int, cfg: Config) -> LoadResult:
    """One load run against the server at `url`; `run` keeps its openids and MsgIds apart."""
    server = wechat_server(url)
    spec = LoadSpec(url + signed_path(server), BodyFactory(templates(server), run), connections, seconds)
    return run_load(cfg.generator, spec)


def service_run(url: str, run: int, cfg: Config) -> LoadResult | None:
    """One connection per worker: latency without queueing in gunicorn's backlog."""
    return push(url, run, cfg.service_seconds, WORKERS, cfg) if cfg.service_seconds > 0 else None


def bench_tiefen(cfg: Config) -> tuple[ServerRuns, StoreCheck]:
    with gunicorn(tiefen_spec(cfg), RESULTS) as url:
        push(url, 1, cfg.warmup_seconds, cfg.connections, cfg)
        before = stack.settled(lambda: stack.stored_events(cfg.database_url))
        main = push(url, 2, cfg.seconds, cfg.connections, cfg)
        after = stack.settled(lambda: stack.stored_events(cfg.database_url))
        queued = stack.settled(lambda: stack.queued_jobs(cfg.redis_url))
        service = service_run(url, 3, cfg)
    return ServerRuns(main, service), StoreCheck(after - before, main.ok, main.cut_off, after, queued)


def bench_baseline(cfg: Config) -> ServerRuns:
    with gunicorn(baseline_spec(), RESULTS) as url:
        push(url, 4, cfg.warmup_seconds, cfg.connections, cfg)
        main = push(url, 5, cfg.seconds, cfg.connections, cfg)
        return ServerRuns(main, service_run(url, 6, cfg))


def bench_floor(cfg: Config) -> tuple[LoadResult, bool]:
    """(c) and whether it stored one row per answer, like (a)'s check."""
    with gunicorn(floor_spec(stack.prepare_floor(cfg.database_url)), RESULTS) as url:
        push(url, 7, cfg.warmup_seconds, cfg.connections, cfg)
        before = stack.settled(lambda: stack.floor_rows(cfg.database_url))
        main = push(url, 8, cfg.seconds, cfg.connections, cfg)
        after = stack.settled(lambda: stack.floor_rows(cfg.database_url))
    return main, after - before == main.ok + main.cut_off


def run(cfg: Config) -> int:
    stack.prepare_redis(cfg.redis_url)  # first: a missing Redis stops the run before the schema is dropped
    stack.prepare_database(cfg.database_url)
    try:
        full, check = bench_tiefen(cfg)
        base = bench_baseline(cfg)
        floor = bench_floor(cfg)
    finally:
        stack.flush_redis(cfg.redis_url)
    service = Pair(WORKERS, full.service, base.service) if full.service and base.service else None
    rep = report.build(cfg.settings(), Pair(cfg.connections, full.main, base.main), check, service, floor)
    print(report.render(rep))
    print(f"results: {report.write(rep, RESULTS / 'webhook.json')}")
    ok = report.valid(rep) and (report.targets_hold(rep) or not cfg.enforce_targets)
    return 0 if ok else 1


def main() -> int:
    return entry.main("bench", Config.from_env, run, (RuntimeError,), "; servers stopped")


if __name__ == "__main__":
    sys.exit(main())
