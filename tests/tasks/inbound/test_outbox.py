"""The outbox: an event stored while Redis is down is not lost; failures are counted, not dropped."""

from __future__ import annotations

import pytest

from models import EventStatus, InboundEvent
from services.inbound import outbox as inbound
from tasks import inbound as inbound_jobs
from tasks import wake_drainer
from tasks.sweeper import sweep_outbox
from tests.conftest import real_only
from tests.factories import count, events, member


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
    assert sweep_outbox(grace_seconds=0) == 0  # nothing left waiting


def test_the_sweeper_leaves_young_events_alone(wechat, session, redis_down):
    stop, start = redis_down
    stop()
    wechat.send(wechat.subscribe("oDown2"))
    start()
    assert sweep_outbox(grace_seconds=3600) == 0
    assert [e.status for e in events(session)] == ["pending"]


def test_draining_again_changes_nothing(wechat, session, run_jobs, app):
    wechat.send(wechat.subscribe("oTwice1"))
    wechat.send(wechat.unsubscribe("oTwice1"))
    run_jobs()
    assert inbound_jobs.drain() == 0
    assert not member(session, "oTwice1").following
    assert [e.status for e in events(session)] == ["done", "done"]


def test_a_drained_event_names_its_member(wechat, session, run_jobs):
    wechat.send(wechat.subscribe("oWhose1"))
    wechat.send(wechat.text("oWhose1", "签到"))
    wechat.send(wechat.subscribe("oWhose2"))
    run_jobs()
    one, two = member(session, "oWhose1").id, member(session, "oWhose2").id
    assert [(e.status, e.member_id) for e in events(session)] == [("done", one), ("done", one), ("done", two)]


def test_the_drainer_is_woken_once_while_a_drain_waits(app, redis_down, run_jobs):
    if app.extensions["tiefen"].runtime.embedded:
        pytest.skip("the embedded mode runs the drain at once, so nothing ever waits")
    assert wake_drainer() and not wake_drainer() and not wake_drainer()
    assert run_jobs() == 1
    assert wake_drainer()  # the drain started: a new event needs a new one


def test_a_poison_event_is_pinned_counted_and_parked_while_others_pass(
    wechat, session, app, monkeypatch, redis_down
):
    stop, start = redis_down
    stop()
    wechat.send(wechat.text("oFail1", "hi"))
    wechat.send(wechat.text("oFine1", "hi"))
    start()
    real = inbound.members.lock_members

    def broken(db, account_id, openids):
        if "oFail1" in openids:
            raise RuntimeError("disk on fire")
        return real(db, account_id, openids)

    monkeypatch.setattr(inbound.members, "lock_members", broken)
    for attempt in range(1, inbound.MAX_ATTEMPTS + 1):
        inbound_jobs.drain()
        bad, good = events(session)
        assert bad.attempts == attempt and good.status == EventStatus.DONE
    assert bad.status == EventStatus.FAILED and "disk on fire" in bad.last_error
    assert sweep_outbox(grace_seconds=0) == 0  # parked: an operator looks at it
    assert count(session, InboundEvent) == 2


@real_only
def test_a_database_outage_fails_the_drain_and_rq_retries_it(wechat, session, app, run_jobs, monkeypatch):
    from rq.job import JobStatus
    from rq.registry import ScheduledJobRegistry
    from sqlalchemy.exc import OperationalError

    def outage(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(inbound.members, "lock_members", outage)
    wechat.send(wechat.text("oRetryJob1", "hi"))
    run_jobs()
    runtime = app.extensions["tiefen"].runtime
    (job_id,) = ScheduledJobRegistry(queue=runtime.queue("events")).get_job_ids()
    job = runtime.queue("events").fetch_job(job_id)
    assert job.get_status() == JobStatus.SCHEDULED and job.retries_left == 2  # 5 s later, then 30 s, 120 s
    (event,) = events(session)
    assert event.attempts == 0 and event.status == EventStatus.PENDING  # an outage is not the event's fault


@real_only
def test_a_process_that_just_saw_a_drain_waiting_does_not_ask_redis_again(config, run_jobs):
    from app import create_app
    from tasks import WAKE_KEY

    app = create_app({**config, "DRAIN_LINGER": 30.0})
    redis = app.extensions["tiefen"].runtime.redis
    try:
        assert wake_drainer()
        redis.delete(WAKE_KEY)  # were Redis asked, the next call would enqueue a second drain
        assert not wake_drainer() and not redis.exists(WAKE_KEY)
        assert len(app.extensions["tiefen"].runtime.queue("events")) == 1
    finally:
        app.extensions["tiefen"].runtime.dispose()


def test_a_failed_events_line_carries_the_request_that_stored_it(wechat, session, monkeypatch, redis_down):
    """The drain works for many requests at once; its line about one failed event is found with
    the web request that stored that event (its X-Request-Id, kept in the outbox)."""
    import logging

    import requests

    from logs import REQUEST_ID

    stop, start = redis_down
    stop()
    sent = wechat.prepare(wechat.text("oFail2", "hi"))
    headers = {"X-Request-Id": "cb-fail-2", "Content-Type": "text/xml"}
    answer = requests.post(wechat.url, params=sent.params, data=sent.body, headers=headers, timeout=10)
    assert answer.status_code == 200 and answer.headers["X-Request-Id"] == "cb-fail-2"
    start()
    (stored,) = events(session)
    assert stored.request_id == "cb-fail-2"

    def broken(db, account_id, openids):
        raise RuntimeError("disk on fire")

    seen: list[tuple[str, str | None]] = []

    class Seen(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append((record.getMessage(), REQUEST_ID.get()))

    monkeypatch.setattr(inbound.members, "lock_members", broken)
    handler, token = Seen(), REQUEST_ID.set("the-drains-own")  # the request that woke the drain
    logging.getLogger("tasks.inbound").addHandler(handler)
    try:
        inbound_jobs.drain()
    finally:
        logging.getLogger("tasks.inbound").removeHandler(handler)
        REQUEST_ID.reset(token)
    assert seen == [
        ("a batch failed; retrying its events one at a time", "the-drains-own"),
        (f"event {stored.id} failed (attempt 1)", "cb-fail-2"),
    ]
