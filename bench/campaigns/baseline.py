"""The baseline: the same WeChat client sending the same calls to the same simulator, with nothing
of the engine around it — no database, no rate limiter, no signing, no batches.

W processes (as many as the workers), started with `spawn`, each with its own client (`client_for`,
the access token read from Redis on every call as in the workers), wait for one start signal, then
send their share: one customer-service news card per member, or mass sends of up to 10,000
openids. The simulator keeps what they send apart from the campaigns' by its title and clientmsgid.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

from bench.campaigns.seed import APPID, SECRET
from bench.campaigns.sim import Sim
from bench.points.cpu import MachineTicks
from bench.together import Together
from tasks.campaigns import MASS_BATCH
from tasks.runtime import connect_redis
from wechat.client import client_for

TITLE = "基准 baseline"
LINK = "http://127.0.0.1:5000/h5/wxbenchcampaigns1/campaign/1/A?t=" + "x" * 70  # as long as a landing link


@dataclass(frozen=True)
class Share:
    redis_url: str
    api_base: str
    kind: str  # "kf" or "mass"
    openids: list[str]
    tag: int
    concurrency: int


def send(share: Share, ready: Any, start: Any, results: Any) -> None:
    try:
        client = client_for(APPID, SECRET, share.api_base, connect_redis(share.redis_url))
        inside, lock = [0.0], threading.Lock()
        send_http = requests.Session.send

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return send_http(*args, **kwargs)
            finally:
                with lock:
                    inside[0] += time.perf_counter() - started

        requests.Session.send = timed  # type: ignore[method-assign]
        article = {"title": TITLE, "description": "…", "url": LINK, "image": ""}
        ready.put(os.getpid())
        start.wait()
        cpu, started = os.times(), time.perf_counter()
        if share.kind == "kf":  # as many calls in flight as a sender keeps
            with ThreadPoolExecutor(share.concurrency) as pool:
                list(pool.map(lambda openid: client.message.send_articles(openid, [article]), share.openids))
        else:
            for k in range(0, len(share.openids), MASS_BATCH):
                chunk = share.openids[k : k + MASS_BATCH]
                client.message.send_mass_text(chunk, TITLE, client_msg_id=f"baseline-{share.tag}-{k}")
        wall, used = time.perf_counter() - started, os.times()
        results.put((len(share.openids), wall, used.user + used.system - cpu.user - cpu.system, inside[0]))
    except BaseException:
        results.put(traceback.format_exc())
        raise


def run(
    redis_url: str, sim: Sim, kind: str, openids: list[str], processes: int, concurrency: int = 1
) -> dict[str, Any]:
    shares = [
        Share(redis_url, sim.url, kind, openids[k::processes], k, concurrency) for k in range(processes)
    ]
    with Together(send, shares, "a baseline sender") as gang:
        gang.ready()
        sim_cpu, machine = sim.cpu(), MachineTicks.now()
        started = time.perf_counter()
        gang.go()
        rows = gang.results(timeout=900)
        seconds = time.perf_counter() - started
        sim_cpu = sim.cpu() - sim_cpu
    n = sum(r[0] for r in rows)
    return {
        "kind": kind,
        "processes": processes,
        "concurrency": concurrency,
        "messages": n,
        "calls": n if kind == "kf" else sum(-(-r[0] // MASS_BATCH) for r in rows),
        "seconds": round(seconds, 2),
        "per_s": round(n / seconds, 1),
        "client_cpu_ms_per_message": round(1000 * sum(r[2] for r in rows) / n, 3),
        "http_send_ms_per_message": round(1000 * sum(r[3] for r in rows) / n, 3),
        "wall_ms_per_message": round(1000 * sum(r[1] for r in rows) / n, 3),
        "simulator_cpu_ms_per_message": round(1000 * sim_cpu / n, 3),
        "machine_busy_pct": MachineTicks.now().busy_pct_since(machine),
    }
