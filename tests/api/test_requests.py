"""What every request meets: the token, JSON object bodies of at most 64 KiB, paging."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from werkzeug.test import EnvironBuilder

from models import PointTaskRow
from tests.api.conftest import error
from tests.factories import count


def test_no_token_or_a_wrong_one_is_401(client, api):
    assert error(client.get("/api/v1/programme")) == (401, "unauthorized")
    headers = {"Authorization": "Bearer tf_not-a-token"}
    assert error(client.get("/api/v1/programme", headers=headers)) == (401, "unauthorized")
    basic = {"Authorization": "Basic abc"}
    assert error(client.get("/api/v1/programme", headers=basic)) == (401, "unauthorized")


def test_a_new_token_never_voids_another_and_a_revoked_one_stops(app, client, api):
    from models import ApiToken, utcnow
    from rules.accounts.roles import Role
    from services.accounts import tokens
    from services.accounts.registry import issue_api_token

    with app.extensions["tiefen"].sessions.begin() as s:
        second = issue_api_token(s, api.account.appid)
        names = [t.name for t in tokens.tokens_of(s, api.account.id)]
    assert len(names) == len(set(names)) == 2  # each named, none replaced
    headers = {"Authorization": f"Bearer {second}"}
    assert api.get("/programme").status_code == 200
    assert client.get("/api/v1/programme", headers=headers).status_code == 200
    with app.extensions["tiefen"].sessions.begin() as s:
        first = s.scalar(select(ApiToken).where(ApiToken.account_id == api.account.id).order_by(ApiToken.id))
        tokens.revoke(s, api.account.id, first.id, utcnow())
        viewer, viewer_token = tokens.create_token(s, api.account.id, "看板", Role.VIEWER, utcnow())
    assert error(api.get("/programme")) == (401, "unauthorized")
    assert client.get("/api/v1/programme", headers=headers).status_code == 200
    look = {"Authorization": f"Bearer {viewer_token}"}
    assert client.get("/api/v1/programme", headers=look).status_code == 200
    refused = client.patch("/api/v1/programme", json={"review_approval": True}, headers=look)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"


@pytest.fixture
def admin_token(config):
    config["ADMIN_TOKEN"] = "admin-secret"  # before `app` is built from it


def test_the_admin_token_acts_for_the_account_it_names(admin_token, app, client, account):
    headers = {"Authorization": "Bearer admin-secret"}
    assert error(client.get("/api/v1/programme", headers=headers)) == (404, "unknown_account")
    ok = client.get("/api/v1/programme", headers={**headers, "X-Tiefen-Account": account.appid})
    assert ok.status_code == 200 and ok.get_json()["expiry_mode"] == "days"
    bad = {**headers, "X-Tiefen-Account": "wxnobody"}
    assert error(client.get("/api/v1/programme", headers=bad)) == (404, "unknown_account")


def test_bodies_must_be_json_objects(api, session):
    before = count(session, PointTaskRow)
    cases = [
        {"data": "points=5", "content_type": "application/x-www-form-urlencoded"},
        {"data": '{"points": 5}', "content_type": "text/plain"},
        {"data": "{not json", "content_type": "application/json"},
        {"data": "[1, 2]", "content_type": "application/json"},
        {"data": '"text"', "content_type": "application/json"},
        {"data": "[" * 5000 + "]" * 5000, "content_type": "application/json"},
        {"data": "", "content_type": "application/json"},
    ]
    for kwargs in cases:
        r = api.call("PUT", "/point-tasks/checkin", **kwargs)
        assert error(r) == (400, "bad_request"), kwargs
        assert r.get_json()["error"]["message"]
    assert count(session, PointTaskRow) == before


def test_a_body_over_64_kib_is_413_and_changes_nothing(api, session):
    big = {"name": "每日签到", "padding": "x" * (64 * 1024)}
    assert error(api.put("/point-tasks/checkin", big)) == (413, "payload_too_large")
    builder = EnvironBuilder(
        "/api/v1/point-tasks/checkin",
        method="PUT",
        input_stream=io.BytesIO(b'{"name": "' + b"x" * (70 * 1024) + b'"}'),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )
    environ = {**builder.get_environ(), "wsgi.input_terminated": True}
    del environ["CONTENT_LENGTH"]  # streamed: the read stops at the cap
    chunked = api.client.open(environ)
    assert error(chunked) == (413, "payload_too_large")
    assert api.get("/point-tasks").get_json()["items"][0]["name"] != "x"


def test_paging_is_checked_and_capped_at_100(api):
    for query in ("page=0", "per_page=0", "per_page=101", "page=x", "per_page=-1"):
        assert error(api.get(f"/point-tasks?{query}")) == (422, "invalid_query"), query
    r = api.get("/point-tasks?page=2&per_page=3").get_json()
    assert (r["page"], r["per_page"], r["total"], len(r["items"])) == (2, 3, 9, 3)


def test_an_address_no_route_matches_answers_json(client):
    for method, path, status in (("GET", "/api/v1/nothing-here", 404), ("DELETE", "/api/v1/orders", 405)):
        r = client.open(path, method=method)
        assert r.status_code == status and r.is_json and r.json["error"]["code"]


def test_a_method_the_address_lacks_is_405_saying_what_is_allowed(client):
    for method in ("TRACE", "DELETE", "PUT"):
        r = client.open("/api/v1/orders", method=method)
        assert r.status_code == 405 and r.is_json, method
        assert set(r.headers["Allow"].split(", ")) >= {"POST"}, method
    r = client.open("/api/v1/campaigns/5/send", method="TRACE")
    assert r.status_code == 405 and "POST" in r.headers["Allow"]


def test_a_nul_character_anywhere_is_refused_and_nothing_is_stored(api, session):
    from models import Reward

    body = {"name": "券", "kind": "gift", "points_price": 1, "stock": 0, "description": "\x00"}
    r = api.post("/rewards", body)
    assert error(r) == (422, "invalid_reward") and r.get_json()["error"]["details"] == [
        "description: must not contain NUL characters"
    ]
    assert error(api.post("/rewards", {**body, "description": None, "n\x00": 1}))[0] == 422
    assert error(api.get("/reviews?status=%00")) == (422, "invalid_query")
    assert api.get("/members/o%00x").status_code == 404
    assert api.get("/orders/SO%00").status_code == 404
    assert session.query(Reward).count() == 0
