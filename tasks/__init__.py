"""The back office: RQ jobs, each a few lines over `services`.

Stored callbacks are processed in batches by `tasks.inbound.drain`. The webhook does not
enqueue a job per event: after its commit it *wakes* the drainer, which costs one Redis
command while a drain job is already waiting (see `wake_drainer`).
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rq import Retry

from tasks.runtime import current

log = logging.getLogger(__name__)

WAKE_KEY = "tiefen:drain:wanted"
WAKE_TTL = 60  # if a queued drain job is lost, the next event after this wakes a new one
DRAIN_RETRY = Retry(max=3, interval=[5, 30, 120])


def wake_drainer(force: bool = False) -> bool:
    """Make sure a drain job starts after this moment. Never raises: the sweeper covers failures.

    The key is set while a drain job waits in the queue; the job deletes it when it starts,
    before it claims events. So an event committed before this call is either seen by the
    waiting job (which has not started claiming yet) or, if none waits, by the job enqueued
    here. Call only after the transaction that stored the event has committed.
    """
    try:
        runtime = current()
        if not force and not runtime.redis.set(WAKE_KEY, 1, nx=True, ex=WAKE_TTL):
            return False
        runtime.queue("events").enqueue("tasks.inbound.drain", retry=DRAIN_RETRY, result_ttl=60)
        return True
    except RedisError as exc:
        log.warning("could not wake the drainer (%s); the sweeper will", exc)
        return False
