"""The load generator: asyncio over raw HTTP/1.1 sockets, each request signed with its own nonce.

One task per connection sends a request, reads the whole response, and sends the next one;
it reconnects when the server closes (gunicorn's sync workers always do). At the deadline
every connection finishes the request it has in flight, so nothing is cut off.
"""

from __future__ import annotations

import asyncio
import math
import re
import socket
import time
from collections import Counter
from dataclasses import dataclass, field

from bench.load import LoadResult, LoadSpec, host_port

CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)")
RECV_BYTES = 65536


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    socket_errors: int = 0


def run_python(spec: LoadSpec) -> LoadResult:
    tally = Tally()
    started = time.perf_counter()
    asyncio.run(_run(spec, tally, started + spec.seconds))
    return summarize(tally, time.perf_counter() - started)


async def _run(spec: LoadSpec, tally: Tally, deadline: float) -> None:
    await asyncio.gather(*(_connection(spec, worker, deadline, tally) for worker in range(spec.connections)))


async def _connection(spec: LoadSpec, worker: int, deadline: float, tally: Tally) -> None:
    loop = asyncio.get_running_loop()
    host, port, path = host_port(spec.url)
    rest = f" HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: text/xml\r\nContent-Length: "
    sock: socket.socket | None = None
    n = 0
    while time.perf_counter() < deadline:
        body = spec.bodies.body(worker, n)
        head = f"POST {path}?{spec.bodies.query(worker, n)}{rest}"
        n += 1
        try:
            sock = sock or await _connect(loop, host, port)
            start = time.perf_counter()
            await loop.sock_sendall(sock, b"%s%d\r\n\r\n%s" % (head.encode(), len(body), body))
            status, keep_alive = await _read_response(loop, sock)
        except OSError:
            tally.socket_errors += 1
            sock = _close(sock)
            continue
        tally.latencies.append(time.perf_counter() - start)
        tally.statuses[status] += 1
        if not keep_alive:
            sock = _close(sock)
    _close(sock)


async def _connect(loop: asyncio.AbstractEventLoop, host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        await loop.sock_connect(sock, (host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _close(sock: socket.socket | None) -> None:
    if sock is not None:
        sock.close()


async def _read_response(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> tuple[int, bool]:
    """Read one response; return its status and whether the connection stays open."""
    buf = bytearray()
    while (end := buf.find(b"\r\n\r\n")) < 0:
        buf += await _recv(loop, sock)
    head = bytes(buf[:end]).lower()
    match = CONTENT_LENGTH.search(head)
    keep_alive = match is not None and not head.startswith(b"http/1.0") and b"connection: close" not in head
    remaining = int(match.group(1)) - (len(buf) - end - 4) if match else None
    while remaining is None or remaining > 0:  # no Content-Length: the body ends at EOF
        chunk = await loop.sock_recv(sock, RECV_BYTES)
        if not chunk:
            if remaining is None:
                break
            raise ConnectionError("connection closed inside the response body")
        if remaining is not None:
            remaining -= len(chunk)
    return int(head[9:12]), keep_alive


async def _recv(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> bytes:
    chunk = await loop.sock_recv(sock, RECV_BYTES)
    if not chunk:
        raise ConnectionError("connection closed before the response headers")
    return chunk


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarize(tally: Tally, seconds: float) -> LoadResult:
    ordered = sorted(tally.latencies)
    ms = [x * 1000 for x in ordered]
    requests = sum(tally.statuses.values())
    ok = tally.statuses.get(200, 0)
    return LoadResult(
        generator="python",
        seconds=seconds,
        requests=requests,
        ok=ok,
        non200=requests - ok,
        socket_errors=tally.socket_errors,
        cut_off=0,
        p50_ms=percentile(ms, 50),
        p90_ms=percentile(ms, 90),
        p99_ms=percentile(ms, 99),
        mean_ms=sum(ms) / len(ms) if ms else 0.0,
        max_ms=ms[-1] if ms else 0.0,
    )
