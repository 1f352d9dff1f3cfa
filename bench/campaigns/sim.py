"""The simulator in a process of its own, and what the bench tells it and asks of it.

`gunicorn -w 1 -k gthread` (one worker: its state lives in memory). Members become known followers
with an open customer-service window through its control API, `POST /_sim/interactions`, one
member a call — it has no bulk form, so 100,000 members cost a minute of the simulator's CPU; the
bench does it while PostgreSQL is busy seeding.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bench.points.cpu import process_seconds
from bench.servers import ROOT, simulator_process
from bench.webhook import clean_env

LOG = ROOT / "bench" / "results" / "campaigns-simulator.log"


@dataclass(frozen=True)
class Sim:
    url: str
    pids: list[int]  # gunicorn's worker: whose CPU time and memory are the simulator's

    def cpu(self) -> float:
        return process_seconds(self.pids)


@contextmanager
def simulator(threads: int) -> Iterator[Sim]:
    with simulator_process(threads, LOG, clean_env()) as (url, pids):
        yield Sim(url, pids)


def get(url: str, path: str) -> Any:
    with urllib.request.urlopen(url + path, timeout=120) as answer:
        return json.loads(answer.read())


def post(url: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url + path, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


class Registration:
    """Make members known followers with a window open, on `threads` keep-alive connections, in the
    background; `wait()` for the figures."""

    def __init__(self, url: str, appid: str, openids: list[str], threads: int = 6) -> None:
        self.url, self.appid, self.openids = url, appid, openids
        self.errors: list[str] = []
        self.started = time.perf_counter()
        self.threads = [threading.Thread(target=self._work, args=(k, threads)) for k in range(threads)]
        for t in self.threads:
            t.start()

    def _work(self, k: int, step: int) -> None:
        where = urlsplit(self.url)
        conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
        try:
            for openid in self.openids[k::step]:
                body = json.dumps({"appid": self.appid, "openid": openid, "kind": "message"})
                conn.request("POST", "/_sim/interactions", body, {"Content-Type": "application/json"})
                answer = conn.getresponse()
                answer.read()
                if answer.status != 200:
                    self.errors.append(f"{openid}: HTTP {answer.status}")
                    return
        except OSError as exc:
            self.errors.append(repr(exc))
        finally:
            conn.close()

    def wait(self) -> dict[str, Any]:
        for t in self.threads:
            t.join()
        seconds = time.perf_counter() - self.started
        if self.errors:
            raise RuntimeError(f"registering members in the simulator failed: {self.errors[:3]}")
        return {
            "members": len(self.openids),
            "seconds": round(seconds, 1),
            "per_s": round(len(self.openids) / seconds),
        }
