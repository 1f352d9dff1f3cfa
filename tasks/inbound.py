"""The drain job: process stored callbacks in batches, set-based, exactly once."""

from __future__ import annotations

import logging
import time

from sqlalchemy.exc import OperationalError

import logs
from metrics import counted
from services.inbound import outbox as inbound
from tasks import WAKE_KEY, linger, wake_drainer
from tasks.points import announce
from tasks.referrals import queue_posters
from tasks.runtime import Runtime, current
from wechat.events import mass_job_report

log = logging.getLogger(__name__)

BATCH = 2000


POLL_SECONDS = 0.02


@counted
def drain(batch_size: int = BATCH, budget_seconds: float = 60.0) -> int:
    """Process pending events until none have come for `linger` seconds. Returns how many.

    Two drains can run at once: each claims rows the other has not locked. A database outage
    (OperationalError) fails the job, and RQ retries it; any other error is pinned on the
    event that causes it, by retrying the batch one event at a time. After `budget_seconds`
    of steady work the job hands over to a fresh one, so that jobs stay short.
    """
    runtime = current()
    runtime.redis.delete(WAKE_KEY)  # from here on, a new event wakes another drain
    wait = linger(runtime)
    processed, started = 0, time.monotonic()
    quiet_since = started
    failed: set[int] = set()  # events that failed in this run wait for the next one
    while True:
        polled_at = time.monotonic()
        n, deferred = _drain_batch(runtime, batch_size, failed)
        processed += n
        if n:
            quiet_since = time.monotonic()
        elif deferred:
            time.sleep(POLL_SECONDS)  # another drain holds those members: theirs in a moment
        elif polled_at - quiet_since >= wait:
            return processed  # this poll began `wait` after the last work and found nothing
        else:
            time.sleep(POLL_SECONDS)
        if time.monotonic() - started > budget_seconds:
            wake_drainer(force=True)
            return processed


def _drain_batch(runtime: Runtime, batch_size: int, failed: set[int]) -> tuple[int, int]:
    """One batch in one transaction: (events applied, events left for later because busy)."""
    try:
        with runtime.job_sessions.begin() as session:
            events = inbound.claim(session, batch_size, exclude=failed)
            outcome = inbound.apply_batch(session, events, mass_job_report) if events else None
        if outcome is None:
            return 0, 0
        announce(outcome.tier_changes)  # committed: the notice job will find them
        queue_posters(outcome.posters)
        return len(events) - outcome.deferred, outcome.deferred
    except OperationalError:
        raise
    except Exception:
        log.exception("a batch failed; retrying its events one at a time")
        return _one_at_a_time(runtime, batch_size, failed), 0


def _one_at_a_time(runtime: Runtime, limit: int, failed: set[int]) -> int:
    """Process events one per transaction; note failures on the events. Returns how many passed."""
    with runtime.job_sessions() as session:
        ids = inbound.pending_ids(session, limit, exclude=failed)
    for event_id in ids:
        request_id = None
        try:
            with runtime.job_sessions.begin() as session:
                events = inbound.claim(session, 1, only=event_id)
                request_id = events[0].request_id if events else None
                outcome = inbound.apply_batch(session, events, mass_job_report) if events else None
            if outcome:
                announce(outcome.tier_changes)
                queue_posters(outcome.posters)
        except OperationalError:
            raise
        except Exception as exc:
            failed.add(event_id)
            with runtime.job_sessions.begin() as session:
                attempts = inbound.note_failure(session, event_id, f"{type(exc).__name__}: {exc}")
            with logs.bound(request_id):  # the line is found with the request that stored the event
                log.exception("event %s failed (attempt %s)", event_id, attempts)
    return len(ids) - len(failed.intersection(ids))
