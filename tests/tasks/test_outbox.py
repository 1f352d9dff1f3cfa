"""The outbox: an event stored while Redis is down is not lost; failures are counted, not dropped."""

from __future__ import annotations

import pytest
from redis import Redis

from models import EventStatus, InboundEvent
from services import inbound
from tasks import enqueue_once
from tasks import inbound as inbound_jobs
from tasks.sweeper import sweep_outbox
from tests.conftest import real_only
from tests.factories import count, events, member


@pytest.fixture
def redis_down(app, monkeypatch):
    """Make the app's Redis unreachable (connection refused), as if the server had stopped."""
    runtime = app.extensions["tiefen"].runtime

    def stop() -> None:
        if runtime.embedded:
            runtime.redis.connection_pool.connection_kwargs["server"].connected = False
        else:
            dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
            monkeypatch.setattr(runtime, "redis", dead)
            runtime._queues.clear()

    def start() -> None:
        if runtime.embedded:
            runtime.redis.connection_pool.connection_kwargs["server"].connected = True
        else:
            monkeypatch.undo()
            runtime._queues.clear()

    return stop, start


def test_an_event_stored_while_redis_is_down_is_swept_once_redis_is_back(
    wechat, session, run_jobs, redis_down
):
    stop, start = redis_down
    stop()
    d = wechat.send(wechat.subscribe("oDown1"))
    assert d.status_code == 200 and "欢迎关注" in d.content  # the reply still goes out
    wechat.send(wechat.unsubscribe("oDown1"))
    assert [e.status for e in events(session)] == ["pending", "pending"]
    start()
    assert sweep_outbox(grace_seconds=0) == 2
    run_jobs()
    assert [e.status for e in events(session)] == ["done", "done"]
    assert not member(session, "oDown1").following
    assert sweep_outbox(grace_seconds=0) == 0  # nothing left to hand out


def test_the_sweeper_leaves_young_events_alone(wechat, session, redis_down):
    stop, start = redis_down
    stop()
    wechat.send(wechat.subscribe("oDown2"))
    start()
    assert sweep_outbox(grace_seconds=3600) == 0
    assert [e.status for e in events(session)] == ["pending"]


def test_processing_twice_applies_once(wechat, session, run_jobs, app):
    wechat.send(wechat.subscribe("oTwice1"))
    wechat.send(wechat.unsubscribe("oTwice1"))
    run_jobs()
    first, second = events(session)
    assert inbound_jobs.process(second.id) == "skipped"
    assert not member(session, "oTwice1").following


def test_a_failing_job_is_counted_then_parked_as_failed(wechat, session, app, monkeypatch, redis_down):
    stop, start = redis_down
    stop()
    wechat.send(wechat.text("oFail1", "hi"))
    start()
    (event,) = events(session)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(inbound.members, "ensure_member", broken)
    for attempt in range(1, inbound.MAX_ATTEMPTS + 1):
        with pytest.raises(RuntimeError):
            inbound_jobs.process(event.id)
        (event,) = events(session)
        assert event.attempts == attempt
    assert event.status == EventStatus.FAILED and "disk on fire" in event.last_error
    assert sweep_outbox(grace_seconds=0) == 0  # parked: an operator looks at it
    assert count(session, InboundEvent) == 1


@real_only
def test_enqueue_once_keeps_a_live_job_and_replaces_a_finished_one(app, run_jobs):
    queue = app.extensions["tiefen"].runtime.queue("events")
    assert enqueue_once(queue, "tasks.inbound.process", 987654, job_id="inbound-987654")
    assert not enqueue_once(queue, "tasks.inbound.process", 987654, job_id="inbound-987654")  # still queued
    assert run_jobs() == 1
    assert enqueue_once(queue, "tasks.inbound.process", 987654, job_id="inbound-987654")
    assert run_jobs() == 1


@real_only
def test_a_failing_job_is_retried_by_rq_with_backoff(wechat, session, app, run_jobs, monkeypatch):
    from rq.job import Job, JobStatus

    def broken(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(inbound.members, "ensure_member", broken)
    wechat.send(wechat.text("oRetryJob1", "hi"))
    run_jobs()
    (event,) = events(session)
    job = Job.fetch(f"inbound-{event.id}", connection=app.extensions["tiefen"].runtime.redis)
    assert job.get_status() == JobStatus.SCHEDULED and job.retries_left == 2  # 5 s later, then 30 s, 120 s
    assert event.attempts == 1 and event.status == EventStatus.PENDING
    assert sweep_outbox(grace_seconds=0) == 0  # a retry is on its way: no second copy
