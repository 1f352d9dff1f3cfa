"""Each award once: racing drains, a drain replayed, a worker killed between commit and acknowledgement."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import func, select

from models import EventStatus, InboundEvent, LedgerEntry, Member, utcnow
from services.inbound import awards
from tasks import inbound as inbound_jobs
from tests.conftest import real_only
from tests.factories import count, shanghai


def store_follows_and_checkins(wechat, redis_down, n: int) -> None:
    """Store `n` follows and check-ins while no drain can run (so they all wait)."""
    stop, start = redis_down
    stop()
    for i in range(n):
        wechat.send(wechat.subscribe(f"oOnce{i:04d}", create_time=shanghai(-1)))
        wechat.send(wechat.text(f"oOnce{i:04d}", "签到", create_time=shanghai(0)))
    start()


def check_each_award_once(session, n: int) -> None:
    session.expire_all()
    assert count(session, InboundEvent, InboundEvent.status != EventStatus.DONE) == 0
    assert count(session, LedgerEntry) == 2 * n  # a follow bonus and a check-in each
    totals = session.execute(select(func.sum(Member.points_balance), func.count(Member.id))).one()
    assert totals == (60 * n, n)


def test_two_drains_racing_over_the_same_events_award_each_once(app, wechat, session, redis_down):
    store_follows_and_checkins(wechat, redis_down, 60)
    barrier = threading.Barrier(2)

    def race() -> None:
        barrier.wait()
        inbound_jobs.drain(batch_size=7)

    threads = [threading.Thread(target=race) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check_each_award_once(session, 60)


def test_replaying_a_done_batch_credits_nothing_again(app, wechat, session, run_jobs):
    wechat.send(wechat.subscribe("oOnceReplay", create_time=shanghai(-1)))
    wechat.send(wechat.text("oOnceReplay", "签到", create_time=shanghai(0)))
    run_jobs()
    events = list(session.scalars(select(InboundEvent)))
    member_ids = {(e.account_id, e.openid): session.scalar(select(Member.id)) for e in events}
    outcome = awards.award_batch(session, events, member_ids, utcnow())
    session.commit()
    assert outcome.credited == 0
    check_each_award_once(session, 1)


@real_only
def test_a_worker_killed_after_the_commit_before_acknowledging_awards_once(
    app, wechat, session, redis_down, config
):
    store_follows_and_checkins(wechat, redis_down, 20)
    runtime = app.extensions["tiefen"].runtime
    runtime.queue("events").enqueue("tests.tasks.dying.drain_then_die")
    env = {
        **os.environ,
        "DATABASE_URL": config["DATABASE_URL"],
        "REDIS_URL": config["REDIS_URL"],
        "DRAIN_LINGER": "0",
        "SECRET_KEY": "exactly-once-" + "k" * 32,
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),  # the repository
    }
    rq = str(Path(sys.executable).parent / "rq")
    died = subprocess.run(
        [rq, "worker", "--burst", "-w", "rq.worker.SimpleWorker", "-u", config["REDIS_URL"], "events"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert died.returncode != 0  # it really died mid-job
    check_each_award_once(session, 20)
    # WeChat and the sweeper keep going: a fresh drain finds nothing left to do
    assert inbound_jobs.drain() == 0
    check_each_award_once(session, 20)


def test_two_drains_splitting_a_burst_through_one_code_agree(app, wechat, session, redis_down, run_jobs):
    from models import Referral
    from tests.services.referrals.test_attribution import code_of, follower

    alice = follower(wechat, run_jobs, session, "oBurstHost")
    scene = code_of(session, alice)
    stop, start = redis_down
    stop()
    at = shanghai(0)
    for i in range(7):  # seven follows through one code within a second
        wechat.send(wechat.subscribe(f"oBurstRace{i}", scene=scene, create_time=at))
    start()
    barrier = threading.Barrier(2)

    def race() -> None:
        barrier.wait()
        inbound_jobs.drain(batch_size=3)

    threads = [threading.Thread(target=race) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    session.expire_all()
    statuses = sorted(session.scalars(select(Referral.status).where(Referral.referrer_id == alice.id)))
    assert statuses == ["held"] * 4 + ["review"] * 3  # the 5th, 6th and 7th judged, whichever drain
