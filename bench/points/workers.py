"""RQ workers as child processes on the `events` queue: started, awaited, always stopped."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from redis import Redis
from rq import Queue, Worker
from rq.registry import FailedJobRegistry

from bench.servers import ROOT, stop, tail
from bench.stack import EVENTS_QUEUE, redis_client
from tasks import DRAIN_RETRY

RQ = Path(sys.executable).parent / "rq"
START_TIMEOUT = 30.0
DRAIN_JOB = "tasks.inbound.drain"
_DONE = re.compile(r"Successfully completed ([\w.]+)\(.*\) job in (\d+):(\d+):([\d.]+)s")


@dataclass(frozen=True)
class Workers:
    pids: list[int]
    logs: list[Path]


@contextmanager
def rq_workers(
    redis_url: str, env: Mapping[str, str], count: int, log_dir: Path, label: str
) -> Iterator[Workers]:
    """Run `count` SimpleWorkers on `events` (env: DATABASE_URL, REDIS_URL, …) until the block ends."""
    log_dir.mkdir(exist_ok=True)
    with ExitStack() as stack:
        procs, logs = [], []
        for i in range(1, count + 1):
            name = f"points-{label}-{i}-{os.getpid()}"
            log = log_dir / f"points-{label}.worker-{i}.log"
            proc = _start(redis_url, env, name, log)
            stack.callback(stop, proc)  # stopped in reverse order, on errors and Ctrl-C too
            procs.append((name, proc))
            logs.append(log)
        wait_ready(redis_client(redis_url), procs, logs)
        yield Workers([proc.pid for _, proc in procs], logs)


def _start(redis_url: str, env: Mapping[str, str], name: str, log: Path) -> subprocess.Popen[bytes]:
    args = [str(RQ), "worker", "-w", "rq.worker.SimpleWorker", "-u", redis_url, "-n", name]
    args += ["-P", str(ROOT), EVENTS_QUEUE]
    with log.open("wb") as out:
        return subprocess.Popen(
            args, cwd=ROOT, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_ready(redis: Redis, procs: list[tuple[str, subprocess.Popen[bytes]]], logs: list[Path]) -> None:
    """Wait until every worker has registered with Redis (and so listens on its queue)."""
    deadline = time.monotonic() + START_TIMEOUT
    wanted = {name for name, _ in procs}
    while time.monotonic() < deadline:
        for (_, proc), log in zip(procs, logs, strict=True):
            if proc.poll() is not None:
                raise RuntimeError(f"an rq worker exited with {proc.returncode}:\n{tail(log)}")
        if wanted <= {w.name for w in Worker.all(connection=redis)}:
            return
        time.sleep(0.1)
    raise RuntimeError(f"rq workers did not register in {START_TIMEOUT:.0f} s; see {logs}")


def enqueue_drains(redis_url: str, count: int) -> None:
    """Queue `count` drain jobs, as `tasks.wake_drainer` does (same retry policy)."""
    queue = Queue(EVENTS_QUEUE, connection=redis_client(redis_url))
    for _ in range(count):
        queue.enqueue(DRAIN_JOB, retry=DRAIN_RETRY, result_ttl=60)


def failed_jobs(redis_url: str) -> int:
    return len(FailedJobRegistry(EVENTS_QUEUE, connection=redis_client(redis_url)))


def log_lines(logs: list[Path], needle: str) -> int:
    """How many lines of the workers' logs mention `needle` (case-insensitive)."""
    needle = needle.lower()
    return sum(
        1
        for log in logs
        if log.exists()
        for line in log.read_text(errors="replace").splitlines()
        if needle in line.lower()
    )


def job_seconds(logs: list[Path]) -> dict[str, dict[str, float]]:
    """Jobs the workers finished, by function: how many and their total run time (from RQ's log)."""
    out: dict[str, dict[str, float]] = {}
    for log in logs:
        for match in _DONE.finditer(log.read_text(errors="replace") if log.exists() else ""):
            name, h, m, s = match.groups()
            entry = out.setdefault(name, {"jobs": 0, "seconds": 0.0})
            entry["jobs"] += 1
            entry["seconds"] = round(entry["seconds"] + int(h) * 3600 + int(m) * 60 + float(s), 3)
    return out
