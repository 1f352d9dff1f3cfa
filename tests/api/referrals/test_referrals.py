"""Referrals through the merchant API: the log with reasons, the review queue, channels and codes."""

from __future__ import annotations

import time

import requests

from tests.api.conftest import error
from tests.services.referrals.test_attribution import code_of, follower


def test_referrals_are_listed_with_reasons_and_reviewed(api, wechat, session, run_jobs):
    alice = follower(wechat, run_jobs, session, "oApiAlice1")
    scene = code_of(session, alice)
    t = int(time.time()) - 600
    for i in range(5):
        wechat.send(wechat.subscribe(f"oApiFriend{i}", scene=scene, create_time=t + i))
    run_jobs()
    body = api.get("/referrals?status=review").get_json()
    assert body["total"] == 1
    item = body["items"][0]
    assert (item["referrer"], item["referee"], item["reasons"]) == ("oApiAlice1", "oApiFriend4", ["burst"])
    assert api.get("/referrals").get_json()["total"] == 5
    approved = api.post(f"/referrals/{item['id']}/approve")
    assert approved.status_code == 200
    assert (approved.get_json()["status"], approved.get_json()["reward_points"]) == ("paid", 100)
    again = api.post(f"/referrals/{item['id']}/reject")
    assert error(again) == (409, "referral_decided")
    assert api.post("/referrals/999999/approve").status_code == 404
    assert api.get("/referrals?status=bogus").status_code == 422


def test_a_channel_gets_a_permanent_code_and_counts_who_it_brought(api, wechat, run_jobs, simulator):
    r = api.post("/channels", {"code": "counter-1", "name": "一号店收银台", "kind": "counter"})
    assert r.status_code == 201, r.get_json()
    made = r.get_json()
    assert made["tag"] == "一号店收银台" and made["qrcode"]["scene"] == "c-counter-1"
    assert made["qrcode"]["expires_at"] is None
    image = requests.get(made["qrcode"]["image"], timeout=5)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    wechat.send(wechat.subscribe("oCounter01", scene="c-counter-1"))
    run_jobs()
    listed = api.get("/channels").get_json()["items"]
    assert [(c["code"], c["followers"]) for c in listed] == [("counter-1", 1)]
    dup = api.post("/channels", {"code": "counter-1", "name": "again"})
    assert error(dup) == (422, "invalid_channel")
    bad = api.post("/channels", {"code": "Not OK!", "name": "x", "kind": "shop"})
    assert error(bad) == (422, "invalid_channel")
    assert {d.split(":")[0] for d in bad.get_json()["error"]["details"]} == {"code", "kind"}
