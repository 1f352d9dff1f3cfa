"""The RQ worker processes of one run, and their memory sampled from /proc while they work."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis import Redis
from rq import Worker

from bench.servers import ROOT, tail
from bench.webhook import clean_env

LOGS = ROOT / "bench" / "results"
SAMPLE_EVERY = 0.5  # seconds between two reads of VmRSS


@dataclass(frozen=True)
class Pool:
    names: list[str]
    procs: list[subprocess.Popen[bytes]]
    logs: list[Path]

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def check_alive(self) -> None:
        for proc, log in zip(self.procs, self.logs, strict=True):
            if proc.poll() is not None:
                raise RuntimeError(f"worker {proc.pid} exited with {proc.returncode}:\n{tail(log)}")


@contextmanager
def pool(count: int, env: dict[str, str], redis: Redis, label: str) -> Iterator[Pool]:
    """`count` workers (`python -m bench.campaigns.worker`), waited for until RQ lists them; stopped
    with SIGTERM (RQ's warm shutdown) afterwards, whatever happens."""
    names = [f"bench-campaigns-{label}-{k}" for k in range(count)]
    logs = [LOGS / f"campaigns-worker-{k}.log" for k in range(count)]
    procs = []
    try:
        for name, log in zip(names, logs, strict=True):
            with log.open("ab") as out:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "bench.campaigns.worker", name],
                        cwd=ROOT,
                        env={**clean_env(), **env},
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )  # fmt: skip
                )
        running = Pool(names, procs, logs)
        deadline = time.monotonic() + 60
        while not set(names) <= {w.name for w in Worker.all(connection=redis)}:
            running.check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not register with RQ in 60 s")
            time.sleep(0.1)
        yield running
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass
class Memory:
    """VmRSS of some processes every SAMPLE_EVERY seconds, on a thread, until stopped."""

    pids: list[int]
    samples: list[tuple[float, dict[int, int]]] = field(default_factory=list)  # (epoch s, pid → kB)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> Memory:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.samples.append((time.time(), {pid: rss_kb(pid) for pid in self.pids}))
            if self._stop.wait(SAMPLE_EVERY):
                return

    def of(self, pid: int, since: float, until: float) -> dict[str, Any]:
        """One process: MB before the job, at the start and end of its sending, the peak, the growth
        (the second half's peak over the first half's: a leak shows, a batch's sawtooth does not) and
        the drift (least-squares slope × duration), with a dozen points to see it by."""
        series = [(t, kb[pid] / 1024) for t, kb in self.samples if kb.get(pid)]
        during = [(t, mb) for t, mb in series if since <= t <= until]
        before = [mb for t, mb in series if t < since]
        if len(during) < 2:
            return {"samples": len(during)}
        t0 = during[0][0]
        xs, ys = [t - t0 for t, _ in during], [mb for _, mb in during]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        var = sum((x - mx) ** 2 for x in xs) or 1.0
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var
        step = max(1, len(during) // 12)
        return {
            "samples": len(during),
            "idle_mb": round(before[-1], 1) if before else None,
            "start_mb": round(ys[0], 1),
            "peak_mb": round(max(ys), 1),
            "end_mb": round(ys[-1], 1),
            "growth_mb": round(max(ys[len(ys) // 2 :]) - max(ys[: len(ys) // 2]), 1),
            "drift_mb": round(slope * (xs[-1] - xs[0]), 1),
            "series_mb": [round(y, 1) for y in ys[::step]],
        }


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
