"""`python -m bench.segments.job DATABASE_URL full|incremental`: one scoring run in a process of its own.

The parent starts this so that the peak resident memory measured is the job's own (Python,
SQLAlchemy and psycopg included), as an RQ worker running `score_members` would see it. It prints
one JSON object: seconds per step (the boundaries `segments.run` reports through its `step`
callback; the last includes recording the run and the commit), the whole `score_members` call,
the CPU its PostgreSQL backend used meanwhile (the machine may be busy with other work: CPU time
says what the run itself cost), the totals it returns, and the peak RSS after start-up and at the end.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time
from types import FrameType
from typing import Any

from sqlalchemy import text

from config import Settings
from tasks import runtime
from tasks.segments import score_members

SETUP = "setup (accounts, programme, lock, last run, watermark, ...)"


def peak_rss_bytes() -> int:
    """The process's peak resident set: VmHWM from /proc, or ru_maxrss (KiB on Linux)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def backend_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) the PostgreSQL backend has used, from /proc (same host only)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(database_url: str, full: bool) -> dict[str, Any]:
    settings = Settings.from_env({"DATABASE_URL": database_url}, runtime.INSTANCE_PATH)
    rt = runtime.install(runtime.build(settings))
    with rt.job_sessions() as session:  # connect once, so the pool's first connection is not timed
        backend = int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
    rss_start = peak_rss_bytes()
    cpu_start = backend_cpu(backend)
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()
    totals = score_members(full, lambda _account, step: _mark(marks, step))
    ended = time.perf_counter()
    cpu = backend_cpu(backend)
    with rt.job_sessions() as session:  # the run had the pool's one connection: the same backend?
        same = session.execute(text("SELECT pg_backend_pid()")).scalar_one() == backend
    bounds = [(SETUP, started), *marks, ("", ended)]
    steps = {name: round(bounds[i + 1][1] - at, 3) for i, (name, at) in enumerate(bounds[:-1])}
    rt.dispose()
    return {
        "full": full,
        "seconds": round(ended - started, 3),
        "steps": steps,
        "totals": totals,
        "backend_cpu_s": round(cpu - cpu_start, 2)
        if same and cpu is not None and cpu_start is not None
        else None,
        "rss_start_bytes": rss_start,
        "rss_peak_bytes": peak_rss_bytes(),
        "ru_maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def _mark(marks: list[tuple[str, float]], step: str) -> None:
    """Note the step's start; also on stderr, so a parent that kills a slow run knows where it was."""
    marks.append((step, time.perf_counter()))
    print(f"step {step}", file=sys.stderr, flush=True)


def _stopped(signum: int, frame: FrameType | None) -> None:
    """Stopped by the parent (too slow): still say how much memory the run had taken."""
    print(json.dumps({"killed": True, "rss_peak_bytes": peak_rss_bytes()}), flush=True)
    os._exit(128 + signum)


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[2] not in ("full", "incremental"):
        print("usage: python -m bench.segments.job DATABASE_URL full|incremental", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stopped)
    print(json.dumps(run(argv[1], argv[2] == "full")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
