"""The outbox sweeper: hand out again what was stored but never processed."""

from __future__ import annotations

from datetime import timedelta

from rules.keys import inbound_job_id
from services import inbound
from tasks import enqueue_once
from tasks.runtime import current

GRACE = timedelta(seconds=60)  # longer than a healthy enqueue-to-done takes


def sweep_outbox(grace_seconds: int = int(GRACE.total_seconds()), limit: int = 1000) -> int:
    """Re-enqueue events pending for longer than the grace period. Returns how many were enqueued."""
    rt = current()
    with rt.sessions.begin() as session:
        stale = inbound.claim_stale(session, timedelta(seconds=grace_seconds), limit)
    queue = rt.queue("events")
    return sum(enqueue_once(queue, "tasks.inbound.process", i, job_id=inbound_job_id(i)) for i in stale)
