"""`python -m bench.webhook_app`: the webhook's own cost per callback, with no HTTP server.

`bench.webhook` measures the whole machine: gunicorn, sockets, PostgreSQL and the load generator share its two
cores, and its figures drift by ±10 % from run to run. This drives the Flask apps' WSGI callables
directly, in this process, with the same signed bodies (half subscribes, half texts, each one
distinct): (a) Tiefen, `app:create_app()` on the bench's PostgreSQL and Redis, (b) the bare
baseline, `bench.baseline:create_app()`, and (c) the floor, `bench.baseline:create_durable_app()`
(the baseline plus one durable INSERT). It prints the CPU and the wall time per callback of each
and what (a) adds to (b) and to (c): the part of the full path's cost that gunicorn, the sockets
and the load generator do not explain. BENCH_APP_PROFILE=1 adds cProfile's costliest functions
for (a).

Like `bench.webhook` it owns the database `tiefen_bench` (its public schema is dropped and migrated
again) and Redis database 14 (flushed). Settings: BENCH_APP_REQUESTS (5000 measured, after 300 to
warm up), BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_APP_PROFILE.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.test import EnvironBuilder

from bench import baseline, stack
from bench.bodies import TOKEN, BodyFactory, templates, wechat_server
from bench.entry import env_int, main
from bench.webhook import tiefen_settings
from config import parse_bool

WARMUP = 300
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Config:
    database_url: str
    redis_url: str
    requests: int
    profile: bool

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Config:
        cfg = cls(
            database_url=env.get("BENCH_DATABASE_URL") or stack.DEFAULT_DATABASE_URL,
            redis_url=env.get("BENCH_REDIS_URL") or stack.DEFAULT_REDIS_URL,
            requests=env_int(env, "BENCH_APP_REQUESTS", 5000),
            profile=parse_bool(env.get("BENCH_APP_PROFILE")),
        )
        if not 100 <= cfg.requests <= 200_000:
            raise ValueError("BENCH_APP_REQUESTS must be 100-200000")
        return cfg


@dataclass(frozen=True)
class Figures:
    cpu_ms: float  # per callback, this process (the app; PostgreSQL's backend is not counted)
    wall_ms: float  # per callback, waits on PostgreSQL and Redis included


def environs(requests: list[tuple[str, bytes]]) -> list[dict[str, Any]]:
    """One WSGI environ a (signed query, body) (werkzeug's builder), made before the clock starts."""
    return [
        EnvironBuilder(
            path="/wechat", method="POST", query_string=query, data=body, content_type="text/xml"
        ).get_environ()
        for query, body in requests
    ]


def drive(app: WsgiApp, sent: list[tuple[str, bytes]], profile: cProfile.Profile | None = None) -> Figures:
    """Send every body through `app`; each answer must be 200."""

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        if not status.startswith("200"):
            raise RuntimeError(f"the app answered {status}")

    requests = environs(sent)
    cpu, wall = time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    for environ in requests:
        b"".join(app(environ, start_response))
    if profile:
        profile.disable()
    n = len(requests)
    return Figures(1000 * (time.process_time() - cpu) / n, 1000 * (time.perf_counter() - wall) / n)


def run(cfg: Config) -> int:
    stack.prepare_database(cfg.database_url)
    stack.prepare_redis(cfg.redis_url)
    from app import create_app

    tiefen = create_app(tiefen_settings(cfg.database_url, cfg.redis_url))
    bare = baseline.create_app(TOKEN)
    os.environ["BENCH_FLOOR_DSN"] = stack.prepare_floor(cfg.database_url)
    floor = baseline.create_durable_app(TOKEN)
    server = wechat_server("http://127.0.0.1")
    factory = BodyFactory(templates(server), run=int(time.time()) % 90 + 1)
    sent = [(factory.query(0, n), factory.body(0, n)) for n in range(WARMUP + cfg.requests)]
    profile = cProfile.Profile() if cfg.profile else None
    results: dict[str, Figures] = {}
    apps = (("(a) Tiefen full path", tiefen), ("(b) bare baseline", bare), ("(c) floor: (b) + INSERT", floor))
    for name, flask_app in apps:
        app = flask_app.wsgi_app
        drive(app, sent[:WARMUP])
        results[name] = drive(app, sent[WARMUP:], profile if name.startswith("(a)") else None)
    stack.flush_redis(cfg.redis_url)
    report(cfg, results, profile)
    return 0


def report(cfg: Config, results: dict[str, Figures], profile: cProfile.Profile | None) -> None:
    print(f"\nwebhook apps in-process: {cfg.requests} callbacks each, no HTTP server")
    print(f"{'':28}{'CPU ms':>9}{'wall ms':>9}")
    for name, f in results.items():
        print(f"{name:28}{f.cpu_ms:9.3f}{f.wall_ms:9.3f}")
    a, b, c = results.values()
    print(f"{'what (a) adds to (b)':28}{a.cpu_ms - b.cpu_ms:9.3f}{a.wall_ms - b.wall_ms:9.3f}")
    print(f"{'what (a) adds to (c)':28}{a.cpu_ms - c.cpu_ms:9.3f}{a.wall_ms - c.wall_ms:9.3f}")
    if profile is not None:
        print("\n(a) under cProfile (times inflated by the profiler; compare the shares):")
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())


if __name__ == "__main__":
    sys.exit(main("bench.webhook_app", Config.from_env, run))
