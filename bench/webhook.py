"""Benchmark the webhook's full path against a bare baseline: `python -m bench.webhook`.

(a) Tiefen (`app:create_app()`): verify, parse, store in PostgreSQL, enqueue to Redis, reply.
(b) `bench/baseline.py`: verify, parse, reply; nothing stored or enqueued.
(c) the floor, (b) plus one durable INSERT of the body: what any webhook that stores each callback
before replying costs at least, whatever else it does or leaves out.
Each runs under `gunicorn -w 2 -k sync` and takes the same closed-loop load (bench/pyload.py, each
request signed with its own nonce), in rounds: (a), (b), (c), then again. Prints each round and the
medians, writes bench/results/webhook.json, and checks that the database holds one inbound
event per request Tiefen answered (and one row per request the floor answered).

Environment: BENCH_SECONDS (10, per server and round), BENCH_ROUNDS (3), BENCH_WARMUP_SECONDS (2),
BENCH_CONNECTIONS (32),
BENCH_SERVICE_SECONDS (5; 0 skips the run at one connection per worker),
BENCH_GENERATOR (auto|python), BENCH_DATABASE_URL, BENCH_REDIS_URL,
BENCH_ENFORCE_TARGETS (1: exit 1 when a target is missed).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from bench import entry, report, stack
from bench.bodies import APPID, TOKEN, BodyFactory, templates, wechat_server
from bench.load import LoadResult, LoadSpec, pick_generator, run_load
from bench.points.cpu import MachineTicks
from bench.report import Pair, Round, Totals
from bench.servers import ROOT, WORKERS, ServerSpec, gunicorn
from config import Settings, parse_bool

RESULTS = Path(__file__).resolve().parent / "results"
MAX_SECONDS = 240.0  # one signed timestamp serves a whole run: stay inside the 300 s replay window
MAX_ROUNDS = 9  # 3 runs a round, each with a `run` number of its own for its openids (bodies.MAX_RUN)


@dataclass(frozen=True)
class Config:
    database_url: str
    redis_url: str
    seconds: float
    rounds: int
    warmup_seconds: float
    service_seconds: float
    connections: int
    generator: str
    enforce_targets: bool

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Config:
        seconds = float(env.get("BENCH_SECONDS") or 10)
        if not 0 < seconds <= MAX_SECONDS:
            raise ValueError(f"BENCH_SECONDS must be in (0, {MAX_SECONDS:.0f}]")
        rounds = int(env.get("BENCH_ROUNDS") or 3)
        if not 1 <= rounds <= MAX_ROUNDS:
            raise ValueError(f"BENCH_ROUNDS must be 1-{MAX_ROUNDS}")
        return cls(
            database_url=env.get("BENCH_DATABASE_URL") or stack.DEFAULT_DATABASE_URL,
            redis_url=env.get("BENCH_REDIS_URL") or stack.DEFAULT_REDIS_URL,
            seconds=seconds,
            rounds=rounds,
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
            "rounds_run": self.rounds,
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


def clean_env() -> dict[str, str]:
    """This process's environment without anything Tiefen's Settings would read."""
    names = {f.name.upper() for f in fields(Settings)}
    return {k: v for k, v in os.environ.items() if k not in names}


BENCH_SECRET_KEY = "bench-secret-key-" + "0" * 32  # the benches' processes must share one


def tiefen_settings(database_url: str, redis_url: str) -> dict[str, str]:
    """What Tiefen's app is given in the benches: the stores and the one account, from the environment."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "WECHAT_APPID": APPID,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_SECRET": "x",
        "SECRET_KEY": BENCH_SECRET_KEY,
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
    spec = LoadSpec(url + "/wechat", BodyFactory(templates(server), run), connections, seconds)
    return run_load(cfg.generator, spec)


def service_pair(urls: Urls, runs: Iterator[int], cfg: Config) -> Pair | None:
    """One connection per worker: latency without queueing in gunicorn's backlog."""
    if cfg.service_seconds <= 0:
        return None
    full = push(urls.full, next(runs), cfg.service_seconds, WORKERS, cfg)
    return Pair(WORKERS, full, push(urls.baseline, next(runs), cfg.service_seconds, WORKERS, cfg))


@dataclass(frozen=True)
class Urls:
    full: str
    baseline: str
    floor: str


def measured(url: str, run: int, cfg: Config) -> tuple[LoadResult, float]:
    """One measured run and the share of the machine's CPU time the hypervisor stole during it."""
    before = MachineTicks.now()
    result = push(url, run, cfg.seconds, cfg.connections, cfg)
    return result, MachineTicks.now().stolen_pct_since(before)


def counted(url: str, run: int, cfg: Config, count: Callable[[], int]) -> tuple[LoadResult, float, int]:
    """`measured`, and how many rows the run left (`count` read once the writes have settled)."""
    before = stack.settled(count)
    result, steal = measured(url, run, cfg)
    return result, steal, stack.settled(count) - before


def measure_round(urls: Urls, runs: Iterator[int], cfg: Config) -> Round:
    full, full_steal, stored = counted(
        urls.full, next(runs), cfg, lambda: stack.stored_events(cfg.database_url)
    )
    baseline, baseline_steal = measured(urls.baseline, next(runs), cfg)
    floor, floor_steal, floor_stored = counted(
        urls.floor, next(runs), cfg, lambda: stack.floor_rows(cfg.database_url)
    )
    return Round(full, baseline, floor, stored, floor_stored, (full_steal, baseline_steal, floor_steal))


def measure(cfg: Config, dsn: str) -> tuple[list[Round], Pair | None, int]:
    """All three servers up at once (an idle one costs nothing), their runs interleaved round by
    round, so that the machine's drift of ±10-25 % over minutes falls on all three alike."""
    runs = itertools.count(1)
    with (
        gunicorn(tiefen_spec(cfg), RESULTS) as full,
        gunicorn(baseline_spec(), RESULTS) as baseline,
        gunicorn(floor_spec(dsn), RESULTS) as floor,
    ):
        urls = Urls(full, baseline, floor)
        for url in (full, baseline, floor):
            push(url, next(runs), cfg.warmup_seconds, cfg.connections, cfg)
        rounds = [measure_round(urls, runs, cfg) for _ in range(cfg.rounds)]
        queued = stack.settled(lambda: stack.queued_jobs(cfg.redis_url))
        return rounds, service_pair(urls, runs, cfg), queued


def run(cfg: Config) -> int:
    stack.prepare_redis(cfg.redis_url)  # first: a missing Redis stops the run before the schema is dropped
    stack.prepare_database(cfg.database_url)
    try:
        rounds, service, queued = measure(cfg, stack.prepare_floor(cfg.database_url))
    finally:
        stack.flush_redis(cfg.redis_url)
    totals = Totals(stack.stored_events(cfg.database_url), queued)
    rep = report.build(cfg.settings(), cfg.connections, rounds, service, totals)
    print(report.render(rep))
    print(f"results: {report.write(rep, RESULTS / 'webhook.json')}")
    ok = report.valid(rep) and (report.targets_hold(rep) or not cfg.enforce_targets)
    return 0 if ok else 1


def main() -> int:
    return entry.main("bench", Config.from_env, run, (RuntimeError,), "; servers stopped")


if __name__ == "__main__":
    sys.exit(main())
