"""The drain job: process stored callbacks in batches, set-based, exactly once."""

from __future__ import annotations

import logging
import time

from sqlalchemy.exc import OperationalError

from services import inbound
from tasks import WAKE_KEY, wake_drainer
from tasks.runtime import Runtime, current

log = logging.getLogger(__name__)

BATCH = 500


def drain(batch_size: int = BATCH, budget_seconds: float = 20.0) -> int:
    """Process pending events until none are left (or the time budget is spent). Returns how many.

    Two drains can run at once: each claims rows the other has not locked. A database outage
    (OperationalError) fails the job, and RQ retries it; any other error is pinned on the
    event that causes it, by retrying the batch one event at a time.
    """
    runtime = current()
    runtime.redis.delete(WAKE_KEY)  # from here on, a new event wakes another drain
    processed, deadline = 0, time.monotonic() + budget_seconds
    while True:
        n = _drain_batch(runtime, batch_size)
        processed += n
        if n < batch_size:
            return processed
        if time.monotonic() > deadline:
            wake_drainer(force=True)  # hand the rest to a fresh job; keep jobs short
            return processed


def _drain_batch(runtime: Runtime, batch_size: int) -> int:
    try:
        with runtime.job_sessions.begin() as session:
            events = inbound.claim(session, batch_size)
            if events:
                inbound.apply_batch(session, events)
            return len(events)
    except OperationalError:
        raise
    except Exception:
        log.exception("a batch failed; retrying its events one at a time")
        return _one_at_a_time(runtime, batch_size)


def _one_at_a_time(runtime: Runtime, limit: int) -> int:
    with runtime.job_sessions() as session:
        ids = inbound.pending_ids(session, limit)
    for event_id in ids:
        try:
            with runtime.job_sessions.begin() as session:
                events = inbound.claim(session, 1, only=event_id)
                if events:
                    inbound.apply_batch(session, events)
        except OperationalError:
            raise
        except Exception as exc:
            with runtime.job_sessions.begin() as session:
                attempts = inbound.note_failure(session, event_id, f"{type(exc).__name__}: {exc}")
            log.exception("event %s failed (attempt %s)", event_id, attempts)
    return len(ids)
