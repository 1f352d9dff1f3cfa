"""Watch a drain: poll until no event is pending, sampling what the workers' backends are doing."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from bench.points.db import one

PENDING = "SELECT count(*) FROM inbound_events WHERE status = 'pending'"
ACTIVITY = """
SELECT state, wait_event_type, wait_event FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
"""
POLL_SECONDS = 0.02
STALL_SECONDS = 15.0
MAX_KICKS = 3
GROUPS = {  # pg_stat_activity of the workers' sessions
    "sql": "running SQL",  # state active, not waiting for a lock (commit fsync included)
    "lock": "waiting for a lock",  # active, wait_event_type Lock: a row the other worker holds
    "txn": "in a transaction, between statements",  # idle in transaction: the worker's Python
    "idle": "idle",  # between batches, polls and jobs
}


@dataclass
class Watched:
    seconds: float  # from the start until no event was pending
    samples: Counter[str] = field(default_factory=Counter)  # backend-samples by state/wait
    kicks: int = 0  # drains queued again after a stall (a failed job)

    def shares(self) -> dict[str, float]:
        """Percent of backend-samples per group of GROUPS."""
        grouped: Counter[str] = Counter()
        for raw, n in self.samples.items():
            grouped[group_of(raw)] += n
        total = sum(grouped.values()) or 1
        return {g: round(100 * grouped[g] / total, 1) for g in GROUPS}


def group_of(raw: str) -> str:
    state, wait = raw.split("/", 1)
    if state == "active":
        return "lock" if wait.startswith("Lock") else "sql"
    return "txn" if state.startswith("idle in transaction") else "idle"


def until_drained(
    conn: psycopg.Connection[Any], start: Callable[[], None], kick: Callable[[], None], timeout: float = 900.0
) -> Watched:
    """Call `start`, then poll until no event is pending; `kick` (queue a drain) after a stall."""
    began = time.perf_counter()
    start()
    watched = Watched(0.0)
    last, changed = -1, began
    while True:
        pending, now = int(one(conn, PENDING)), time.perf_counter()
        if pending == 0:
            watched.seconds = now - began
            return watched
        for state, wait_type, wait_event in conn.execute(ACTIVITY):
            watched.samples[f"{state}/{wait_type or 'cpu'}:{wait_event or ''}"] += 1
        if pending != last:
            last, changed = pending, now
        elif now - changed > STALL_SECONDS:
            if watched.kicks >= MAX_KICKS or now - began > timeout:
                raise RuntimeError(f"the drain stalled with {pending} events pending; see the worker logs")
            kick()
            watched.kicks, changed = watched.kicks + 1, now
        time.sleep(POLL_SECONDS)
