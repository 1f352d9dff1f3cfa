"""`make soak` (`python -m tests.faults.soak`): the machine's end-to-end capacity, then a soak at 60 % of
it with the faults of tests/faults injected at random.

1. Capacity: new customers (a follow, 签到, 积分 each; every callback delivered up to four times)
   arrive at a rising offered rate, SOAK_STEP_SECONDS a step; a step holds when the webhook answered
   at least 90 % of the offered callbacks and the outbox kept up (its oldest waiting callback under
   5 s old at the step's end, the backlog not growing). The last rate that held is the capacity.
2. The soak: SOAK_MINUTES (default 10) at 60 % of it while a fault is injected every
   SOAK_FAULT_SECONDS (20) on average, sampled every SOAK_SAMPLE_SECONDS (5): answered callbacks a
   second, reply p99, accepted→ledger lag (an event's processed_at − received_at: its ledger rows
   are written in the commit that marks it done), the outbox's backlog, and every process's RSS.
3. The faults stop, WeChat's retries settle every callback, `flask outbox sweep` and a drain; the
   invariant checker's verdict and every balance against the rules.

Prints a table, writes bench/results/soak-<time>.png and .json. Needs PostgreSQL: SOAK_DATABASE_URL
(default postgresql+psycopg://postgres@127.0.0.1:5432/tiefen_soak, created if missing, its public
schema DROPPED and migrated) and `redis-server` on PATH (a private one on a free port).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from bench.stack import prepare_database
from models import make_engine
from services.inbound import invariants
from tests.faults import plot, scenario
from tests.faults.chaos import Chaos
from tests.faults.driver import Driver
from tests.faults.expect import balance_mismatches
from tests.faults.merchant import Merchant
from tests.faults.sampling import Sample, Sampler, header, outbox, quantile
from tests.faults.stack import APPID, ROOT, Stack, remove, workdir

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tiefen_soak"
RESULTS = ROOT / "bench" / "results"
PER_CUSTOMER = 3  # callbacks: follow, 签到, 积分


def setting(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


class Load:
    """An open loop: customers arrive on a schedule whatever the answers take (up to `threads` at once)."""

    def __init__(self, driver: Driver, threads: int = 48) -> None:
        self.driver = driver
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="load")
        self.count = 0
        self.offered = 0  # callbacks started
        self._lock = threading.Lock()

    def run(self, rate: float, seconds: float) -> None:
        """Offer `rate` callbacks a second for `seconds`."""
        interval, end = PER_CUSTOMER / rate, time.monotonic() + seconds
        due = time.monotonic()
        while due < end:
            with self._lock:
                self.count += 1
                openid = f"oSoak{self.count:08d}"
            self.pool.submit(self._journey, openid, self.count % 10 == 0)
            due += interval
            time.sleep(max(0.0, due - time.monotonic()))

    def _journey(self, openid: str, churns: bool) -> None:
        w, at = self.driver.wechat(), int(time.time()) + (hash(openid) % 401 - 200)  # skew in the window
        steps = [
            (w.subscribe(openid, create_time=at), "follow"),
            (w.text(openid, "签到", create_time=at + 1), "checkin"),
        ]
        steps.append((w.text(openid, "积分", create_time=at + 2), "text"))
        if churns:
            steps += [(w.unsubscribe(openid, create_time=at + 3), "unfollow")]
            steps += [(w.subscribe(openid, create_time=at + 4), "follow")]
        for callback, kind in steps:
            with self._lock:
                self.offered += 1
            if not self.driver.deliver(callback, kind).accepted:
                return  # the member's next action waits for this one (see driver.py)


def measure_capacity(stack: Stack, engine: Engine, driver: Driver, load: Load) -> tuple[float, list[str]]:
    """Step the offered rate up until the pipeline stops keeping up; the last rate that held."""
    step, rate, held_at = setting("SOAK_STEP_SECONDS", 15), setting("SOAK_START_RATE", 10), 0.0
    lines = [f"{'offered/s':>10} {'accepted/s':>11} {'p99 ms':>8} {'backlog':>8} {'oldest s':>9}  verdict"]
    for _ in range(int(setting("SOAK_MAX_STEPS", 10))):
        before = len(driver.latencies)
        started = time.monotonic()
        load.run(rate, step)
        ended = time.monotonic()
        window = [s for _, s in driver.latencies[before:]]
        first = [s.answered_at for s in list(driver.sent) if s.answered_at is not None]
        answered = sum(1 for t in first if started <= t <= ended) / (ended - started)
        backlog, oldest = outbox(engine)
        held = answered >= 0.9 * rate and oldest <= 5 and backlog <= rate * 3
        lines.append(
            f"{rate:10.1f} {answered:11.1f} {quantile(window, 0.99) * 1000:8.0f} {backlog:8d} {oldest:9.1f}  "
            + ("kept up" if held else "fell behind")
        )
        print(lines[-1], flush=True)
        if not held:
            break
        held_at, rate = rate, rate * 1.4
        scenario.drain(stack, engine)
    driver.flush_late()
    scenario.drain(stack, engine, timeout=300)
    return held_at, lines


def memory_lines(samples: list[Sample]) -> list[str]:
    """Each role's RSS: mean of the first 20 % of samples against the last 20 % (a killed worker's
    replacement starts small: a role's dip is a restart, not memory given back)."""
    if len(samples) < 5:
        return ["too few samples to compare memory"]
    k = max(1, len(samples) // 5)
    out = [f"{'process':<20} {'first 20 % MB':>14} {'last 20 % MB':>13} {'change':>8}"]
    for role in samples[0].rss:
        first = sum(s.rss.get(role, 0) for s in samples[:k]) / k
        last = sum(s.rss.get(role, 0) for s in samples[-k:]) / k
        out.append(f"{role:<20} {first:14.1f} {last:13.1f} {(last - first) / (first or 1):+8.1%}")
    return out


def main() -> int:
    url = os.environ.get("SOAK_DATABASE_URL", DEFAULT_DATABASE_URL)
    minutes = setting("SOAK_MINUTES", 10)
    prepare_database(url)
    engine = make_engine(url)
    stack = Stack(url, workdir("tiefen-soak-")).start()
    try:
        return soak(stack, engine, minutes)
    finally:
        stack.stop()
        print(f"process logs: {stack.workdir}" if os.environ.get("SOAK_KEEP_LOGS") else "", end="")
        if not os.environ.get("SOAK_KEEP_LOGS"):
            remove(stack.workdir)
        engine.dispose()


def soak(stack: Stack, engine: Engine, minutes: float) -> int:
    driver = Driver(stack.url, stack.state, 0)
    assert driver.wechat().verify_url("hello").text == "hello"
    driver.account_id = scenario._account_id(engine)
    Merchant(stack.url).set_up()
    load = Load(driver)
    print("== capacity: the offered rate stepped up until the outbox falls behind", flush=True)
    capacity, capacity_lines = measure_capacity(stack, engine, driver, load)
    if capacity == 0:
        capacity = setting("SOAK_START_RATE", 10) / 2
        capacity_lines.append(f"the first step fell behind: the soak runs at 60 % of half of it ({capacity})")
    rate = round(0.6 * capacity, 1)
    print(
        f"== soak: {minutes:g} min at {rate} callbacks/s (60 % of {capacity:.1f}), faults at random",
        flush=True,
    )
    print(header(list(stack.rss_kb())), flush=True)
    sampler = Sampler(stack, engine, driver, setting("SOAK_SAMPLE_SECONDS", 5))
    with Chaos(stack, setting("SOAK_FAULT_SECONDS", 20), randomly=True) as chaos, sampler:
        load.run(rate, minutes * 60)
        load.pool.shutdown(wait=True)
    print("== settling: the faults stopped; retries, `flask outbox sweep`, a drain", flush=True)
    driver.flush_late()
    unanswered = driver.settle()
    scenario.sweep(stack)
    scenario.drain(stack, engine, timeout=600)
    driver.close()
    with Session(engine) as session:
        notified = [t.touser for t in stack.state.template_messages(APPID)]
        verdict = invariants.check(session, accepted=driver.accepted(), notified=notified)
        mismatches = balance_mismatches(session, driver.account_id, driver.sent)
    marks = [(t - sampler.started, what) for t, what in chaos.log]
    summary = report(capacity_lines, rate, sampler.samples, chaos, verdict, mismatches, len(unanswered), load)
    print("\n".join(summary))
    write_results(sampler.samples, marks, summary, rate)
    return 0 if verdict.clean and not mismatches and not unanswered else 1


def report(
    capacity_lines: list[str],
    rate: float,
    samples: list[Sample],
    chaos: Chaos,
    verdict: invariants.Verdict,
    mismatches: list[str],
    unanswered: int,
    load: Load,
) -> list[str]:
    steady = samples or [Sample(0, 0, 0, 0, 0, 0, 0, 0)]
    return [
        "",
        "== capacity",
        *capacity_lines,
        "",
        f"== soak at {rate} callbacks/s: {len(samples)} samples, {load.offered:,} callbacks offered",
        f"callbacks accepted/s mean {sum(s.accepted for s in steady) / len(steady):.1f} "
        f"(deliveries answered 200/s {sum(s.answered for s in steady) / len(steady):.1f}); reply p99 worst "
        f"{max(s.p99_ms for s in steady):.0f} ms, "
        f"median of samples {quantile([s.p99_ms for s in steady], 0.5):.0f} ms; "
        f"accepted→ledger lag p99 worst {max(s.lag_p99 for s in steady):.1f} s, "
        f"median of samples {quantile([s.lag_p99 for s in steady], 0.5):.2f} s; "
        f"backlog worst {max(s.backlog for s in steady)}",
        f"faults: {dict(chaos.done)}" + (f"; could not make: {chaos.errors}" if chaos.errors else ""),
        "",
        "== memory (RSS)",
        *memory_lines(samples),
        "",
        *verdict.lines(),
        f"callbacks never answered 200: {unanswered}; "
        f"balances off the rules: {len(mismatches)} {mismatches[:5]}",
    ]


def write_results(
    samples: list[Sample], marks: list[tuple[float, str]], summary: list[str], rate: float
) -> None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    roles = list(samples[0].rss) if samples else []
    panels: list[tuple[str, plot.Series]] = [
        (
            "callbacks accepted a second (and deliveries answered 200, copies included)",
            {
                "callbacks/s": [(s.t, s.accepted) for s in samples],
                "deliveries/s": [(s.t, s.answered) for s in samples],
            },
        ),
        ("reply time p99 (ms)", {"p99": [(s.t, s.p99_ms) for s in samples]}),
        (
            "accepted -> ledger lag (s)",
            {"p50": [(s.t, s.lag_p50) for s in samples], "p99": [(s.t, s.lag_p99) for s in samples]},
        ),
        ("outbox backlog (callbacks waiting)", {"backlog": [(s.t, float(s.backlog)) for s in samples]}),
        ("RSS (MB) by process", {r: [(s.t, s.rss.get(r, 0.0)) for s in samples] for r in roles}),
    ]
    title = f"Tiefen soak at {rate} callbacks/s; red ticks: faults ({plot.legend()})"
    png = plot.save(RESULTS / f"soak-{stamp}.png", title, panels, marks)
    data: dict[str, Any] = {
        "rate": rate,
        "samples": [s.__dict__ for s in samples],
        "faults": marks,
        "summary": summary,
    }
    (RESULTS / f"soak-{stamp}.json").write_text(json.dumps(data, ensure_ascii=False, indent=1))
    print(f"\nplot: {png.relative_to(ROOT)}; data: bench/results/soak-{stamp}.json")


if __name__ == "__main__":
    sys.exit(main())
