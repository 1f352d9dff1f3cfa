"""`python -m bench.referrals.posters`: invitation posters for 10,000 members through the simulator.

The production path of a member's poster, `services.referrals.invitations.poster_media` (code from
`qrcode/create`, its image from `showqrcode`, `render_poster`, the Redis cache, `media/upload`), run for every
member by W worker processes, each with its own session factory and wechatpy client; the access token is
fetched once and shared through Redis. The simulator runs in a process of its own under gunicorn.
Every run starts from nothing: a fresh simulator, no codes, no cached posters. After the last run,
a second pass over the same members finds everything cached. Stage times come from wrappers around
the WeChat client, the image fetch, the cache and `render_poster` (the services are not edited);
the database's share is what is left. See bench/README.md for the settings and the figures.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
import traceback
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

from PIL import Image
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url

from bench import entry, stack
from bench.entry import env_int
from bench.points import db
from bench.points.cpu import MachineTicks, process_seconds
from bench.report import write
from bench.servers import ROOT, simulator_process
from bench.together import Together
from bench.webhook import clean_env, git_commit
from models import Member, make_engine, make_session_factory, utcnow
from services.accounts import members
from services.accounts import registry as accounts
from services.points import programme
from services.referrals import invitations as invites
from services.referrals.posters import HEIGHT, WIDTH, render_poster
from simulator.qrcodes import render_qr_png
from tasks.runtime import connect_redis
from wechat.client import client_for, qrcode_image

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test_posters"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
REFUSED = {"test", "test_main", "test_bench", "tiefen_bench", "tiefen_bench_points", "tiefen_bench_referrals"}
APPID, SECRET, TOKEN = "wxbenchposters01", "posters-secret", "posterstoken"
REDIS_KEYS = ("tiefen:poster:*", f"tiefen:wechat:{APPID}_*")  # the only keys this bench deletes
HEADLINE = "扫码关注 成为会员"  # what services.referrals.invitations.poster puts on every poster
STAGES = ("qrcode/create", "showqrcode", "render", "media/upload", "redis", "db+rest")
RESULTS = ROOT / "bench" / "results" / "posters.json"
LOGS = RESULTS.parent
WORKER_TIMEOUT = 900.0


@dataclass(frozen=True)
class Config:
    database_url: str
    redis_url: str
    members: int  # the full run: every one of them gets a poster
    workers: int  # … made by this many processes
    compare: tuple[tuple[int, int], ...]  # (workers, members) runs over the first members, before it
    render_sample: int  # render_poster alone, in this process
    media_checked: int  # uploaded posters fetched back and opened, per run
    sim_threads: int

    @classmethod
    def from_env(cls, env: dict[str, str]) -> Config:
        compare = env.get("BENCH_POSTERS_COMPARE", "1:200,2:1000")
        cfg = cls(
            database_url=env.get("BENCH_POSTERS_DATABASE_URL") or DEFAULT_DATABASE_URL,
            redis_url=env.get("BENCH_POSTERS_REDIS_URL") or DEFAULT_REDIS_URL,
            members=env_int(env, "BENCH_POSTERS_MEMBERS", 10_000),
            workers=env_int(env, "BENCH_POSTERS_WORKERS", 4),
            compare=tuple(
                (int(w), int(n)) for w, n in (pair.split(":") for pair in compare.split(",") if pair.strip())
            ),
            render_sample=env_int(env, "BENCH_POSTERS_RENDER_SAMPLE", 1000),
            media_checked=env_int(env, "BENCH_POSTERS_MEDIA_CHECKED", 100),
            sim_threads=env_int(env, "BENCH_POSTERS_SIM_THREADS", 8),
        )
        if make_url(cfg.database_url).database in REFUSED:
            raise ValueError(f"refusing database {make_url(cfg.database_url).database!r}: not this bench's")
        runs = [(cfg.workers, cfg.members), *cfg.compare]
        if any(w < 1 or not 1 <= n <= cfg.members for w, n in runs) or cfg.render_sample < 1:
            raise ValueError(
                "worker counts must be ≥ 1 and compared runs no larger than BENCH_POSTERS_MEMBERS"
            )
        return cfg


# --- the simulator, in a process of its own ---------------------------------------------------


@contextmanager
def simulator(threads: int) -> Iterator[Sim]:
    """The simulated WeChat API under gunicorn: ONE worker (its state lives in memory), `threads` threads."""
    with simulator_process(threads, LOGS / "posters-simulator.log", clean_env()) as (url, pids):
        yield Sim(url, pids)


@dataclass(frozen=True)
class Sim:
    url: str
    pids: list[int]  # gunicorn's worker: whose CPU time is the simulator's


def sim_get(url: str, path: str) -> Any:
    with urllib.request.urlopen(url + path, timeout=30) as answer:
        body = answer.read()
        return json.loads(body) if answer.headers.get_content_type() == "application/json" else body


def sim_calls(url: str, path: str) -> int:
    return len(sim_get(url, f"/_sim/calls?path={path}")["calls"])


# --- the data ---------------------------------------------------------------------------------


def seed(cfg: Config) -> tuple[int, list[int], float]:
    """A fresh schema, the account (default programme) and its members; returns their ids, sorted."""
    started = time.perf_counter()
    stack.prepare_database(cfg.database_url)
    with db.sessions(cfg.database_url) as sessions, sessions.begin() as session:
        account, _ = accounts.save_account(session, APPID, "海报基准", TOKEN, secret=SECRET)
        ids: list[int] = []
        for first in range(0, cfg.members, 2000):
            openids = [f"oPoster{n:09d}" for n in range(first, min(first + 2000, cfg.members))]
            ids += members.ensure_members(session, account.id, openids).values()
    return account.id, sorted(ids), time.perf_counter() - started


def forget(cfg: Config) -> None:
    """No codes, no cached posters, no access token: the state before a member's first poster."""
    with db.connect(cfg.database_url) as conn:
        conn.execute("TRUNCATE qr_codes, referrals RESTART IDENTITY")
    forget_redis(cfg)


