"""A member's points, tier and spend; their ledger; rebuilding balances from the ledger."""

from __future__ import annotations

from sqlalchemy import update

from models import Member
from tests.api.conftest import error


def test_a_member_shows_points_tier_and_the_gap_to_the_next(api, wechat, run_jobs):
    wechat.send(wechat.subscribe("oMem1"))
    run_jobs()
    r = api.get("/members/oMem1")
    assert r.status_code == 200
    m = r.get_json()
    assert m["openid"] == "oMem1" and m["following"] is True and m["first_followed_at"].endswith("+08:00")
    assert (m["balance"], m["pending"], m["available"], m["earned"], m["spend_fen"]) == (50, 0, 50, 50, 0)
    assert m["tier"] == {"code": "normal", "name": "普通会员"}
    assert m["next_tier"] == {"code": "silver", "name": "银卡会员", "gap": 450}
    assert m["expiring_soon"] is None
    assert error(api.get("/members/oNobody")) == (404, "unknown_member")


def test_the_ledger_is_paged_newest_first(api, wechat, run_jobs):
    wechat.send(wechat.subscribe("oMem2"))
    run_jobs()
    api.put("/point-tasks/custom:visit", {"points": 3})
    for key in ("v1", "v2", "v3"):
        api.post("/events", {"openid": "oMem2", "action": "custom:visit", "key": key})
    run_jobs()
    first = api.get("/members/oMem2/ledger?per_page=2").get_json()
    assert (first["total"], first["page"], first["per_page"]) == (4, 1, 2)
    assert [e["delta"] for e in first["items"]] == [3, 3]
    entry = first["items"][0]
    assert set(entry) == {"key", "delta", "kind", "action", "note", "business_date", "created_at"}
    assert (entry["kind"], entry["action"]) == ("award", "custom:visit")
    last = api.get("/members/oMem2/ledger?page=2&per_page=2").get_json()
    assert [(e["action"], e["delta"]) for e in last["items"]] == [("custom:visit", 3), ("follow", 50)]
    assert error(api.get("/members/oNobody/ledger")) == (404, "unknown_member")
    assert error(api.get("/members/oMem2/ledger?per_page=500")) == (422, "invalid_query")


def test_rebuilding_fixes_balances_that_drifted_from_the_ledger(api, wechat, run_jobs, session):
    for openid in ("oMem3", "oMem4"):
        wechat.send(wechat.subscribe(openid))
    run_jobs()
    assert api.post("/balances/rebuild").get_json() == {"fixed": 0}
    session.execute(update(Member).where(Member.openid == "oMem3").values(points_balance=999))
    session.commit()
    r = api.post("/balances/rebuild")
    assert r.status_code == 200 and r.get_json() == {"fixed": 1}
    assert api.get("/members/oMem3").get_json()["balance"] == 50
