"""Referrals in the console: the review queue with its reasons in Chinese, approve and reject (audited),
the top referrers and a member's tree; readers and other accounts keep out."""

from __future__ import annotations

import time

from sqlalchemy import select

from models import AuditEntry, Referral
from services.accounts.members import ensure_members
from services.accounts.registry import save_account
from tests.factories import count
from tests.services.referrals.test_attribution import code_of, follower


def _burst(wechat, run_jobs, session, friends: int = 6):
    alice = follower(wechat, run_jobs, session, "oConAlice1")
    scene = code_of(session, alice)
    t = int(time.time()) - 600
    for i in range(friends):
        wechat.send(wechat.subscribe(f"oConFriend{i}", scene=scene, create_time=t + i))
    run_jobs()
    session.expire_all()
    return list(session.scalars(select(Referral).where(Referral.status == "review").order_by(Referral.id)))


def test_the_queue_shows_reasons_and_approve_and_reject_decide(sign_in, wechat, run_jobs, session):
    review = _burst(wechat, run_jobs, session)
    assert len(review) == 2
    owner = sign_in("operator", "运营小王")
    page = owner.get("/console/referrals")
    assert page.status_code == 200
    assert page.text.count("短时间内推荐人数异常多") == 2  # the burst, in words a merchant reads
    assert "待审核" in page.text and "观察期中" in page.text and "oConFriend5" in page.text
    assert "推荐排行" in page.text and "/console/referrals/members/oConAlice1" in page.text
    first, second = review
    assert owner.post(f"/console/referrals/{first.id}/approve").status_code == 302
    assert owner.post(f"/console/referrals/{second.id}/reject").status_code == 302
    session.expire_all()
    assert (session.get(Referral, first.id).status, session.get(Referral, first.id).reward_points) == (
        "paid",
        100,
    )
    assert session.get(Referral, second.id).status == "voided"
    again = owner.post(f"/console/referrals/{second.id}/approve")
    assert again.status_code == 302 and "已处理过" in owner.get("/console/referrals").text
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "referrals_decide")).all()
    assert [e.record for e in entries][:2] == [
        f"/console/referrals/{first.id}/approve",
        f"/console/referrals/{second.id}/reject",
    ]
    assert all(e.actor == "运营小王" for e in entries)
    assert owner.post(f"/console/referrals/{first.id}/maybe").status_code == 404


def test_a_members_tree_lists_their_referrals(sign_in, wechat, run_jobs, session):
    _burst(wechat, run_jobs, session, friends=2)
    viewer = sign_in("viewer")
    tree = viewer.get("/console/referrals/members/oConAlice1")
    assert tree.status_code == 200 and "oConFriend0" in tree.text and "oConFriend1" in tree.text
    assert viewer.get("/console/referrals/members/oConFriend0").text.count("oConAlice1") >= 1  # the upline
    assert viewer.get("/console/referrals/members/oNobody").status_code == 404


def test_readers_cannot_decide(sign_in, wechat, run_jobs, session):
    review = _burst(wechat, run_jobs, session)
    for role in ("viewer", "cashier"):
        person = sign_in(role, f"{role}-x")
        page = person.get("/console/referrals")
        assert page.status_code == 200 and "通过并发放奖励" not in page.text
        assert person.post(f"/console/referrals/{review[0].id}/approve").status_code == 403
    session.expire_all()
    assert session.get(Referral, review[0].id).status == "review"


def test_another_accounts_referral_is_not_found(sign_in, session, app):
    other, _ = save_account(session, "wxother000000002", "隔壁小店", "othertoken")
    ids = ensure_members(session, other.id, ["oOtherUp", "oOtherDown"])
    from models import utcnow

    r = Referral(
        account_id=other.id,
        referrer_id=ids["oOtherUp"],
        referee_id=ids["oOtherDown"],
        scene="m1-x",
        bound_at=utcnow(),
        status="review",
        reasons=["burst"],
    )
    session.add(r)
    session.commit()
    owner = sign_in("owner")
    owner.get("/console/referrals")
    assert owner.post(f"/console/referrals/{r.id}/approve").status_code == 404
    assert owner.get("/console/referrals/members/oOtherUp").status_code == 404
    assert "oOtherDown" not in owner.get("/console/referrals").text
    session.expire_all()
    assert session.get(Referral, r.id).status == "review"
    assert count(session, AuditEntry, AuditEntry.action == "referrals_decide") == 0