def forget_redis(cfg: Config) -> None:
    """Delete this bench's keys (the posters take about 22 KB each), and only those."""
    redis = connect_redis(cfg.redis_url)
    for pattern in REDIS_KEYS:
        for key in redis.scan_iter(pattern, count=1000):
            redis.delete(key)


def share_token(cfg: Config, api_base: str) -> None:
    """Fetch the access token once, into Redis, where every worker's client finds it."""
    if not client_for(APPID, SECRET, api_base, connect_redis(cfg.redis_url)).access_token:
        raise RuntimeError("the simulator gave no access token")


def snapshot(cfg: Config) -> list[tuple[Any, ...]]:
    with db.connect(cfg.database_url) as conn:
        sql = "SELECT id, ticket, scene, issue_count, media_id FROM qr_codes ORDER BY id"
        return conn.execute(sql).fetchall()


# --- the workers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    database_url: str
    redis_url: str
    api_base: str
    account_id: int
    member_ids: list[int]


class Stopwatch:
    """Wall time per stage of one poster; wrappers add to it."""

    def __init__(self) -> None:
        self.spent = dict.fromkeys(STAGES[:-1], 0.0)

    def wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[stage] += time.perf_counter() - started

        return timed


def work(job: Job, ready: Any, start: Any, results: Any) -> None:
    """One worker: build what a job process builds, wait for the start, make every poster it was given."""
    started_up = False
    try:
        sessions = make_session_factory(make_engine(job.database_url))
        redis = connect_redis(job.redis_url)
        client = client_for(APPID, SECRET, job.api_base, redis)
        watch = Stopwatch()
        wechat = SimpleNamespace(
            qrcode=SimpleNamespace(create=watch.wrap("qrcode/create", client.qrcode.create)),
            media=SimpleNamespace(upload=watch.wrap("media/upload", client.media.upload)),
        )
        cache = SimpleNamespace(get=watch.wrap("redis", redis.get), set=watch.wrap("redis", redis.set))
        qr_image = watch.wrap("showqrcode", partial(qrcode_image, job.api_base))
        with sessions() as session:
            prog = programme.load(session, job.account_id)
        render_poster(render_qr_png("http://weixin.qq.com/q/warm"), "", "warm", "up")  # fonts loaded
        rows = []
        with patch.object(invites, "render_poster", watch.wrap("render", render_poster)):
            ready.put(os.getpid())
            started_up = True
            start.wait()
            cpu = os.times()
            for member_id in job.member_ids:
                watch.spent = dict.fromkeys(watch.spent, 0.0)
                started = time.perf_counter()
                with sessions() as session:  # a transaction per poster, as tasks.referrals.send_poster
                    member = session.get(Member, member_id)
                    invites.poster_media(session, wechat, cache, qr_image, prog, member, "", utcnow())
                    session.commit()
                rows.append((time.perf_counter() - started, *watch.spent.values()))
            cpu_seconds = sum(os.times()[:2]) - sum(cpu[:2])
        results.put((rows, cpu_seconds))
    except BaseException:
        (results if started_up else ready).put(traceback.format_exc())
        raise


