"""A reward's validity in days: its codes expire, an expired code is never used, a used one stays used."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import bot.api.points.redemptions as redemption_api
from models import AuditEntry, Redemption, Reward, utcnow
from services.points import ledger, rewards
from tests.api.conftest import error
from tests.factories import count

COFFEE = {"name": "拿铁券", "kind": "coupon", "points_price": 10, "stock": 5}


def _redeem(app, account_id, member_id, reward_id, key, days_ago=0):
    """Redeem as if `days_ago` days ago (a fixed clock for the service)."""
    at = utcnow() - timedelta(days=days_ago)
    with app.extensions["tiefen"].sessions.begin() as s:
        grant = ledger.Credit(account_id, member_id, f"test:{key}", 50, "checkin", at.date(), at, None)
        ledger.credit(s, [grant])
        return rewards.redeem(s, account_id, member_id, reward_id, key, at.date(), at).redemption.code


def test_valid_days_are_set_changed_cleared_and_checked(api, session):
    made = api.post("/rewards", {**COFFEE, "valid_days": 30})
    assert made.status_code == 201 and made.get_json()["valid_days"] == 30
    rid = made.get_json()["id"]
    assert api.post("/rewards", COFFEE).get_json()["valid_days"] is None  # no expiry unless told
    assert api.patch(f"/rewards/{rid}", {"valid_days": 7}).get_json()["valid_days"] == 7
    assert api.patch(f"/rewards/{rid}", {"stock": 4}).get_json()["valid_days"] == 7  # kept
    assert api.patch(f"/rewards/{rid}", {"valid_days": None}).get_json()["valid_days"] is None
    for bad in (0, 3651, -1, 2.5, "30", True):
        r = api.patch(f"/rewards/{rid}", {"valid_days": bad})
        assert error(r) == (422, "invalid_reward") and r.get_json()["error"]["details"][0].startswith(
            "valid_days"
        ), bad
        assert error(api.post("/rewards", {**COFFEE, "valid_days": bad})) == (422, "invalid_reward"), bad
    session.expire_all()
    assert session.get(Reward, rid).valid_days is None and count(session, Reward) == 2


def test_an_expired_code_is_refused_and_nothing_is_recorded(app, api, make_member, session):
    member_id = make_member("oExpire1")
    rid = api.post("/rewards", {**COFFEE, "valid_days": 30}).get_json()["id"]
    old = _redeem(app, api.account.id, member_id, rid, "old", days_ago=31)
    fresh = _redeem(app, api.account.id, member_id, rid, "fresh", days_ago=29)
    checked = api.get(f"/redemptions/{old}").get_json()
    assert checked["status"] == "expired" and checked["used_at"] is None
    refused = api.post(f"/redemptions/{old}/use")
    assert error(refused) == (409, "code_expired")
    body = refused.get_json()["error"]
    assert "过期" in body["message"] and "不能核销" in body["message"] and "expired" in body["details"][0]
    assert session.scalar(select(Redemption.used_at).where(Redemption.code == old)) is None
    assert count(session, AuditEntry, AuditEntry.action == "use_code") == 0
    assert api.get(f"/redemptions/{fresh}").get_json()["status"] == "waiting"
    assert api.post(f"/redemptions/{fresh}/use").get_json()["status"] == "used"
    listed = {i["code"]: i for i in api.get("/redemptions").get_json()["items"]}
    assert (listed[old]["status"], listed[fresh]["status"]) == ("expired", "used")
    assert listed[old]["expires_at"].endswith("+08:00") and listed[fresh]["used_at"] is not None


def test_a_used_code_stays_used_after_its_expiry(app, api, make_member, monkeypatch):
    member_id = make_member("oExpire2")
    rid = api.post("/rewards", {**COFFEE, "valid_days": 1}).get_json()["id"]
    code = _redeem(app, api.account.id, member_id, rid, "k")
    used = api.post(f"/redemptions/{code}/use").get_json()
    assert used["status"] == "used" and used["expires_at"] is not None
    later = utcnow() + timedelta(days=40)
    monkeypatch.setattr(redemption_api, "utcnow", lambda: later)  # the till's clock, weeks later
    assert api.get(f"/redemptions/{code}").get_json()["status"] == "used"
    assert error(api.post(f"/redemptions/{code}/use")) == (409, "code_used")  # not "expired"


@pytest.mark.parametrize("days", [None, 3650])
def test_a_code_without_expiry_or_a_long_one_is_waiting(app, api, make_member, days):
    member_id = make_member("oExpire3")
    rid = api.post("/rewards", {**COFFEE, "valid_days": days}).get_json()["id"]
    code = _redeem(app, api.account.id, member_id, rid, "k", days_ago=400)
    got = api.get(f"/redemptions/{code}").get_json()
    assert got["status"] == ("waiting" if days else "waiting") and (got["expires_at"] is None) == (
        days is None
    )
