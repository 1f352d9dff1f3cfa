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


def _redeemed(app, account, member_id, valid_days, days_ago):
    """A redemption made `days_ago` days ago of a reward good `valid_days` days (a fixed clock)."""
    from datetime import timedelta

    at = utcnow() - timedelta(days=days_ago)
    with app.extensions["tiefen"].sessions.begin() as s:
        ledger.credit(
            s, [ledger.Credit(account.id, member_id, f"t:{at}", 30, "checkin", at.date(), at, None)]
        )
        reward = rewards.create_reward(
            s,
            account.id,
            {"name": "拿铁券", "kind": "coupon", "points_price": 10, "stock": 2, "valid_days": valid_days},
        )
        return rewards.redeem(s, account.id, member_id, reward.id, f"k{at}", at.date(), at).redemption.code


def test_an_expired_code_is_shown_as_such_and_never_used(app, account, make_member, sign_in, session):  # noqa: F811
    member_id = make_member("oTill02")
    old = _redeemed(app, account, member_id, valid_days=7, days_ago=8)
    fresh = _redeemed(app, account, member_id, valid_days=7, days_ago=1)
    cashier = sign_in("cashier", "收银员小李")
    page = cashier.get(f"/console/redemptions?code={old}").text
    assert "已过期" in page and "不能核销" in page and "确认核销" not in page
    refused = cashier.post("/console/redemptions/use", {"code": old}, follow_redirects=True)
    assert "过期，不能核销" in refused.text and "核销成功" not in refused.text
    assert session.scalar(select(Redemption.used_at).where(Redemption.code == old)) is None
    assert "有效期至" in cashier.get(f"/console/redemptions?code={fresh}").text
    done = cashier.post("/console/redemptions/use", {"code": fresh}, follow_redirects=True)
    assert "核销成功" in done.text
    listed = cashier.get("/console/redemptions").text
    assert "最近兑换" in listed and listed.count("已过期") == 1 and "已使用" in listed
