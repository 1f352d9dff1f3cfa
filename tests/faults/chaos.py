"""The faults, injected from a thread while the customers go on.

Each kind in turn (in the soak: each round of them in a random order, at random intervals):
SIGKILL an RQ worker (a busy one when there is one), SIGKILL a gunicorn worker, stop Redis and
start it again (with its data; or crashed with its data lost, as after losing its disk: queued
jobs and RQ's scheduled retries go), terminate this database's PostgreSQL backends (a server
restart as the shared machine allows it; with TIEFEN_FAULTS_PG_RESTART set, a real restart too),
and make the WeChat API answer 45009, -1, 40001 or not at all (longer than the client's 5 s
timeout) on the calls jobs make: codes and posters, customer-service messages (posters,
campaigns) and template messages (tier notices).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable

from tests.faults.stack import Stack

API_PATHS = (
    "/cgi-bin/qrcode/create",
    "/cgi-bin/media/upload",
    "/cgi-bin/message/custom/send",
    "/cgi-bin/message/template/send",
)
API_ERRORS = (45009, -1, 40001)
TIMEOUT_DELAY = 6.0  # the client gives up after 5 s


class Chaos:
    def __init__(self, stack: Stack, period: float, seed: int = 3, randomly: bool = False) -> None:
        self.stack = stack
        self.period = period
        self.rng = random.Random(seed)
        self.randomly = randomly
        self.done: Counter[str] = Counter()
        self.log: list[tuple[float, str]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos", daemon=True)
        kinds: list[tuple[str, Callable[[], str]]] = [  # every kind within the first six turns
            ("rq worker killed", self.rq_worker),
            ("redis restarted", self.redis),
            ("api", self.api),
            ("gunicorn worker killed", self.web_worker),
            ("postgres backends terminated", self.postgres),
            ("redis lost its data", self.redis_lost),
            ("api", self.api),
            ("rq worker killed", self.rq_worker),
            ("postgres backends terminated", self.postgres),
            ("gunicorn worker killed", self.web_worker),
            ("api", self.api),
        ]
        if os.environ.get("TIEFEN_FAULTS_PG_RESTART"):
            kinds.append(("postgres restarted", self.postgres_restart))
        self.kinds = kinds
        self.only: set[str] | None = None  # while set, the other kinds are skipped
        self._turn = 0

    def __enter__(self) -> Chaos:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def unleash(self) -> None:
        """Every kind from now on, starting with the first."""
        self._turn, self.only = 0, None

    def _run(self) -> None:
        while not self._stop.wait(self.period * (self.rng.uniform(0.5, 1.5) if self.randomly else 1)):
            turn, self._turn = self._turn, self._turn + 1
            if self.randomly and turn % len(self.kinds) == 0:  # a new round in a new order
                self.rng.shuffle(self.kinds)
            name, act = self.kinds[turn % len(self.kinds)]
            if self.only is not None and name not in self.only:
                continue
            self.make(name, act)

    def make(self, name: str, act: Callable[[], str]) -> None:
        try:
            detail = act()
        except Exception as exc:  # a fault that could not be made is reported, not fatal
            self.errors.append(f"{name}: {type(exc).__name__}: {exc}")
            return
        self.done[name] += 1
        self.log.append((time.monotonic(), f"{name}: {detail}"))

    def api(self) -> str:
        """One fault on each path none is waiting on: an error code (one of three), or a timeout."""
        made = []
        for path in API_PATHS:
            if self.stack.state.faults_waiting(path):
                continue
            if self.rng.random() < 0.25:
                self.stack.state.inject(path, delay=TIMEOUT_DELAY)
                made.append(f"{path} times out")
            else:
                code = self.rng.choice(API_ERRORS)
                self.stack.state.inject(path, errcode=code)
                made.append(f"{path} {code}")
                self.done[f"api {code}"] += 1
        return ", ".join(made)

    def rq_worker(self) -> str:
        pid, busy = self.stack.kill_rq_worker()
        if busy:
            self.done["rq worker killed mid-job"] += 1
        return f"pid {pid}{' mid-job' if busy else ''}"

    def web_worker(self) -> str:
        return f"pid {self.stack.kill_web_worker()}"

    def redis(self) -> str:
        self.stack.bounce_redis(down=2.0)
        return "stopped 2 s"

    def redis_lost(self) -> str:
        self.stack.bounce_redis(down=2.0, lose_data=True)
        return "crashed, 2 s, empty"

    def postgres(self) -> str:
        return f"{self.stack.terminate_backends()} backends"

    def postgres_restart(self) -> str:
        self.stack.restart_postgres()
        return "restarted"
