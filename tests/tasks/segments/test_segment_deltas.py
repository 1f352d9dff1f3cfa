"""Referral sums in incremental runs: a referrer's second-degree and downstream counts move by its
touched referees' changes (on PostgreSQL, without reading the other referees again)."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from models import Checkin, MemberScore, MemberTag, Referral, utcnow
from tasks.segments import score_members
from tests.conftest import real_only
from tests.factories import member

pytestmark = pytest.mark.usefixtures("scoring_connections")


def downstream(session, member_id):
    session.expire_all()
    score = session.get(MemberScore, member_id)
    return score.downstream, score.parts.get("downstream_activity", 0)


def refer(session, referrer, referee, status="paid"):
    session.add(
        Referral(
            account_id=referrer.account_id,
            referrer_id=referrer.id,
            referee_id=referee.id,
            scene=f"m{referrer.id}-{referee.id}",
            bound_at=utcnow(),
            status=status,
            reasons=[],
        )
    )


def family(wechat, session, run_jobs, prefix):
    """A referrer with two live referees, one of whom refers a third member; all scored in full."""
    t = int(time.time()) - 7200
    openids = [f"{prefix}{i:05d}" for i in range(4)]
    for i, openid in enumerate(openids):
        wechat.send(wechat.subscribe(openid, create_time=t + i))
    run_jobs()
    top, a, b, c = (member(session, o) for o in openids)
    refer(session, top, a)
    refer(session, top, b)
    refer(session, a, c, status="held")
    session.commit()
    score_members(full=True)
    return top, a, b, c


def test_a_referees_new_activity_moves_its_referrers_downstream(wechat, session, run_jobs):
    top, a, b, c = family(wechat, session, run_jobs, "oDelta")
    assert downstream(session, top.id) == (0, 0)
    wechat.send(wechat.text(a.openid, "签到"))
    wechat.send(wechat.text(c.openid, "评价 5 环境很好,咖啡也香,店员热情"))
    run_jobs()
    assert score_members()["scored"] == 3  # a, c, and top (a's referrer and c's referrer's referrer)
    assert downstream(session, top.id) == (1, 0.2)  # a's check-in
    assert downstream(session, a.id)[0] == 1  # c's review
    incremental = {
        s.member_id: (s.influence, s.parts, s.second_degree, s.downstream) for s in all_scores(session)
    }
    score_members(full=True)
    full = {s.member_id: (s.influence, s.parts, s.second_degree, s.downstream) for s in all_scores(session)}
    assert incremental == full


@real_only
def test_an_untouched_referee_is_not_counted_again_until_a_full_run(wechat, session, run_jobs):
    top, a, b, _ = family(wechat, session, run_jobs, "oDrift")
    # b checks in without an event (as if a row aged out of, or into, the window unnoticed)
    session.add(
        Checkin(
            account_id=b.account_id,
            member_id=b.id,
            day=date.today() - timedelta(days=3),
            streak=1,
            points=0,
            source_key="silent",
        )
    )
    session.commit()
    wechat.send(wechat.text(a.openid, "签到"))
    run_jobs()
    score_members()
    assert downstream(session, top.id)[0] == 1  # a's check-in moved it; b was not read again
    score_members(full=True)
    assert downstream(session, top.id)[0] == 2  # the nightly full run counts b's too


def all_scores(session):
    session.expire_all()
    return session.scalars(select(MemberScore)).all()


def test_an_incremental_run_moves_the_stage_tag_of_a_member_whose_stage_moved(wechat, session, run_jobs):
    top, a, b, _ = family(wechat, session, run_jobs, "oRetag")
    wechat.send(wechat.text(b.openid, "签到"))
    run_jobs()
    score_members()
    active = stage_tags(session)
    assert (b.id, "阶段:粘关系") in active and (b.id, "阶段:浅关系") not in active  # light → sticky
    assert {(top.id, "阶段:铁关系"), (a.id, "阶段:铁关系")} <= active  # touched, stage unchanged
    score_members(full=True)
    assert stage_tags(session) == active


def stage_tags(session):
    session.expire_all()
    active = select(MemberTag).where(MemberTag.removed_at.is_(None), MemberTag.tag.like("阶段:%"))
    return {(t.member_id, t.tag) for t in session.scalars(active)}


def scored_in_last_run(session):
    session.expire_all()
    last = session.scalar(select(func.max(MemberScore.computed_at)))
    return set(session.scalars(select(MemberScore.member_id).where(MemberScore.computed_at == last)))


def test_a_friends_check_in_leaves_the_referrers_referrer_unread(wechat, session, run_jobs):
    top, a, _, c = family(wechat, session, run_jobs, "oPrune")
    wechat.send(wechat.text(c.openid, "签到"))
    run_jobs()
    score_members()
    assert scored_in_last_run(session) == {c.id, a.id}  # a counts c's check-in; top counts a's referrals
    assert downstream(session, a.id)[0] == 1
    incremental = {s.member_id: (s.influence, s.parts, s.second_degree) for s in all_scores(session)}
    score_members(full=True)
    assert {s.member_id: (s.influence, s.parts, s.second_degree) for s in all_scores(session)} == incremental


def test_a_friends_new_referral_reaches_the_referrers_referrer(wechat, session, run_jobs):
    top, a, _, _ = family(wechat, session, run_jobs, "oReach")
    wechat.send(wechat.subscribe("oReach00009", create_time=int(time.time()) - 60))
    run_jobs()
    d = member(session, "oReach00009")
    refer(session, a, d)  # a now has two live referrals: top's second-degree sum moves by one
    session.commit()
    score_members()
    assert scored_in_last_run(session) == {d.id, a.id, top.id}
    session.expire_all()
    assert session.get(MemberScore, top.id).second_degree == 2
    incremental = {s.member_id: (s.influence, s.parts, s.second_degree) for s in all_scores(session)}
    score_members(full=True)
    assert {s.member_id: (s.influence, s.parts, s.second_degree) for s in all_scores(session)} == incremental
