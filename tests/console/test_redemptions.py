"""核销 in the console: a cashier finds a code and uses it once; a viewer cannot."""

from __future__ import annotations

from sqlalchemy import select

from models import Redemption, utcnow
from services.points import ledger, rewards
from tests.api.conftest import make_member  # noqa: F401


def _code(app, account, make_member) -> str:  # noqa: F811
    member_id = make_member("oTill01")
    with app.extensions["tiefen"].sessions.begin() as s:
        now = utcnow()
        ledger.credit(s, [ledger.Credit(account.id, member_id, "t:1", 30, "checkin", now.date(), now, None)])
        reward = rewards.create_reward(
            s, account.id, {"name": "美式券", "kind": "coupon", "points_price": 10, "stock": 2}
        )
        return rewards.redeem(s, account.id, member_id, reward.id, "k", now.date(), now).redemption.code


def test_a_cashier_uses_a_code_once(app, account, make_member, sign_in, session):  # noqa: F811
    code = _code(app, account, make_member)
    cashier = sign_in("cashier", "收银员小吴")
    found = cashier.get(f"/console/redemptions?code={code.lower()}")
    assert found.status_code == 200 and "美式券" in found.text and "待使用" in found.text
    done = cashier.post("/console/redemptions/use", {"code": code}, follow_redirects=True)
    assert "核销成功" in done.text and "已于" in done.text
    again = cashier.post("/console/redemptions/use", {"code": code}, follow_redirects=True)
    assert "不能重复使用" in again.text and "收银员小吴" in again.text
    assert session.scalar(select(Redemption.used_by)) == "收银员小吴"
    assert "没有这个兑换码" in cashier.get("/console/redemptions?code=ZZZZ").text


def test_a_viewer_cannot_use_a_code(app, account, make_member, sign_in, session):  # noqa: F811
    code = _code(app, account, make_member)
    viewer = sign_in("viewer")
    assert viewer.get(f"/console/redemptions?code={code}").status_code == 403
    viewer.get("/console/")
    assert viewer.post("/console/redemptions/use", {"code": code}).status_code == 403
    assert session.scalar(select(Redemption.used_at)) is None
