"""The back office: RQ jobs, each a few lines over `services`.

Stored callbacks are processed in batches by `tasks.inbound.drain`. The webhook does not
enqueue a job per event: after storing one it *wakes* the drainer (`wake_drainer`), which
most of the time costs nothing at all, and otherwise one Redis command.
"""

from __future__ import annotations

import logging
import time

from redis.exceptions import RedisError
from rq import Retry

from tasks.runtime import Runtime, current

log = logging.getLogger(__name__)

WAKE_KEY = "tiefen:drain:wanted"
WAKE_TTL = 60  # if a queued drain job is lost, the next event after this wakes a new one
DRAIN_RETRY = Retry(max=3, interval=[5, 30, 120])


def linger(runtime: Runtime) -> float:
    """How long a drain keeps polling after its last work; the embedded mode runs drains inline."""
    return 0.0 if runtime.embedded else runtime.settings.drain_linger


def wake_drainer(force: bool = False) -> bool:
    """Make sure a drain job sees every event committed before this call. Never raises.

    The key WAKE_KEY exists while a drain job waits in the queue; the job deletes it when it
    starts, then polls for pending events until it has found none for `linger` seconds. So:
    - seeing the key (set by us or another process) at time T means a job starts after T and
      polls until after T + linger: any event committed before T + linger is seen by it;
    - hence a process that saw the key less than linger/2 ago need not ask again (no Redis
      round trip on the webhook's path at all, most of the time);
    - otherwise one SET NX: set by us, we enqueue the job; already there, one waits.
    Call only after the event's commit. Failures are logged; the sweeper covers them.
    """
    runtime = current()
    now = time.monotonic()  # taken before the SET: the job starts after it
    if not force and now - runtime.last_saw_drain_waiting < linger(runtime) / 2:
        return False
    try:
        created = runtime.redis.set(WAKE_KEY, 1, nx=True, ex=WAKE_TTL)
        if created or force:
            runtime.queue("events").enqueue("tasks.inbound.drain", retry=DRAIN_RETRY, result_ttl=60)
        runtime.last_saw_drain_waiting = now
        return bool(created or force)
    except RedisError as exc:
        log.warning("could not wake the drainer (%s); the sweeper will", exc)
        return False
