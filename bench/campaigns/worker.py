"""An RQ worker (SimpleWorker, as `make worker` runs) that times what `send_campaign` does inside it.

`python -m bench.campaigns.worker NAME` listens on the `campaigns` queue. Before it starts, this
module wraps — in its own process only, nothing in tasks/ or services/ is edited — the functions
the sender calls: the delivery service's steps, the rate limiter's Redis call, every
`time.sleep` (the limiter's waits and the sender's own pacing), the signing of landing links,
wechatpy's `_request` (the whole API call: the access token read from Redis, JSON in and out,
requests) and requests' `Session.send` (the HTTP exchange itself; with BENCH_CAMPAIGNS_SENDS=1
it also notes when each message went out), and the send phase of each batch (its calls in
flight together on the sender's threads) and each message's send in it.

Each wrapper adds its wall time (and, for the HTTP layers and the per-message send, the CPU
time of its thread) to a meter, under a lock; what runs on the sender's pool of threads goes
under `<stage>_pool`, and sleeps are kept apart too (the main thread's, and the pacing inside
the send phase). After each job the meter goes to Redis under `bench:campaigns:stats:<job id>`
with the job's wall and CPU time. A wrapper costs about a microsecond, a few per message.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import requests
from rq import Queue
from rq.executions import Execution
from rq.job import Job
from rq.worker import SimpleWorker

import tasks.campaigns as sending
from services.accounts import member_tokens
from services.campaigns import delivery
from tasks.ratelimit import TokenBucket
from tasks.runtime import connect_redis
from wechat.client import TiefenClient

STATS_KEY = "bench:campaigns:stats:"
SENDS_ENV = "BENCH_CAMPAIGNS_SENDS"  # "1": keep the moment and size of every send (the limited run)


class Meter:
    def __init__(self) -> None:
        self.lock = threading.Lock()  # the sender's calls run on a pool of threads
        self.reset()

    def reset(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()
        self.kf_messages = self.mass_messages = 0
        self.slept = 0.0
        self.slept_in_phase = 0.0
        self.sends: list[tuple[float, int]] = []  # (epoch s, messages) of each API call; limited runs
        self.first_ask: float | None = None  # epoch s the rate limiter was first asked
        self.first_claim: float | None = None

    def wrap(self, stage: str, fn: Callable[..., Any], cpu: bool = False) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started, cpu_started = time.perf_counter(), time.thread_time() if cpu else 0.0
            try:
                return fn(*args, **kwargs)
            finally:
                wall, used = time.perf_counter() - started, time.thread_time() - cpu_started if cpu else 0.0
                name = stage if threading.current_thread() is threading.main_thread() else f"{stage}_pool"
                with self.lock:
                    self.wall[name] += wall
                    self.calls[name] += 1
                    self.cpu[name] += used

        return timed

    def install(self) -> None:
        for name in ("close", "spend_windows", "record_mass", "materialize", "rescue_stale", "counts"):
            setattr(delivery, name, self.wrap(name, getattr(delivery, name)))
        delivery.claim = self.wrap("claim", self._first(delivery.claim))
        sending._still_sending = self.wrap("still_sending", sending._still_sending)
        sending._finish = self.wrap("finish", sending._finish)
        member_tokens.sign_member = self.wrap("sign", member_tokens.sign_member)
        sender = sending.Sender
        sender.kf_batch = self.wrap("kf_batch", sender.kf_batch)  # type: ignore[method-assign]
        sender.mass_batch = self.wrap("mass_batch", sender.mass_batch)  # type: ignore[method-assign]
        sender._send_all = self.wrap("send_phase", sender._send_all)  # type: ignore[method-assign]
        sender._send_kf = self.wrap("send_kf", self._kf(sender._send_kf), cpu=True)  # type: ignore[method-assign]
        sender._send_mass = self.wrap("send_mass", self._mass(sender._send_mass))  # type: ignore[method-assign]
        TokenBucket.reserve = self.wrap("bucket", self._reserve(TokenBucket.reserve))  # type: ignore[method-assign]
        time.sleep = self._sleep(time.sleep)  # the limiter's waits and the sender's pacing, whoever sleeps
        TiefenClient._request = self.wrap("client", TiefenClient._request, cpu=True)  # type: ignore[method-assign]
        requests.Session.send = self.wrap("http", self._send(requests.Session.send), cpu=True)  # type: ignore[method-assign]

    def _first(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def claim(*args: Any, **kwargs: Any) -> Any:
            if self.first_claim is None:
                self.first_claim = time.perf_counter()
            return fn(*args, **kwargs)

        return claim

    def _kf(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def send_kf(*args: Any, **kwargs: Any) -> Any:
            outcome = fn(*args, **kwargs)
            with self.lock:
                self.kf_messages += 1
                self.outcomes[f"kf {outcome[0]} {outcome[1] or ''}".strip()] += 1
            return outcome

        return send_kf

    def _mass(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        def send_mass(sender: Any, batch: Any) -> Any:
            self.mass_messages += len(batch.claimed)
            return fn(sender, batch)

        return send_mass

    def _reserve(self, fn: Callable[..., float]) -> Callable[..., float]:
        def reserve(bucket: TokenBucket, tokens: int = 1) -> float:
            if self.first_ask is None:
                self.first_ask = time.time()
            return fn(bucket, tokens)

        return reserve

    def _sleep(self, fn: Callable[[float], None]) -> Callable[[float], None]:
        def sleep(seconds: float) -> None:
            started = time.perf_counter()
            try:
                fn(seconds)
            finally:
                took = time.perf_counter() - started
                with self.lock:
                    if threading.current_thread() is threading.main_thread():
                        self.slept += took
                    else:  # the pacing of calls in flight together: inside the send phase
                        self.slept_in_phase += took

        return sleep

    def _send(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        keep = os.environ.get(SENDS_ENV) == "1"  # a list that grows with every message: not by default

        def send(session: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
            if keep and "/message/" in (request.url or ""):
                body = json.loads(request.body or b"{}") if "/mass/send" in (request.url or "") else {}
                self.sends.append((time.time(), len(body.get("touser", [])) or 1))
            return fn(session, request, **kwargs)

        return send


METER = Meter()


class BenchWorker(SimpleWorker):
    def perform_job(self, job: Job, queue: Queue, execution: Execution) -> bool:
        METER.reset()
        started, cpu, at = time.perf_counter(), os.times(), time.time()
        ok = super().perform_job(job, queue, execution)
        wall, used = time.perf_counter() - started, os.times()
        stats = {
            "pid": os.getpid(),
            "job": job.id,
            "ok": ok,
            "started_at": at,
            "ended_at": at + wall,
            "wall_s": wall,
            "cpu_s": used.user + used.system - cpu.user - cpu.system,
            "before_first_claim_s": (METER.first_claim or started) - started,
            "stage_wall_s": dict(METER.wall),
            "stage_cpu_s": dict(METER.cpu),
            "calls": dict(METER.calls),
            "outcomes": dict(METER.outcomes),
            "kf_messages": METER.kf_messages,
            "mass_messages": METER.mass_messages,
            "slept_s": METER.slept,
            "slept_in_phase_s": METER.slept_in_phase,
            "first_ask": METER.first_ask,
            "sends": METER.sends,
        }
        self.connection.set(STATS_KEY + job.id, json.dumps(stats), ex=86400)
        return ok


def main() -> None:
    METER.install()
    redis = connect_redis(os.environ["REDIS_URL"])
    worker = BenchWorker(["campaigns"], connection=redis, name=sys.argv[1])
    worker.work(logging_level="WARNING", with_scheduler=False)


if __name__ == "__main__":
    main()
