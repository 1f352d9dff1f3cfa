"""Where a drain batch's time goes: stages, statements and round trips, Python hot spots.

Runs `claim` + `apply_batch` in this process, one batch per transaction as `tasks.inbound.drain`
does, on a fresh copy of the award stage's data. A first pass times the stages (wrapping the
services' functions, which are left unchanged) and every statement; a second, shorter pass runs
under cProfile for the Python functions.
"""

from __future__ import annotations

import cProfile
import importlib
import pstats
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest.mock import patch

from bench.points import award, db, statements
from bench.points.config import Config
from bench.servers import ROOT
from models import make_engine, make_session_factory
from services.inbound import outbox as inbound
from tasks.inbound import BATCH
from wechat.events import mass_job_report

STAGES = [  # (module, function): what apply_batch calls, in order; _credit holds the three after it
    ("services.inbound.outbox", "_member_ids"),
    ("services.accounts.members", "follow_many"),
    ("services.accounts.members", "settle_following"),
    ("services.accounts.members", "apply_changes"),
    ("services.inbound.awards", "harvest"),
    ("services.points.programme", "load"),
    ("services.inbound.awards", "_credit"),
    ("services.points.ledger", "award_counts"),
    ("services.points.ledger", "credit"),
    ("services.points.tiers", "upgrade"),
    ("services.inbound.outbox", "_mark_done"),
]
NESTED = {"ledger.award_counts", "ledger.credit"}  # inside awards._credit


@contextmanager
def stage_timers() -> Iterator[defaultdict[str, float]]:
    """Wrap each stage function to add its wall time (database included) to a counter."""
    totals: defaultdict[str, float] = defaultdict(float)
    with ExitStack() as stack:
        for module_name, attr in STAGES:
            module = importlib.import_module(module_name)
            name = f"{module_name.split('.')[-1]}.{attr}"
            stack.enter_context(patch.object(module, attr, _timed(getattr(module, attr), name, totals)))
        yield totals


def _timed(fn: Callable[..., Any], name: str, totals: defaultdict[str, float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter() - started

    return wrapper


def drain_batches(sessions: Any, batches: int, totals: defaultdict[str, float]) -> tuple[int, int]:
    """Claim and apply up to `batches` batches, a transaction each; returns (events, awards)."""
    events = awards = 0
    for _ in range(batches):
        started = time.perf_counter()
        with sessions.begin() as session:
            claimed = inbound.claim(session, BATCH)
            totals["inbound.claim"] += time.perf_counter() - started
            if not claimed:
                break
            awards += inbound.apply_batch(session, claimed, mass_job_report).credited
            committing = time.perf_counter()
        totals["commit"] += time.perf_counter() - committing
        events += len(claimed)
    return events, awards


def run(cfg: Config, batches: int) -> dict[str, Any]:
    award.prepare(cfg)
    engine = make_engine(cfg.database_url)
    sessions = make_session_factory(engine)
    try:
        with stage_timers() as stages, statements.logged(engine) as log:
            seconds, (events, awards) = db.timed(lambda: drain_batches(sessions, batches, stages))
        done = max(1, -(-events // BATCH))
        profiler = cProfile.Profile()
        profiler.runcall(drain_batches, sessions, max(1, batches // 4), defaultdict(float))
    finally:
        engine.dispose()
    return {
        "batches": done,
        "events": events,
        "awards": awards,
        "awards_per_s_one_process": round(awards / seconds, 1),
        "ms_per_batch": round(1000 * seconds / done, 1),
        "db_ms_per_batch": round(1000 * (log.seconds + stages["commit"]) / done, 1),
        "round_trips_per_batch": round(log.calls / done, 1),
        "stages_ms_per_batch": {k: round(1000 * v / done, 1) for k, v in stages.items()},
        "statements": statement_rows(log, done),
        "python_top": python_top(pstats.Stats(profiler), max(1, batches // 4)),
    }


def statement_rows(log: statements.StatementLog, batches: int) -> list[dict[str, Any]]:
    rows = sorted(log.by_label.items(), key=lambda kv: -kv[1].seconds)
    return [
        {
            "statement": name,
            "calls_per_batch": round(t.calls / batches, 1),
            "rows_per_batch": round(t.rows / batches, 1),
            "ms_per_batch": round(1000 * t.seconds / batches, 1),
        }
        for name, t in rows
    ]


def python_top(stats: pstats.Stats, batches: int, top: int = 12) -> list[dict[str, Any]]:
    """The functions with the most own time (cProfile inflates Python time, so compare, don't add)."""
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows = sorted(raw.items(), key=lambda kv: -kv[1][2])[:top]
    return [
        {
            "function": f"{short_path(file)}:{line}({name})",
            "own_ms_per_batch": round(1000 * tottime / batches, 1),
            "calls_per_batch": round(calls / batches, 1),
        }
        for (file, line, name), (_, calls, tottime, _, _) in rows
    ]


def short_path(file: str) -> str:
    for marker in ("site-packages/", f"{ROOT}/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file
