"""The soak's samples: callbacks accepted a second, reply p99, accepted-to-ledger lag, the outbox's
backlog and every process's RSS, taken every few seconds from a thread, printed as table rows."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models import EventStatus, InboundEvent, utcnow
from tests.faults.driver import Driver
from tests.faults.stack import Stack


@dataclass
class Sample:
    t: float
    accepted: float  # callbacks answered 200 (the first time) a second
    answered: float  # deliveries answered 200 a second (WeChat's copies too)
    p99_ms: float
    lag_p50: float  # seconds, accepted → ledger
    lag_p99: float
    backlog: int  # callbacks waiting in the outbox
    oldest: float  # seconds the oldest waited
    rss: dict[str, float] = field(default_factory=dict)  # MB by role


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else 0.0


def outbox(engine: Engine) -> tuple[int, float]:
    """(callbacks waiting, seconds the oldest waited)."""
    with Session(engine) as session:
        n, oldest = session.execute(
            select(func.count(), func.min(InboundEvent.received_at)).where(
                InboundEvent.status != EventStatus.DONE
            )
        ).one()
    return int(n), 0.0 if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())


def lags(engine: Engine, since_seconds: float) -> list[float]:
    since = utcnow() - timedelta(seconds=since_seconds)
    with Session(engine) as session:
        rows = session.execute(
            select(InboundEvent.received_at, InboundEvent.processed_at).where(
                InboundEvent.processed_at > since
            )
        ).all()
    return [(p - r).total_seconds() for r, p in rows if p is not None]


class Sampler:
    def __init__(self, stack: Stack, engine: Engine, driver: Driver, every: float) -> None:
        self.stack, self.engine, self.driver, self.every = stack, engine, driver, every
        self.samples: list[Sample] = []
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def __enter__(self) -> Sampler:
        self.started = time.monotonic()
        self._thread.start()
        threading.Thread(target=self._late, name="late-copies", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        due = time.monotonic()
        while True:
            due += self.every
            if self._stop.wait(max(0.0, due - time.monotonic())):
                return
            try:
                self.samples.append(self.take())
                print(row(self.samples[-1]), flush=True)
            except Exception as exc:  # a backend the chaos just terminated: the next sample
                print(f"  (sample skipped: {type(exc).__name__})", flush=True)

    def _late(self) -> None:
        """WeChat's late copies, delivered as they fall due."""
        while not self._stop.wait(self.every):
            self.driver.flush_late()

    def take(self) -> Sample:
        now = time.monotonic()
        window = [s for t, s in list(self.driver.latencies) if t > now - self.every]
        first = sum(1 for s in list(self.driver.sent) if s.answered_at and s.answered_at > now - self.every)
        lagged = lags(self.engine, self.every)
        backlog, oldest = outbox(self.engine)
        rss = {role: kb / 1024 for role, kb in self.stack.rss_kb().items()}
        return Sample(
            round(now - self.started, 1),
            first / self.every,
            len(window) / self.every,
            quantile(window, 0.99) * 1000,
            quantile(lagged, 0.5),
            quantile(lagged, 0.99),
            backlog,
            oldest,
            rss,
        )


SHORT = {
    "gunicorn master": "web-m",
    "gunicorn workers": "web-w",
    "rq pool": "pool",
    "rq workers": "rq-w",
    "rq cron": "cron",
    "redis": "redis",
    "driver+simulator": "driver",
}


def row(s: Sample) -> str:
    mem = " ".join(f"{v:6.0f}" for v in s.rss.values())
    return (
        f"{s.t:7.0f} {s.accepted:9.1f} {s.answered:9.1f} {s.p99_ms:8.0f} {s.lag_p50:8.2f} {s.lag_p99:8.2f} "
        f"{s.backlog:8d} {s.oldest:7.1f}  {mem}"
    )


def header(roles: list[str]) -> str:
    names = " ".join(f"{SHORT.get(r, r)[:6]:>6}" for r in roles)
    return (
        f"{'t (s)':>7} {'accept/s':>9} {'200s/s':>9} {'p99 ms':>8} {'lag p50':>8} {'lag p99':>8} "
        f"{'backlog':>8} {'oldest':>7}  {names}  (RSS MB; lag in s)"
    )
