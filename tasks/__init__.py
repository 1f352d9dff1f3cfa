"""The back office: RQ jobs, enqueued by id after commit, each a few lines over `services`."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from rules.keys import inbound_job_id
from tasks.runtime import current

log = logging.getLogger(__name__)

INBOUND_RETRY = Retry(max=3, interval=[5, 30, 120])
_FINISHED = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED}


def enqueue_inbound(event_id: int) -> bool:
    """Hand a stored event to the `events` queue. Never raises: the sweeper covers a failure.

    Call only after the transaction that stored the event has committed.
    """
    try:
        queue = current().queue("events")
        return enqueue_once(queue, "tasks.inbound.process", event_id, job_id=inbound_job_id(event_id))
    except RedisError as exc:
        log.warning("event %s stored but not enqueued (%s); the sweeper will retry", event_id, exc)
        return False


def enqueue_once(
    queue: Queue, func: str, *args: Any, job_id: str, retry: Retry | None = INBOUND_RETRY
) -> bool:
    """Enqueue unless a live job with this id exists; a dead one (failed, stopped) is replaced."""
    if not queue.is_async:  # the embedded mode runs it now; nothing can be queued twice
        queue.enqueue(func, *args, job_id=job_id)
        return True
    try:
        queue.enqueue(func, *args, job_id=job_id, unique=True, retry=retry)
        return True
    except DuplicateJobError:
        pass
    try:
        job = Job.fetch(job_id, connection=queue.connection)
    except NoSuchJobError:
        job = None
    if job is not None and job.get_status() not in _FINISHED:
        return False  # queued, scheduled for a retry, or running
    if job is not None:
        job.delete()
    queue.enqueue(func, *args, job_id=job_id, unique=True, retry=retry)
    return True
