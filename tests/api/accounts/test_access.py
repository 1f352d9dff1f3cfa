"""Roles over the API, named tokens, staff, and the audit log of every change."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api, error


@pytest.fixture
def as_role(app, client, api):
    """An Api for a new token of the test account with `role`."""

    def make(role: str) -> Api:
        made = api.post("/tokens", {"name": f"{role} 令牌", "role": role})
        assert made.status_code == 201, made.get_json()
        return Api(client, made.get_json()["token"], api.account)

    return make


def test_each_role_does_what_the_map_allows_and_no_more(as_role, make_member):
    make_member("oRole1")
    cashier, viewer, operator = as_role("cashier"), as_role("viewer"), as_role("operator")
    order = {"order_no": "SO-R1", "openid": "oRole1", "amount_fen": 100}
    assert cashier.post("/orders", order).status_code == 201
    assert cashier.get("/members/oRole1").status_code == 200
    assert error(cashier.patch("/programme", {"review_approval": True})) == (403, "forbidden")
    assert error(viewer.post("/orders", order | {"order_no": "SO-R2"})) == (403, "forbidden")
    assert viewer.get("/programme").status_code == 200
    assert operator.patch("/programme", {"review_approval": True}).status_code == 200
    assert error(operator.post("/orders", order | {"order_no": "SO-R3"})) == (403, "forbidden")
    for who in (cashier, viewer, operator):
        assert error(who.get("/audit")) == (403, "forbidden")
        assert error(who.post("/tokens", {"name": "x", "role": "owner"})) == (403, "forbidden")
    assert "收银员" in cashier.patch("/programme", {"review_approval": True}).get_json()["error"]["message"]


def test_tokens_are_named_listed_revoked_and_rotated(api, client):
    made = api.post("/tokens", {"name": "收银台", "role": "cashier"}).get_json()
    headers = {"Authorization": f"Bearer {made['token']}"}
    assert client.get("/api/v1/programme", headers=headers).status_code == 200
    listed = api.get("/tokens").get_json()["items"]
    assert {t["name"] for t in listed} >= {"收银台"} and all("token" not in t for t in listed)
    assert error(api.post("/tokens", {"name": "收银台"})) == (422, "invalid_token")
    rotated = api.post(f"/tokens/{made['id']}/rotate").get_json()
    assert rotated["name"] == "收银台" and rotated["role"] == "cashier" and rotated["token"] != made["token"]
    assert client.get("/api/v1/programme", headers=headers).status_code == 401
    fresh = {"Authorization": f"Bearer {rotated['token']}"}
    assert client.get("/api/v1/programme", headers=fresh).status_code == 200
    assert api.post(f"/tokens/{rotated['id']}/revoke").get_json()["revoked_at"]
    assert client.get("/api/v1/programme", headers=fresh).status_code == 401
    assert api.get("/programme").status_code == 200  # the caller's own token never went


def test_every_change_is_in_the_audit_log_with_before_and_after(api, make_member):
    api.patch("/programme", {"review_approval": True})
    reward = api.post("/rewards", {"name": "券", "kind": "coupon", "points_price": 5, "stock": 3}).get_json()
    api.patch(f"/rewards/{reward['id']}", {"stock": 9})
    api.get("/programme")  # reads are not logged
    entries = api.get("/audit").get_json()["items"]
    assert [e["action"] for e in entries] == ["patch_reward", "post_reward", "patch_programme"]
    change = entries[0]
    key = f"rewards:{reward['id']}"
    assert change["before"][key] == {"stock": 3} and change["after"][key] == {"stock": 9}
    assert change["record"] == f"/api/v1/rewards/{reward['id']}" and change["actor_kind"] == "token"
    assert change["after"]["request"] == {"stock": 9} and change["address"]
    settings = entries[2]
    assert any(
        v == {"review_approval": True} or v.get("review_approval") is True for v in settings["after"].values()
    )
    only = api.get("/audit?action=post_reward").get_json()["items"]
    assert [e["action"] for e in only] == ["post_reward"]
    page = api.get("/audit?limit=2").get_json()
    older = api.get(f"/audit?limit=2&before={page['next_before']}").get_json()["items"]
    assert [e["action"] for e in older] == ["patch_programme"]


def test_a_refused_change_leaves_no_trace(api):
    assert error(api.patch("/programme", {"expiry_days": 0})) == (422, "invalid_programme")
    assert api.get("/audit").get_json()["items"] == []


def test_staff_are_added_with_a_one_time_sign_in_link(api):
    added = api.post("/staff", {"name": "小王", "role": "cashier"})
    assert added.status_code == 201
    body = added.get_json()
    assert "/console/welcome/" in body["sign_in_link"] and body["has_password"] is False
    assert error(api.post("/staff", {"name": "小王", "role": "viewer"})) == (422, "invalid_staff")
    assert error(api.post("/staff", {"name": "x", "role": "boss"})) == (422, "invalid_staff")
    assert [s["name"] for s in api.get("/staff").get_json()["items"]] == ["小王"]


def test_another_accounts_tokens_and_log_stay_apart(api, other_api):
    made = api.post("/tokens", {"name": "甲", "role": "viewer"}).get_json()
    assert error(other_api.post(f"/tokens/{made['id']}/revoke")) == (404, "unknown_token")
    assert "甲" not in {t["name"] for t in other_api.get("/tokens").get_json()["items"]}
    assert other_api.get("/audit").get_json()["items"] == []
