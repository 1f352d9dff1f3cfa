"""What an operator watches (/metrics, Prometheus text): callbacks, reply time, jobs, queue lag,
WeChat API errors and campaign sends.

Web processes and workers each count in their own memory; under gunicorn and RQ workers set
PROMETHEUS_MULTIPROC_DIR (one empty directory shared by every process of the machine, emptied at
start) and /metrics adds up every process's files. Gauges that describe the whole system (queue lag)
are read from the stores at scrape time instead of kept in any process.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from logs import REQUEST_ID

log = logging.getLogger(__name__)

CALLBACKS = Counter("tiefen_callbacks", "WeChat callbacks by message type and outcome", ["type", "outcome"])
REPLY_SECONDS = Histogram(
    "tiefen_reply_seconds",
    "Time to answer a WeChat callback (WeChat gives up at 5 s)",
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
JOBS = Counter("tiefen_jobs", "Jobs run, by job and outcome (ok, error)", ["job", "outcome"])
JOB_SECONDS = Histogram("tiefen_job_seconds", "Time a job took", ["job"])
WECHAT_ERRORS = Counter("tiefen_wechat_api_errors", "WeChat API calls that failed, by errcode", ["code"])
CAMPAIGN_SENDS = Counter("tiefen_campaign_sends", "Campaign messages by outcome", ["outcome"])
H5_SDK_ERRORS = Counter(
    "tiefen_h5_sdk_errors", "wx.config failures members' phones reported, by kind", ["kind"]
)

P = ParamSpec("P")
R = TypeVar("R")


def counted(job: Callable[P, R]) -> Callable[P, R]:
    """Count a job's runs and time by outcome; an error is counted and raised again (RQ retries)."""
    name = job.__name__

    @functools.wraps(job)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        token = REQUEST_ID.set(_request_id_of_this_job())
        try:
            result = job(*args, **kwargs)
        except BaseException:
            JOBS.labels(name, "error").inc()
            raise
        finally:
            REQUEST_ID.reset(token)
            JOB_SECONDS.labels(name).observe(time.perf_counter() - started)
        JOBS.labels(name, "ok").inc()
        return result

    return run


def _request_id_of_this_job() -> str | None:
    """The id of the request that enqueued the job this worker runs (None outside a job, or for
    the jobs cron and drains start), so its log lines can be found with the request's."""
    from rq import get_current_job

    job = get_current_job()
    found = job.meta.get("request_id") if job is not None else None
    return found if isinstance(found, str) else REQUEST_ID.get()


class Lag(Collector):
    """Read at scrape time: the oldest pending callback's age and each queue's length."""

    def __init__(self, read: Callable[[], tuple[float, dict[str, int]]]) -> None:
        self.read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            oldest, queues = self.read()
        except Exception as exc:  # a store is down: /readyz says so; metrics still answer
            log.warning("queue lag not read: %s", exc)
            return
        age = GaugeMetricFamily("tiefen_outbox_lag_seconds", "Age of the oldest callback not yet processed")
        age.add_metric([], oldest)
        yield age
        depth = GaugeMetricFamily("tiefen_queue_jobs", "Jobs waiting in each RQ queue", labels=["queue"])
        for queue, n in sorted(queues.items()):
            depth.add_metric([queue], n)
        yield depth


def exposition(lag: Lag) -> bytes:
    """Every process's counters (multiprocess mode) or this one's, and the gauges read now."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in (CALLBACKS, REPLY_SECONDS, JOBS, JOB_SECONDS, WECHAT_ERRORS, CAMPAIGN_SENDS):
            registry.register(collector)
    registry.register(lag)
    return generate_latest(registry)
