"""Campaigns through the merchant API: checked on the way in, previewed and dry-run without sending;
the planner's SQL gives what `rules.campaigns.planner.plan` gives for the same facts."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Campaign, ContactWindow, Delivery, Member, utcnow
from rules.campaigns.planner import Facts, Rules, plan
from services.campaigns import audience as campaigns
from tests.api.conftest import error
from tests.factories import member

VARIANTS = [
    {"code": "A", "split": 50, "title": "周末拿铁买一送一", "summary": "会员专享,周六周日全天"},
    {"code": "B", "split": 50, "title": "积分翻倍周末", "summary": "周末消费积分翻倍"},
]


@pytest.fixture
def crowd(wechat, run_jobs, session):
    t = int(time.time())
    wechat.send(wechat.subscribe("oCampKf01", create_time=t - 7200))
    wechat.send(wechat.text("oCampKf01", "你好", create_time=t - 3600))  # 48-hour window open
    for openid in ("oCampMs01", "oCampMs02", "oCampGone"):
        wechat.send(wechat.subscribe(openid, create_time=t - 7200))
    wechat.send(wechat.unsubscribe("oCampGone", create_time=t - 3000))
    run_jobs()
    return {o: member(session, o) for o in ("oCampKf01", "oCampMs01", "oCampMs02", "oCampGone")}


def test_a_campaign_is_previewed_and_dry_run_without_sending(api, crowd, session, monkeypatch):
    monkeypatch.setattr(campaigns, "in_quiet_hours", lambda *a: False)
    made = api.post("/campaigns", {"name": "周末活动", "variants": VARIANTS, "audience": {}})
    assert made.status_code == 201, made.get_json()
    cid = made.get_json()["id"]
    preview = api.post(f"/campaigns/{cid}/preview").get_json()
    assert preview["audience"] == 4 and preview["reachable"] == 3
    assert preview["by_channel"] == {"kf": 1, "mass": 2} and preview["held"] == {"unfollowed": 1}
    assert sum(preview["by_variant"].values()) == 3
    rows = {r["openid"]: r for r in api.get(f"/campaigns/{cid}/dry-run").get_json()["items"]}
    assert rows["oCampKf01"]["channel"] == "kf" and rows["oCampGone"]["held"] == "unfollowed"
    assert {r["variant"] for r in rows.values()} <= {"A", "B"}
    assert session.scalar(select(Delivery)) is None  # nothing sent, nothing planned


def test_quiet_hours_hold_everyone(api, crowd, monkeypatch):
    monkeypatch.setattr(campaigns, "in_quiet_hours", lambda *a: True)
    cid = api.post("/campaigns", {"name": "夜里", "variants": VARIANTS}).get_json()["id"]
    assert api.post(f"/campaigns/{cid}/preview").get_json()["held"] == {"quiet_hours": 3, "unfollowed": 1}


def test_bad_campaigns_are_422_with_every_problem_and_nothing_saved(api, session):
    ok = {"code": "A", "split": 100, "title": "t", "summary": "s"}
    cases = [
        (  # each field on its own: every problem at once, with its path
            {
                "name": "",
                "variants": [
                    {"code": "A", "split": 60, "title": "x" * 65, "summary": "ok"},
                    {"code": "B/../x", "split": 0, "title": "t", "summary": "s", "cover_url": "javascript:x"},
                ],
                "audience": {"stages": ["gold"], "mood": 1},
                "quiet_start": 1440,
            },
            [
                "name: must not be empty",
                "audience.stages[0]: must be one of",
                "audience: unknown field 'mood'",
                "variants[0].title: must be at most 64 characters",
                "variants[1].code: must match",
                "variants[1].split: must be at least 1",
                "variants[1]: unknown field 'cover_url'",  # covers are images on this server
                "quiet_start: must be at most 1439",
            ],
        ),
        (  # the fields together
            {
                "name": "n",
                "variants": [ok | {"split": 60}, ok | {"split": 30}],
                "send_at": "2030-01-01T00:00:00+08:00",
                "recurring": "0 10 * * 1",
            },
            [
                "variant codes must differ",
                "variant splits must add up to 100, not 90",
                "send_at and recurring exclude each other",
            ],
        ),
        (  # what the account and the clock say
            {
                "name": "n",
                "variants": [ok],
                "send_at": "2020-01-01T00:00:00+08:00",
                "audience": {"tiers": ["platinum"]},
            },
            ["send_at: is in the past", "tiers: no tier 'platinum'"],
        ),
        (
            {"name": "n", "variants": [ok], "recurring": "*/10 * * * *"},
            ["recurring may fire at most once an hour"],
        ),
        (  # a cover is an image of the account, served by Tiefen: never an outside address
            {"name": "n", "variants": [ok | {"cover_url": "https://cdn.example.com/x.png"}]},
            ["variants[0]: unknown field 'cover_url'"],
        ),
        ({"name": "n", "variants": [ok], "cover_image_id": 999}, ["cover_image_id: no image 999"]),
        ({"name": "n", "variants": [ok], "cover_image_id": "1"}, ["cover_image_id: must be"]),
    ]
    for bad, expected in cases:
        r = api.post("/campaigns", bad)
        assert error(r) == (422, "invalid_campaign"), bad
        details = r.get_json()["error"]["details"]
        for words in expected:
            assert any(d.startswith(words) or words in d for d in details), (words, details)
    assert session.scalar(select(Campaign)) is None
    assert api.post("/campaigns/999/preview").status_code == 404
    assert api.post("/campaigns/1047606188050/preview").status_code == 404  # beyond the id column: not a 500


def test_an_audience_that_matches_nobody_is_refused_and_nothing_is_sent(api, crowd, session):
    cid = api.post("/campaigns", {"name": "钻石", "variants": VARIANTS, "audience": {"tiers": ["diamond"]}})
    cid = cid.get_json()["id"]
    body = api.post(f"/campaigns/{cid}/preview").get_json()
    assert body["audience"] == 0 and body["reachable"] == 0
    assert error(api.post(f"/campaigns/{cid}/send")) == (422, "empty_audience")
    assert session.scalar(select(Campaign.status)) == "draft" and session.scalar(select(Delivery)) is None


def test_the_planner_sql_agrees_with_the_rule(app, crowd, session):
    now = utcnow()
    kf = crowd["oCampKf01"]
    cases = {  # member → (window rows, sent deliveries)
        "oCampKf01": dict(
            message_at=now - timedelta(hours=1),
            message_used=5,
            event_at=now - timedelta(seconds=20),
            event_used=1,
        ),
        "oCampMs01": dict(message_at=now - timedelta(hours=50), message_used=0, event_at=None, event_used=0),
    }
    for openid, window in cases.items():
        row = session.get(ContactWindow, crowd[openid].id) or ContactWindow(member_id=crowd[openid].id)
        for k, v in window.items():
            setattr(row, k, v)
        session.add(row)
    campaign = Campaign(
        account_id=kf.account_id, name="x", variants=VARIANTS, audience={}, quiet_start=0, quiet_end=0
    )
    session.add(campaign)
    session.flush()
    sent = now - timedelta(days=8)  # oCampMs02 was reached by a mass send 8 days ago
    session.add(
        Delivery(
            account_id=kf.account_id,
            campaign_id=campaign.id,
            member_id=crowd["oCampMs02"].id,
            variant="A",
            channel="mass",
            status="sent",
            sent_at=sent,
        )
    )
    session.commit()
    got = {
        r.member_id: (r.channel, r.reason)
        for r in session.execute(campaigns.planned(session, campaign, "Asia/Shanghai", now, Rules()))
    }
    for m in crowd.values():
        w = session.get(ContactWindow, m.id)
        f = Facts(
            bool(session.get(Member, m.id).following),
            w.message_at if w else None,
            w.message_used if w else 0,
            w.event_at if w else None,
            w.event_used if w else 0,
            0,
            0,
            1 if m.openid == "oCampMs02" and (now - timedelta(days=8)).month == now.month else 0,
        )
        assert got[m.id] == plan(f, now, False, Rules()), m.openid
    assert got[kf.id] == ("kf", None)  # its message window is used up; the event window is open
