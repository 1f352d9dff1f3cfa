"""The load: a closed loop of N connections for a fixed time (bench/pyload.py), each request a body
of bench/bodies.py signed with its own nonce; the result a `LoadResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.bodies import BodyFactory

LUA_SCRIPT = Path(__file__).resolve().parent / "webhook.lua"
RESULT_MARK = "BENCH_RESULT "


@dataclass(frozen=True)
class LoadSpec:
    """Where and how hard to push: `url` is the webhook's URL (each request adds its signed query)."""

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
    """`python`: the one generator. wrk sent every body under one signed query string, which the
    webhook now refuses (a query string carries one message); it cannot sign each request."""
    if preference not in ("auto", "python"):
        raise ValueError(f"BENCH_GENERATOR must be auto or python, got {preference!r}")
    return "python"


def run_load(generator: str, spec: LoadSpec) -> LoadResult:
    from bench.pyload import run_python

    return run_python(spec)


def host_port(url: str) -> tuple[str, int, str]:
    """(host, port, path?query) of an http:// URL."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return parts.hostname or "127.0.0.1", parts.port or 80, path
