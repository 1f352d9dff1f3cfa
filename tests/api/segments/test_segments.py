"""Segments through the merchant API: funnel, RFM, stages and KOL candidates explained."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from models import PageView, Referral, utcnow
from tasks.segments import score_members
from tests.factories import member


@pytest.fixture
def population(api, wechat, session, run_jobs):
    t = int(time.time()) - 7200
    for i, openid in enumerate(("oSegStar1", "oSegFan01", "oSegFan02", "oSegBuy01")):
        wechat.send(wechat.subscribe(openid, create_time=t + i))
    wechat.send(wechat.text("oSegFan01", "签到", create_time=t + 600))
    run_jobs()
    star = member(session, "oSegStar1")
    for fan in ("oSegFan01", "oSegFan02"):
        session.add(
            Referral(
                account_id=star.account_id,
                referrer_id=star.id,
                referee_id=member(session, fan).id,
                scene=f"m{star.id}-abcdef",
                bound_at=utcnow(),
                status="held",
                reasons=[],
            )
        )
    session.add(
        PageView(
            account_id=star.account_id,
            viewer_openid="oStranger1",
            page="/h5/x/invite",
            day=date.today(),
            sharer_id=star.id,
        )
    )  # a reader who never followed: 了解 only
    buyer = member(session, "oSegBuy01")
    buyer.registered_at = utcnow()
    session.commit()
    for n in range(2):
        order = {"order_no": f"SEG-{n}", "openid": "oSegBuy01", "amount_fen": 10000 + n}
        assert api.post("/orders", order).status_code == 201
    run_jobs()
    score_members(full=True)
    return star


def test_kol_candidates_come_with_parts_that_add_up_and_evidence(api, population):
    body = api.get("/kol").get_json()
    assert (body["bar"]["min_score"], body["bar"]["min_evidence"]) == (10.0, 3)
    assert {p["part"] for p in body["bar"]["evidence_parts"]} >= {"referrals", "shares", "share_reads"}
    assert [c["openid"] for c in body["candidates"]] == ["oSegStar1"]  # not the fan who checked in once
    assert body["run"]["full"] and body["run"]["added"][0] == "oSegStar1"
    top = body["candidates"][0]
    assert top["openid"] == "oSegStar1" and top["rank"] == 1
    assert top["score"] == pytest.approx(sum(p["points"] for p in top["parts"]))
    referrals = next(p for p in top["parts"] if p["part"] == "referrals")
    assert (referrals["count"], referrals["weight"], referrals["points"]) == (2, 10.0, 20.0)
    assert {r["openid"] for r in top["evidence"]["referees"]} == {"oSegFan01", "oSegFan02"}
    assert top["evidence_count"] == 3  # two friends, one read of a share
    assert top["evidence"]["top_shared_pages"] == [{"page": "/h5/x/invite", "reads": 1, "follows": 0}]


def test_stages_rfm_and_funnel(api, population):
    stages = {s["stage"]: s["members"] for s in api.get("/stages").get_json()["stages"]}
    assert stages == {"light": 1, "sticky": 1, "deep": 1, "iron": 1}
    rfm = api.get("/rfm").get_json()
    assert rfm["buyers"] == 1 and rfm["monetary_fen"] == 20001 and rfm["top20_share"] == 1.0
    assert sum(s["members"] for s in rfm["segments"]) == 1 and len(rfm["segments"]) == 8
    today = date.today()
    funnel = api.get(
        f"/funnel?from={(today - timedelta(days=1)).isoformat()}&to={(today + timedelta(days=1)).isoformat()}"
    ).get_json()
    counts = [(s["step"], s["count"]) for s in funnel["steps"]]
    assert counts == [("aware", 5), ("trial", 4), ("registered", 1), ("loyal", 1)]
    assert funnel["steps"][1]["conversion"] == 0.8 and funnel["steps"][0]["conversion"] is None
    assert api.get("/funnel?from=2026-13-01").status_code == 422
    assert api.get("/funnel?from=2026-02-01&to=2026-01-01").status_code == 422
