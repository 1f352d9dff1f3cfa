"""Triggered journeys: the onboarding series and re-activation, once per member, through the
same planner and delivery as campaigns."""

from __future__ import annotations

import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models import Account, Campaign, Checkin, Delivery, Journey, Member, utcnow
from services.campaigns import audience as campaign_service
from services.campaigns import journeys
from tasks.journeys import run_journeys
from tests.conftest import APPID
from tests.factories import member


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    monkeypatch.setattr(campaign_service, "in_quiet_hours", lambda *a: False)


def served_since_yesterday(session) -> None:
    """The account was added a day ago (the journeys stand since then)."""
    session.execute(Account.__table__.update().values(created_at=utcnow() - timedelta(days=1)))
    session.commit()


def test_new_followers_get_the_welcome_once_an_hour_after_following(wechat, run_jobs, simulator, session):
    t = int(time.time())
    wechat.send(wechat.subscribe("oNewbie01", create_time=t - 61 * 60))  # an hour ago: due
    wechat.send(wechat.text("oNewbie01", "你好", create_time=t - 30 * 60))  # window open: customer service
    wechat.send(wechat.subscribe("oNewbie02", create_time=t - 10 * 60))  # not yet
    run_jobs()
    served_since_yesterday(session)
    planned = run_journeys()
    assert planned["新人欢迎 · 第一天"] == 1 and planned["新人欢迎 · 第三天"] == 0
    sent = simulator.state.custom_messages(APPID)
    assert [(m.touser, m.content["articles"][0]["title"]) for m in sent] == [
        ("oNewbie01", "欢迎加入，每日签到领积分")
    ]
    assert run_journeys()["新人欢迎 · 第一天"] == 0  # once per member
    assert len(simulator.state.custom_messages(APPID)) == 1
    assert session.scalar(select(Campaign.kind).where(Campaign.name == "新人欢迎 · 第一天")) == "journey"


def test_members_quiet_for_two_weeks_are_woken_once(wechat, run_jobs, simulator, session):
    for openid in ("oSleepy01", "oSleepy02", "oAwake001"):
        wechat.send(wechat.subscribe(openid, create_time=int(time.time()) - 20 * 86400))
    run_jobs()
    session.execute(
        Member.__table__.update()
        .where(Member.openid.like("oSleepy%"))
        .values(last_interaction_at=utcnow() - timedelta(days=15))
    )
    session.commit()
    planned = run_journeys()
    assert planned["唤醒 · 14 天未互动"] == 2
    jobs = simulator.state.mass.jobs(APPID)  # no window open: one mass send to both
    assert [sorted(j.recipients) for j in jobs] == [["oSleepy01", "oSleepy02"]]
    assert run_journeys()["唤醒 · 14 天未互动"] == 0


def test_a_journey_for_tiers_the_account_lacks_is_refused(app, session):
    account_id = app.extensions["tiefen"].accounts.get(None).id
    body = {
        "name": "n",
        "trigger": "follow",
        "title": "t",
        "summary": "s",
        "audience": {"tiers": ["platinum"]},
    }
    with pytest.raises(journeys.InvalidJourney, match="no tier 'platinum'"):
        journeys.create(session, account_id, body)
    assert session.scalar(select(Journey)) is None and session.scalar(select(Delivery)) is None


def test_a_streak_at_risk_is_reminded_in_the_evening(wechat, run_jobs, simulator, session, monkeypatch):
    wechat.send(wechat.subscribe("oStreak01"))
    run_jobs()
    m = member(session, "oStreak01")
    run_journeys()  # seeds the journeys
    journey = session.scalar(select(Journey).where(Journey.trigger == "streak_at_risk"))
    journey.delay_minutes = 0
    journey.created_at = utcnow() - timedelta(days=3)

    today = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date()
    for back, streak in ((3, 1), (2, 2), (1, 3)):
        session.add(
            Checkin(
                account_id=m.account_id,
                member_id=m.id,
                day=today - timedelta(days=back),
                streak=streak,
                points=10,
                source_key=f"ck-streak-{back}",
            )
        )
    session.commit()
    assert run_journeys()["连续签到提醒"] == 1


def test_nothing_is_planned_in_quiet_hours(wechat, run_jobs, simulator, session, monkeypatch):
    t = int(time.time())
    wechat.send(wechat.subscribe("oNightOwl", create_time=t - 61 * 60))  # an hour ago: due
    run_jobs()
    served_since_yesterday(session)
    monkeypatch.setattr(campaign_service, "in_quiet_hours", lambda *a: True)
    assert set(run_journeys().values()) == {0}
    assert session.scalar(select(Delivery)) is None
    monkeypatch.setattr(campaign_service, "in_quiet_hours", lambda *a: False)
    assert run_journeys()["新人欢迎 · 第一天"] == 1  # the next run after them reaches the member
