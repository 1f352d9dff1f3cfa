"""The load: a closed loop of N connections for a fixed time, by wrk or, without it, Python.

Both generators send the same bodies (bench/bodies.py) and report a `LoadResult`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.bodies import BodyFactory

LUA_SCRIPT = Path(__file__).resolve().parent / "webhook.lua"
RESULT_MARK = "BENCH_RESULT "


@dataclass(frozen=True)
class LoadSpec:
    """Where and how hard to push: `url` is the signed webhook URL (query included)."""

    url: str
    bodies: BodyFactory
    connections: int
    seconds: float


@dataclass(frozen=True)
class LoadResult:
    generator: str
    seconds: float  # wall time the requests took
    requests: int  # responses read
    ok: int  # responses with status 200
    non200: int
    socket_errors: int  # connect, read, write errors and timeouts
    cut_off: int  # sent but never answered: in flight when the generator stopped
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.non200 + self.socket_errors


def pick_generator(preference: str) -> str:
    """`wrk` when asked or when on PATH (for `auto`), else `python`."""
    if preference not in ("auto", "wrk", "python"):
        raise ValueError(f"BENCH_GENERATOR must be auto, wrk or python, got {preference!r}")
    if preference == "python":
        return "python"
    if shutil.which("wrk"):
        return "wrk"
    if preference == "wrk":
        raise RuntimeError("BENCH_GENERATOR=wrk but wrk is not on PATH")
    return "python"


def run_load(generator: str, spec: LoadSpec) -> LoadResult:
    if generator == "wrk":
        return run_wrk(spec)
    from bench.pyload import run_python

    return run_python(spec)


def run_wrk(spec: LoadSpec) -> LoadResult:
    threads = min(2, spec.connections)
    tpl = spec.bodies.templates
    args = [
        *("wrk", "-t", str(threads), "-c", str(spec.connections), "-d", f"{max(1, round(spec.seconds))}s"),
        *("--timeout", "10s", "--latency", "-s", str(LUA_SCRIPT), spec.url),
        *("--", str(spec.bodies.run), tpl.subscribe, tpl.text),
    ]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_MARK)), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return wrk_result(json.loads(line[len(RESULT_MARK) :]))


def wrk_result(raw: dict[str, float]) -> LoadResult:
    requests = int(raw["requests"])
    errors = sum(int(raw[k]) for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return LoadResult(
        generator="wrk",
        seconds=raw["duration_us"] / 1e6,
        requests=requests,
        ok=int(raw["ok"]),
        non200=int(raw["non200"]),
        socket_errors=errors,
        cut_off=max(0, int(raw["sent"]) - requests),
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        mean_ms=raw["mean_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
    )


def host_port(url: str) -> tuple[str, int, str]:
    """(host, port, path?query) of an http:// URL."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return parts.hostname or "127.0.0.1", parts.port or 80, path
