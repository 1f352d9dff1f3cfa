"""The referral graph through the merchant API: a member's tree and the top referrers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from models import Referral
from tests.api.conftest import conforms, error

START = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def bind(app, make_member):
    """Store referrer → referee edges by openid (members made as needed), a minute apart."""
    clock = [START]

    def store(*openids, status="held", account_id=None, reasons=()):
        with app.extensions["tiefen"].sessions.begin() as s:
            for referrer, referee in pairwise(openids):
                clock[0] += timedelta(minutes=1)
                by, to = make_member(referrer, account_id), make_member(referee, account_id)
                s.add(
                    Referral(
                        account_id=account_id or app.extensions["tiefen"].accounts.get(None).id,
                        referrer_id=by,
                        referee_id=to,
                        scene=f"m{by}-abcdef",
                        bound_at=clock[0],
                        status=status,
                        reasons=list(reasons),
                    )
                )

    return store


def test_a_members_tree_nests_referrals_to_the_depth_asked(api, bind):
    bind("oA", "oB", "oC", "oD")
    bind("oA", "oB2", status="paid")
    bind("oB", "oX", status="refused", reasons=["refollow"])
    bind("oUp", "oA", status="review", reasons=["burst"])
    r = api.get("/members/oA/referrals")
    assert r.status_code == 200
    tree = r.get_json()
    assert (tree["openid"], tree["depth"], tree["truncated"]) == ("oA", 2, False)
    assert (tree["direct"], tree["second_degree"], tree["cascade"]) == (2, 1, 4)
    up = tree["upline"]
    assert (up["openid"], up["status"], up["reasons"], up["following"]) == ("oUp", "review", ["burst"], True)
    assert up["bound_at"].endswith("+08:00")
    b, b2 = tree["referrals"]
    assert (b["openid"], b["status"], b["direct"], b2["openid"], b2["status"]) == (
        "oB",
        "held",
        1,
        "oB2",
        "paid",
    )
    assert [c["openid"] for c in b["referrals"]] == ["oC"]
    assert b["referrals"][0]["referrals"] == [] and b["referrals"][0]["direct"] == 1  # oD lies past depth 2
    deeper = api.get("/members/oA/referrals?depth=3").get_json()
    assert deeper["referrals"][0]["referrals"][0]["referrals"][0]["openid"] == "oD"
    assert api.get("/members/oUp/referrals").get_json()["upline"] is None


def test_an_unknown_member_or_a_bad_depth_is_an_error(api, bind, other_api):
    bind("oA", "oB")
    assert error(api.get("/members/oNobody/referrals")) == (404, "unknown_member")
    assert error(other_api.get("/members/oA/referrals")) == (404, "unknown_member")
    for depth in ("0", "6", "two", ""):
        assert error(api.get(f"/members/oA/referrals?depth={depth}")) == (422, "invalid_query")


def test_the_top_referrers_rank_by_direct_plus_second_degree(api, bind, other_api):
    bind("oWide", "w1")
    bind("oWide", "w2", status="paid")
    bind("oWide", "w3", status="voided")
    bind("oDeep", "d1", "d2")
    bind("d1", "d3")
    bind("d1", "d4", status="review")
    bind("oElse", "e1", account_id=other_api.account.id)
    r = api.get("/referrers/top")
    assert r.status_code == 200
    body = r.get_json()
    assert body["limit"] == 100
    assert [(i["rank"], i["openid"], i["cascade"]) for i in body["items"]] == [
        (1, "oDeep", 4),
        (2, "oWide", 3),
        (3, "d1", 3),
    ]
    wide = body["items"][1]
    assert (wide["direct"], wide["second_degree"]) == (3, 0)
    assert (wide["paid"], wide["held"], wide["review"], wide["voided"]) == (1, 1, 0, 1)
    assert wide["first_bound_at"] == "2026-03-01T09:01:00+08:00"
    assert [i["openid"] for i in api.get("/referrers/top?limit=1").get_json()["items"]] == ["oDeep"]
    assert [i["openid"] for i in other_api.get("/referrers/top").get_json()["items"]] == ["oElse"]
    for limit in ("0", "1001", "x"):
        assert error(api.get(f"/referrers/top?limit={limit}")) == (422, "invalid_query")
    assert api.get("/referrers/top?limit=1000").status_code == 200


def test_the_graph_responses_are_exactly_what_their_schemas_say(api, bind):
    doc = api.client.get("/api/v1/openapi.json").get_json()
    bind("oUp", "oA", "oB")
    tree = api.get("/members/oA/referrals").get_json()
    samples = {
        "ReferralTree": tree,
        "ReferralNode": tree["referrals"][0],
        "TopReferrers": api.get("/referrers/top").get_json(),
        "RankedReferrer": api.get("/referrers/top").get_json()["items"][0],
    }
    for name, sample in samples.items():
        conforms(doc, name, sample)
    conforms(doc, "Upline", tree["upline"])
