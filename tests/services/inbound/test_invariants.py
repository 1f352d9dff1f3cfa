"""The invariant checker: clean after a run, and each invariant reported when broken."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from models import InboundEvent, Member, Reward, utcnow
from services.inbound import invariants
from tests.factories import shanghai


def _run(wechat, run_jobs):
    for i in range(3):
        wechat.send(wechat.subscribe(f"oInv{i}", create_time=shanghai(-1)))
        wechat.send(wechat.text(f"oInv{i}", "签到", create_time=shanghai(0)))
    run_jobs()


def test_a_run_is_clean_and_says_what_it_looked_at(wechat, run_jobs, session):
    _run(wechat, run_jobs)
    accepted = [(a, k) for a, k in session.execute(select(InboundEvent.account_id, InboundEvent.dedup_key))]
    verdict = invariants.check(session, accepted=accepted, received=[(1, "oInv0"), (1, "oInv1")], notified=[])
    assert verdict.clean, verdict.lines()
    assert verdict.counts["callbacks"] == 6 and verdict.counts["ledger rows"] == 6
    assert verdict.lines()[0].startswith("invariants: clean (6 callbacks")


def test_each_broken_invariant_is_named(wechat, run_jobs, session, app):
    _run(wechat, run_jobs)
    account_id = session.scalar(select(Member.account_id))
    session.execute(update(Member).where(Member.openid == "oInv0").values(points_balance=999))
    session.execute(update(Member).where(Member.openid == "oInv1").values(points_balance=-5))
    session.add(Reward(account_id=account_id, name="杯子", kind="gift", points_price=10, stock=-1))
    session.execute(
        update(InboundEvent)
        .where(InboundEvent.openid == "oInv2")
        .values(status="pending", received_at=utcnow() - timedelta(minutes=10))
    )
    session.commit()
    verdict = invariants.check(
        session,
        accepted=[(account_id, "never-stored")],
        received=[(7, "oInv0"), (7, "oInv0")],
        notified=["oInv1"],  # its tier never changed
    )
    assert set(verdict.violations) == {
        "an accepted callback not stored",
        "a callback stuck in the outbox",
        "a balance that is not its ledger's sum",
        "a negative balance",
        "a negative stock",
        "a campaign message WeChat received twice",
        "a tier notice WeChat received twice",
    }
    assert verdict.violations["a campaign message WeChat received twice"] == ["campaign 7 → oInv0"]
    assert verdict.violations["a tier notice WeChat received twice"] == ["oInv1: 1 for 0"]
    assert not verdict.clean and verdict.lines()[0].startswith("invariants: 7 violated")