def run_posters(cfg: Config, sim: Sim, account_id: int, ids: list[int], workers: int) -> dict[str, Any]:
    """Every member in `ids` gets a poster, W processes sharing them in turn; timed from one start."""
    jobs = [
        Job(cfg.database_url, cfg.redis_url, sim.url, account_id, ids[k::workers]) for k in range(workers)
    ]
    with Together(work, jobs, "a worker") as gang:
        gang.ready()
        machine, sim_cpu = MachineTicks.now(), process_seconds(sim.pids)
        gang.go()
        started = time.perf_counter()
        got = gang.results(timeout=WORKER_TIMEOUT)
        rows = [row for part in got for row in part[0]]
        workers_cpu = sum(part[1] for part in got)
        seconds = time.perf_counter() - started
        sim_cpu = process_seconds(sim.pids) - sim_cpu
        busy = MachineTicks.now().busy_pct_since(machine)
        cpu = {
            "workers_s": round(workers_cpu, 1),
            "simulator_s": round(sim_cpu, 1),
            "other_s": round(busy / 100 * (os.cpu_count() or 1) * seconds - workers_cpu - sim_cpu, 1),
            "machine_busy_pct": busy,
            "workers_ms_per_poster": round(1000 * workers_cpu / len(rows), 2),  # steady on a busy machine
            "simulator_ms_per_poster": round(1000 * sim_cpu / len(rows), 2),
        }
    return {**figures(rows, seconds, workers), "cpu": cpu}


