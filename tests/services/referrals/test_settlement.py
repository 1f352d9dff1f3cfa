"""After the hold: referrers are paid once, within caps, with ladder steps; leavers and ghosts are not."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import LedgerEntry, PointTaskRow, Programme, utcnow
from services.referrals import rewards as referral_rewards
from tasks.referrals import settle_referrals
from tests.factories import ledger_of, member
from tests.services.referrals.test_attribution import code_of, follower, referral_of

LATER = timedelta(days=4)


def bring(wechat, run_jobs, session, scene: str, openid: str, at: int, interact: bool = True) -> None:
    wechat.send(wechat.subscribe(openid, scene=scene, create_time=at))
    if interact:
        wechat.send(wechat.text(openid, "签到", create_time=at + 60))
    run_jobs()


def settle(session, after: timedelta = LATER):
    outcome = referral_rewards.settle_due(session, utcnow() + after)
    session.commit()
    return outcome


def referrer_awards(session, openid: str) -> list[tuple[str, int]]:
    return [(k, d) for k, d, _ in ledger_of(session, openid) if k.startswith("referral")]


def test_a_friend_who_stays_and_interacts_pays_the_referrer_once(wechat, session, run_jobs):
    alice = follower(wechat, run_jobs, session, "oAlice11")
    bring(wechat, run_jobs, session, code_of(session, alice), "oFriend11", int(time.time()) - 60)
    assert settle(session, timedelta(days=1)).decided == {}  # still holding
    assert settle(session).decided == {"paid": 1}
    assert settle(session).decided == {}  # nothing left, nothing twice
    assert referrer_awards(session, "oAlice11") == [("referral", 100)]
    r = referral_of(session, "oFriend11")
    assert (r.status, r.reward_points, r.decided_by) == ("paid", 100, "rules")


def test_a_friend_who_leaves_inside_the_hold_voids_the_reward(wechat, session, run_jobs):
    alice = follower(wechat, run_jobs, session, "oAlice12")
    t = int(time.time()) - 120
    bring(wechat, run_jobs, session, code_of(session, alice), "oLeaver12", t)
    wechat.send(wechat.unsubscribe("oLeaver12", create_time=t + 90))
    run_jobs()
    assert settle(session, timedelta(0)).decided == {"voided": 1}  # at once: no need to wait
    r = referral_of(session, "oLeaver12")
    assert (r.status, r.reasons) == ("voided", ["unfollowed"])
    assert referrer_awards(session, "oAlice12") == []


def test_a_friend_who_never_does_anything_goes_to_review_and_the_merchant_decides(wechat, session, run_jobs):
    alice = follower(wechat, run_jobs, session, "oAlice13")
    scene = code_of(session, alice)
    t = int(time.time()) - 120
    bring(wechat, run_jobs, session, scene, "oGhost13", t, interact=False)
    bring(wechat, run_jobs, session, scene, "oGhost23", t + 1, interact=False)
    assert settle(session).decided == {"review": 2}
    ghost, other = referral_of(session, "oGhost13"), referral_of(session, "oGhost23")
    assert ghost.reasons == ["no_interaction"]
    referral_rewards.review(session, alice.account_id, ghost.id, approve=True, now=utcnow())
    referral_rewards.review(session, alice.account_id, other.id, approve=False, now=utcnow())
    session.commit()
    assert referrer_awards(session, "oAlice13") == [("referral", 100)]
    assert (referral_of(session, "oGhost23").status, referral_of(session, "oGhost23").reasons) == (
        "voided",
        ["no_interaction", "merchant_rejected"],
    )
    with pytest.raises(referral_rewards.NotReviewable):
        referral_rewards.review(session, alice.account_id, ghost.id, approve=True, now=utcnow())


def test_a_burst_approved_by_the_merchant_pays_both_sides(wechat, session, run_jobs):
    alice = follower(wechat, run_jobs, session, "oAlice14")
    scene = code_of(session, alice)
    t = int(time.time()) - 600
    for i in range(5):
        bring(wechat, run_jobs, session, scene, f"oBurst14{i}", t + i)
    held = referral_of(session, "oBurst144")
    assert held.status == "review"
    referral_rewards.review(session, alice.account_id, held.id, approve=True, now=utcnow())
    session.commit()
    assert [x for x in ledger_of(session, "oBurst144") if x[0] == "referee"] == [("referee", 30, "award")]


def test_ladder_steps_and_caps(wechat, session, run_jobs):
    alice = follower(wechat, run_jobs, session, "oAlice15")
    session.execute(
        PointTaskRow.__table__.update()
        .where(PointTaskRow.action == "referral", PointTaskRow.account_id == alice.account_id)
        .values(daily_cap=3)
    )
    programme = session.get(Programme, alice.account_id)
    programme.referral_ladder = [[2, 40], [3, 70]]
    programme.referral_burst = [50, 10]
    session.commit()
    scene = code_of(session, alice)
    t = int(time.time()) - 3600
    for i in range(4):
        bring(wechat, run_jobs, session, scene, f"oLadder15{i}", t + i * 60)
    assert settle(session).decided == {"paid": 3, "capped": 1}
    assert sorted(referrer_awards(session, "oAlice15")) == [
        ("referral", 100),
        ("referral", 100),
        ("referral", 100),
        ("referral_ladder", 40),
        ("referral_ladder", 70),
    ]
    capped = referral_of(session, "oLadder153")
    assert (capped.status, capped.reasons, capped.reward_points) == ("capped", ["daily_cap"], 0)
    assert member(session, "oAlice15").points_balance == 50 + 300 + 110


def test_the_settlement_job_settles_everything_due(app, wechat, session, run_jobs):
    alice = follower(wechat, run_jobs, session, "oAlice16")
    session.get(Programme, alice.account_id).referral_hold_days = 0
    session.commit()
    bring(wechat, run_jobs, session, code_of(session, alice), "oFriend16", int(time.time()) - 60)
    assert settle_referrals() == {"paid": 1, "points": 100}
    assert settle_referrals() == {"points": 0}
    keys = session.scalars(select(LedgerEntry.key).where(LedgerEntry.member_id == alice.id)).all()
    assert sum(k.startswith("referral:") for k in keys) == 1
