# ruff: noqa: F811  (the make_member fixture, imported, is taken by name)
"""我的兑换: each code with its QR code, its state in words and its expiry; used and expired greyed."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from sqlalchemy import update

from models import Redemption, utcnow
from services.points import ledger, rewards
from tests.api.conftest import make_member  # noqa: F401
from tests.conftest import APPID
from tests.h5.helpers import add_reward, forms, text

MEMBER = "oMine0001"


def _redeem(app, account_id, member_id, reward_id, key, days_ago):
    at = utcnow() - timedelta(days=days_ago)
    with app.extensions["tiefen"].sessions.begin() as s:
        ledger.credit(
            s, [ledger.Credit(account_id, member_id, f"t:{key}", 100, "checkin", at.date(), at, None)]
        )
        return rewards.redeem(s, account_id, member_id, reward_id, key, at.date(), at).redemption.code


def test_each_code_shows_its_qr_state_and_expiry(app, client, login, make_member, session, account):
    member_id = make_member(MEMBER)
    week = add_reward(session, account.id, "周卡券", price=10, stock=9, valid_days=7)
    forever = add_reward(session, account.id, "纪念杯", price=10, stock=9)
    expired = _redeem(app, account.id, member_id, week, "a", days_ago=10)
    waiting = _redeem(app, account.id, member_id, week, "b", days_ago=2)
    used = _redeem(app, account.id, member_id, forever, "c", days_ago=1)
    session.execute(
        update(Redemption).where(Redemption.code == used).values(used_at=utcnow(), used_by="店员")
    )
    session.commit()
    login(MEMBER)
    html = client.get(f"/h5/{APPID}/redemptions").text
    rows = {
        code: row
        for row in re.findall(r'<li class="redemption.*?</li>', html, flags=re.S)
        for code in (expired, waiting, used)
        if code in row
    }
    assert set(rows) == {expired, waiting, used}
    assert 'class="redemption waiting"' in rows[waiting] and "opacity" not in rows[waiting]
    assert "待使用" in text(rows[waiting]) and "有效期至" in text(rows[waiting])
    assert "已过期" in text(rows[expired]) and "过期" in text(rows[expired]) and "opacity" in rows[expired]
    assert "已使用" in text(rows[used]) and "长期有效" in text(rows[used]) and "opacity" in rows[used]
    for code, row in rows.items():  # a QR code of each, its state in the picture's words too
        src = re.search(r'<img src="(data:image/svg\+xml[^"]+)" alt="兑换码 (\w+) 的二维码', row)
        assert src and src.group(2) == code and unquote(src.group(1)).count("<svg") == 1
    assert "待使用" not in text(rows[expired]) and "待使用" not in text(rows[used])


def test_a_new_redemption_says_how_long_its_code_is_good(client, login, make_member, session, account):
    member_id = make_member(MEMBER)
    with session.begin():
        now = utcnow()
        ledger.credit(
            session, [ledger.Credit(account.id, member_id, "t:r", 100, "checkin", now.date(), now, None)]
        )
    reward_id = add_reward(session, account.id, "周卡券", price=10, stock=9, valid_days=7)
    login(MEMBER)
    key = forms(client.get(f"/h5/{APPID}/rewards").text)[f"/h5/{APPID}/rewards/{reward_id}/redeem"]

    def day_in_a_week():
        return (utcnow() + timedelta(days=7)).astimezone(ZoneInfo(account.timezone)).strftime("%Y-%m-%d")

    before = day_in_a_week()
    done = client.post(f"/h5/{APPID}/rewards/{reward_id}/redeem", data={"request_key": key, "confirmed": "1"})
    days = {before, day_in_a_week()}  # the same day unless midnight passed in between
    assert done.status_code == 200 and any(f"有效期至 {d}" in text(done.text) for d in days)