def figures(rows: list[tuple[float, ...]], seconds: float, workers: int) -> dict[str, Any]:
    totals = sorted(r[0] for r in rows)
    n = len(rows)
    stage_sums = [sum(r[i + 1] for r in rows) for i in range(len(STAGES) - 1)]
    stage_sums.append(sum(totals) - sum(stage_sums))
    return {
        "workers": workers,
        "posters": n,
        "seconds": round(seconds, 2),
        "posters_per_s": round(n / seconds, 1),
        **{f"p{q}_ms": round(1000 * totals[min(n - 1, q * n // 100)], 1) for q in (50, 95, 99)},
        "mean_ms": round(1000 * sum(totals) / n, 2),
        "stages_ms": {s: round(1000 * v / n, 2) for s, v in zip(STAGES, stage_sums, strict=True)},
    }


def render_only(cfg: Config, account_id: int) -> dict[str, Any]:
    """`render_poster` alone, in this process, with the path's text, over the first codes' images."""
    with db.sessions(cfg.database_url) as sessions, sessions() as session:
        reward = invites.reward_line(programme.load(session, account_id))
    with db.connect(cfg.database_url) as conn:
        urls = [
            r[0] for r in conn.execute("SELECT url FROM qr_codes ORDER BY id LIMIT %s", [cfg.render_sample])
        ]
    images = [render_qr_png(url) for url in urls]  # what showqrcode answers for them
    render_poster(images[0], "", "warm", "up")
    started = time.perf_counter()
    for image in images:
        render_poster(image, "", HEADLINE, reward)
    seconds = time.perf_counter() - started
    return {
        "posters": len(images),
        "seconds": round(seconds, 2),
        "posters_per_s": round(len(images) / seconds, 1),
        "mean_ms": round(1000 * seconds / len(images), 2),
    }


# --- the checks -------------------------------------------------------------------------------


def check_run(cfg: Config, api_base: str, expected: int) -> dict[str, Any]:
    """What a run left: a code, a ticket, a scene and an uploaded PNG per member, one access token."""
    rows = snapshot(cfg)
    tickets, scenes, media = ({r[i] for r in rows if r[i]} for i in (1, 2, 4))
    sim_media = sim_get(api_base, f"/_sim/media?appid={APPID}")["media"]
    sim_tickets = {c["ticket"] for c in sim_get(api_base, f"/_sim/qrcodes?appid={APPID}")["qrcodes"]}
    step = max(1, len(sim_media) // max(1, cfg.media_checked))
    opened = [
        Image.open(io.BytesIO(sim_get(api_base, f"/_sim/media/{m['media_id']}"))) for m in sim_media[::step]
    ]
    found = {
        "codes": len(rows),
        "distinct_tickets": len(tickets),
        "distinct_scenes": len(scenes),
        "issued_once": sum(1 for r in rows if r[3] == 1),
        "media_in_db": len(media),
        "media_in_simulator": len(sim_media),
        "db_media_are_simulator_media": media == {m["media_id"] for m in sim_media},
        "db_tickets_are_simulator_tickets": tickets == sim_tickets,
        "media_opened": len(opened),
        "media_750x1334_png": sum(1 for i in opened if i.format == "PNG" and i.size == (WIDTH, HEIGHT)),
        "token_fetches": sim_calls(api_base, "/cgi-bin/token"),
    }
    counts = (
        "codes",
        "distinct_tickets",
        "distinct_scenes",
        "issued_once",
        "media_in_db",
        "media_in_simulator",
    )
    found["holds"] = (
        all(found[k] == expected for k in counts)
        and found["db_media_are_simulator_media"]
        and found["db_tickets_are_simulator_tickets"]
        and found["media_750x1334_png"] == found["media_opened"] > 0
        and found["token_fetches"] == 1
    )
    return found


# --- the run ----------------------------------------------------------------------------------

NEVER_CALLED_AGAIN = ("/cgi-bin/qrcode/create", "/cgi-bin/showqrcode", "/cgi-bin/media/upload")


def cached_pass(cfg: Config, sim: Sim, account_id: int, ids: list[int], workers: int) -> dict[str, Any]:
    """The same members again: code fresh, poster in Redis, media id fresh; nothing new anywhere."""
    rows, calls = snapshot(cfg), {path: sim_calls(sim.url, path) for path in NEVER_CALLED_AGAIN}
    result = run_posters(cfg, sim, account_id, ids, workers)
    new_calls = {path: sim_calls(sim.url, path) - calls[path] for path in NEVER_CALLED_AGAIN}
    unchanged = snapshot(cfg) == rows
    result["checks"] = {"new_calls": new_calls, "rows_unchanged": unchanged}
    result["checks"]["holds"] = unchanged and not any(new_calls.values())
    return result


def run(cfg: Config) -> int:
    rep: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "settings": {k: v for k, v in asdict(cfg).items() if not k.endswith("_url")},
        "runs": [],
    }
    account_id, ids, seconds = seed(cfg)
    rep["seed_seconds"] = round(seconds, 1)
    print(f"seeded {len(ids)} members in {seconds:.1f} s; per-poster stages: {', '.join(STAGES)}", flush=True)
    runs = [(w, ids[:n], f"first {n}, fresh") for w, n in cfg.compare]
    runs.append((cfg.workers, ids, f"all {len(ids)}, fresh"))
    for i, (workers, subset, label) in enumerate(runs):
        forget(cfg)
        with simulator(cfg.sim_threads) as sim:
            share_token(cfg, sim.url)
            result = {"label": label, **run_posters(cfg, sim, account_id, subset, workers)}
            result["checks"] = check_run(cfg, sim.url, len(subset))
            print(report_line(result), flush=True)
            rep["runs"].append(result)
            if i == len(runs) - 1:
                rep["cached"] = {
                    "label": "again, all cached",
                    **cached_pass(cfg, sim, account_id, subset, workers),
                }
                print(report_line(rep["cached"]), flush=True)
    bare = rep["render_only"] = render_only(cfg, account_id)
    print(
        f"{'render_poster alone':<20} W=1 {bare['posters']:>6} posters {bare['seconds']:>6.1f} s "
        f"{bare['posters_per_s']:>6.1f}/s  mean {bare['mean_ms']:.1f} ms",
        flush=True,
    )
    for result in rep["runs"]:
        result["vs_render_only"] = {
            "throughput_pct": round(100 * result["posters_per_s"] / bare["posters_per_s"], 1),
            "mean_time_x": round(result["mean_ms"] / bare["mean_ms"], 2),
        }
        print(
            f"  {result['label']}, W={result['workers']}: {result['vs_render_only']['throughput_pct']} % "
            f"of render-only's posters/s; a poster takes {result['vs_render_only']['mean_time_x']}× "
            "a bare render",
            flush=True,
        )
    write(rep, RESULTS)
    print(f"results: {RESULTS}")
    return 0 if all(r["checks"]["holds"] for r in (*rep["runs"], rep["cached"])) else 1


def report_line(r: dict[str, Any]) -> str:
    stages = "  ".join(f"{s} {v:.1f}" for s, v in r["stages_ms"].items())
    cpu, ok = r["cpu"], "checks hold" if r["checks"]["holds"] else f"CHECKS FAIL: {r['checks']}"
    return (
        f"{r['label']:<20} W={r['workers']} {r['posters']:>6} posters {r['seconds']:>6.1f} s "
        f"{r['posters_per_s']:>6.1f}/s  p50/p95/p99 {r['p50_ms']:.1f}/{r['p95_ms']:.1f}/{r['p99_ms']:.1f} ms"
        f"\n{'':<20} per poster, ms: {stages}; {ok}"
        f"\n{'':<20} CPU s: workers {cpu['workers_s']} ({cpu['workers_ms_per_poster']} ms a poster), "
        f"simulator {cpu['simulator_s']} ({cpu['simulator_ms_per_poster']} ms a poster), the rest "
        f"(PostgreSQL, Redis, anything else) {cpu['other_s']}; machine {cpu['machine_busy_pct']} % busy"
    )


def _forget(cfg: Config) -> None:
    with suppress(RedisError):
        forget_redis(cfg)


def main() -> int:
    return entry.main(
        "bench.referrals.posters",
        Config.from_env,
        run,
        (RuntimeError,),  # a worker or the simulator failed; both are stopped
        "; workers and the simulator stopped",
        _forget,
    )


if __name__ == "__main__":
    sys.exit(main())
