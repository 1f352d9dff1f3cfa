"""The scoring job: full and incremental runs, KOL candidates coming and going, one run at a time."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from models import KolRun, MemberScore, MemberTag, Order, Programme, Referral, utcnow
from services.segments import scoring as segments
from tasks.segments import score_members
from tests.conftest import real_only
from tests.factories import member

pytestmark = pytest.mark.usefixtures("scoring_connections")


def scores(session):
    session.expire_all()
    return {s.member_id: s for s in session.scalars(select(MemberScore))}


def test_a_full_run_then_only_what_changed(wechat, session, run_jobs):
    for openid in ("oJob00001", "oJob00002", "oJob00003"):
        wechat.send(wechat.subscribe(openid, create_time=int(time.time()) - 3600))
    run_jobs()
    assert score_members(full=True)["scored"] == 3
    first = scores(session)
    assert {s.stage for s in first.values()} == {"light"}
    run = session.scalar(select(KolRun))
    assert run.full and run.members_scored == 3 and run.watermark > 0
    wechat.send(wechat.text("oJob00002", "签到"))
    run_jobs()
    totals = score_members()
    assert totals["scored"] == 1  # only the member who checked in
    now = scores(session)
    two = member(session, "oJob00002").id
    assert now[two].stage == "sticky" and now[two].parts["activity"] == 1
    assert all(now[m].computed_at == first[m].computed_at for m in now if m != two)
    assert score_members()["scored"] == 0  # nothing new: nothing scored


def test_candidates_come_and_go_and_their_tag_follows(app, wechat, session, run_jobs):
    wechat.send(wechat.subscribe("oKolStar1"))
    wechat.send(wechat.subscribe("oKolFan01"))
    run_jobs()
    star, fan = member(session, "oKolStar1"), member(session, "oKolFan01")
    settings = session.get(Programme, star.account_id)
    settings.kol_top_n, settings.kol_min_evidence = 1, 1  # one friend is evidence enough here
    session.add(
        Referral(
            account_id=star.account_id,
            referrer_id=star.id,
            referee_id=fan.id,
            scene="m1-abcdef",
            bound_at=utcnow(),
            status="held",
            reasons=[],
        )
    )
    session.commit()
    score_members(full=True)
    run = session.scalars(select(KolRun).order_by(KolRun.id.desc())).first()
    assert run.candidates == [star.id] and run.added == [star.id]
    kol_tags = session.scalars(
        select(MemberTag.member_id).where(MemberTag.tag == "KOL候选", MemberTag.removed_at.is_(None))
    ).all()
    assert kol_tags == [star.id]
    session.execute(Referral.__table__.update().values(status="voided"))
    session.commit()
    score_members(full=True)
    session.expire_all()
    run = session.scalars(select(KolRun).order_by(KolRun.id.desc())).first()
    assert run.candidates == [] and run.dropped == [star.id]
    gone = session.scalar(select(MemberTag).where(MemberTag.tag == "KOL候选"))
    assert gone.removed_at is not None  # the mirror job untags it on WeChat


@real_only
def test_a_second_run_at_once_skips_the_account(app, wechat, session, run_jobs):
    wechat.send(wechat.subscribe("oLock0001"))
    run_jobs()
    account_id = member(session, "oLock0001").account_id
    with app.extensions["tiefen"].sessions.begin() as holder:
        assert segments.account_lock(holder, account_id)
        assert score_members()["skipped"] == 1
    assert score_members()["skipped"] == 0


def test_kol_rebuild_command_shows_progress_and_totals(app, wechat, session, run_jobs):
    wechat.send(wechat.subscribe("oCli00001"))
    run_jobs()
    result = app.test_cli_runner().invoke(args=["kol", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "scored 1 members in 1 accounts; 0 KOL candidates" in result.output
    assert session.scalar(select(KolRun.full)) is True
    assert session.execute(text("SELECT COUNT(*) FROM member_scores")).scalar() == 1


def test_a_run_that_dies_halfway_leaves_the_last_run_and_the_next_one_finishes(
    wechat, session, run_jobs, monkeypatch
):
    wechat.send(wechat.subscribe("oCrash001", create_time=int(time.time()) - 600))
    run_jobs()
    score_members(full=True)
    wechat.send(wechat.text("oCrash001", "签到"))
    run_jobs()

    def die(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(segments, "sync_rule_tags", die)
    with pytest.raises(RuntimeError):
        score_members()
    assert session.scalar(select(func.count()).select_from(KolRun)) == 1
    assert scores(session)[member(session, "oCrash001").id].stage == "light"  # the half run left nothing
    monkeypatch.undo()
    assert score_members()["scored"] == 1
    assert scores(session)[member(session, "oCrash001").id].stage == "sticky"


def test_an_incremental_run_gives_what_a_full_run_gives(wechat, session, run_jobs):
    t = int(time.time()) - 7200
    for i, openid in enumerate(("oInc00001", "oInc00002", "oInc00003")):
        wechat.send(wechat.subscribe(openid, create_time=t + i))
    run_jobs()
    score_members(full=True)
    wechat.send(wechat.text("oInc00001", "签到"))
    wechat.send(wechat.text("oInc00003", "评价 5 环境很好,咖啡也香,店员热情"))
    run_jobs()
    score_members()
    incremental = {m: (s.stage, s.influence, s.parts) for m, s in scores(session).items()}
    score_members(full=True)
    assert {m: (s.stage, s.influence, s.parts) for m, s in scores(session).items()} == incremental


def test_an_incremental_run_ranks_touched_buyers_among_all_as_a_full_run_does(wechat, session, run_jobs):
    """RFM quintiles with ties: on PostgreSQL the incremental run ranks through cut values
    (segment_increments.rfm_cuts), the full run through CUME_DIST; the scores must agree."""
    t = int(time.time()) - 7200
    openids = [f"oRfm{i:05d}" for i in range(11)]
    for i, openid in enumerate(openids):
        wechat.send(wechat.subscribe(openid, create_time=t + i))
    run_jobs()
    now = utcnow()
    for i, openid in enumerate(openids[:10]):  # ties in every measure: amounts and counts repeat
        for k in range(1 + i % 3):
            session.add(
                Order(
                    account_id=member(session, openid).account_id,
                    member_id=member(session, openid).id,
                    order_no=f"SO-{i}-{k}",
                    amount_fen=1000 * (1 + i // 4),
                    paid_at=now - timedelta(days=1 + i // 2 + k),
                )
            )
    session.commit()
    score_members(full=True)
    again = (openids[3], openids[10])  # a buyer buys again; someone buys for the first time
    for openid in again:
        buyer = member(session, openid)
        session.add(
            Order(
                account_id=buyer.account_id,
                member_id=buyer.id,
                order_no=f"SO-new-{openid}",
                amount_fen=3000,
                paid_at=now,
            )
        )
    session.commit()
    for openid in again:
        wechat.send(wechat.text(openid, "签到"))
    run_jobs()
    assert score_members()["scored"] == 2
    rfm = ("r", "f", "m", "rfm_segment", "frequency", "monetary_fen")
    incremental = {m: tuple(getattr(s, c) for c in rfm) for m, s in scores(session).items()}
    score_members(full=True)
    full = {m: tuple(getattr(s, c) for c in rfm) for m, s in scores(session).items()}
    touched = {member(session, o).id for o in again}
    assert {m: incremental[m] for m in touched} == {m: full[m] for m in touched}
    assert full[member(session, openids[10]).id][0] == 5  # the latest payment: the top recency quintile


def test_a_first_build_leaves_a_hand_set_tag_of_the_same_name_and_the_next_run_brings_it_back(
    wechat, session, run_jobs
):
    light = "阶段:浅关系"
    for openid in ("oFirst0001", "oFirst0002"):
        wechat.send(wechat.subscribe(openid, create_time=int(time.time()) - 3600))
    run_jobs()
    one, two = member(session, "oFirst0001"), member(session, "oFirst0002")
    gone = MemberTag(
        account_id=one.account_id, member_id=one.id, tag=light, source="manual", removed_at=utcnow()
    )
    session.add(gone)  # set by hand, then taken off, before any scoring run
    session.commit()

    def tag_of(m):
        session.expire_all()
        return session.scalars(
            select(MemberTag).where(MemberTag.member_id == m.id, MemberTag.tag == light)
        ).one()

    score_members(full=True)
    assert tag_of(one).source == "manual" and tag_of(one).removed_at is not None
    assert tag_of(two).source == "rule" and tag_of(two).removed_at is None
    score_members(full=True)
    assert tag_of(one).source == "rule" and tag_of(one).removed_at is None
