"""核销: a redemption code is checked and used once at the till, with who used it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from models import AuditEntry, Redemption, utcnow
from services.points import ledger, rewards
from tests.api.conftest import Api, error


@pytest.fixture
def code(app, api, make_member, session) -> str:
    member_id = make_member("oRedeem1")
    reward = api.post(
        "/rewards", {"name": "拿铁券", "kind": "coupon", "points_price": 10, "stock": 5}
    ).get_json()
    with app.extensions["tiefen"].sessions.begin() as s:
        now = utcnow()
        grant = ledger.Credit(api.account.id, member_id, "test:grant", 50, "checkin", now.date(), now, None)
        ledger.credit(s, [grant])
        done = rewards.redeem(s, api.account.id, member_id, reward["id"], "k1", now.date(), now)
        return done.redemption.code


def test_a_code_is_checked_then_used_once_by_the_cashier(api, client, code, session):
    till = api.post("/tokens", {"name": "一号收银台", "role": "cashier"}).get_json()
    cashier = Api(client, till["token"], api.account)
    checked = cashier.get(f"/redemptions/{code.lower()}").get_json()
    assert (checked["reward"], checked["openid"], checked["status"], checked["used_by"]) == (
        "拿铁券",
        "oRedeem1",
        "waiting",
        None,
    )
    used = cashier.post(f"/redemptions/{code}/use")
    assert used.status_code == 200 and used.get_json()["status"] == "used"
    assert used.get_json()["used_by"] == "一号收银台"
    again = cashier.post(f"/redemptions/{code}/use")
    assert error(again) == (409, "code_used") and "一号收银台" in again.get_json()["error"]["message"]
    assert cashier.get(f"/redemptions/{code}").get_json()["status"] == "used"
    logged = session.scalars(select(AuditEntry.action).where(AuditEntry.action == "use_code")).all()
    assert logged == ["use_code"]  # the refused second use left no entry


def test_racing_cashiers_use_a_code_once(api, code, session):
    def use(_: int) -> int:
        return api.post(f"/redemptions/{code}/use").status_code

    with ThreadPoolExecutor(8) as pool:
        answers = sorted(pool.map(use, range(8)))
    assert answers == [200] + [409] * 7
    assert session.scalar(select(Redemption.used_at)) is not None


def test_unknown_codes_and_other_roles(api, client, other_api, code):
    assert error(api.get("/redemptions/ZZZZZZZZ")) == (404, "unknown_code")
    assert error(api.post("/redemptions/not-a-code/use")) == (404, "unknown_code")
    assert error(other_api.post(f"/redemptions/{code}/use")) == (404, "unknown_code")
    viewer = Api(
        client, api.post("/tokens", {"name": "看板", "role": "viewer"}).get_json()["token"], api.account
    )
    assert error(viewer.post(f"/redemptions/{code}/use")) == (403, "forbidden")
