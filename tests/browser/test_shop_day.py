"""A shop's day in the browser: the owner edits a point task, adds a reward with a picture, makes a
campaign and watches its audience change with a filter, sends it and reads the report; an operator
approves a held referral; a cashier finds a member and uses their code, and is refused the programme."""

from __future__ import annotations

import io
import re
import time

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from models import Campaign, Delivery, Member, PointTaskRow, Redemption, Reward, utcnow
from services.points import ledger, rewards
from tests.services.referrals.test_attribution import code_of, follower


def _customers(wechat, run_jobs, app, account) -> int:  # noqa: F811
    for i in range(4):
        wechat.send(wechat.subscribe(f"oShopDay{i}"))
        wechat.send(wechat.text(f"oShopDay{i}", "你好"))
    run_jobs()
    with app.extensions["tiefen"].sessions.begin() as s:
        member_id = s.scalar(select(Member.id).where(Member.openid == "oShopDay0"))
        now = utcnow()
        ledger.credit(
            s, [ledger.Credit(account.id, member_id, "day:grant", 500, "checkin", now.date(), now, None)]
        )
    return member_id


def _png(path) -> str:
    image = Image.new("RGB", (320, 320), (7, 193, 96))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_the_owner_runs_the_programme(browse, wechat, run_jobs, app, account, session, tmp_path):
    _customers(wechat, run_jobs, app, account)
    owner = browse("owner", "店主老周")

    owner.go("/console/programme/tasks/checkin")
    owner.page.fill("#points", "7")
    owner.page.click("form button[type=submit]")
    owner.page.wait_for_selector(".flash.ok")
    owner.shot("task-saved")
    session.expire_all()
    assert session.scalar(select(PointTaskRow.points).where(PointTaskRow.action == "checkin")) == 7

    owner.go("/console/rewards")
    owner.page.fill("#name", "拿铁兑换券")
    owner.page.fill("#points_price", "50")
    owner.page.fill("#stock", "10")
    owner.page.set_input_files("#image", _png(tmp_path / "latte.png"))
    owner.page.check("input[name=enabled]")
    owner.page.click("form[enctype] button[type=submit]")
    owner.page.wait_for_selector(".flash.ok")
    picture = owner.page.locator("img[src*='/media/']").first
    assert picture.evaluate("i => i.complete && i.naturalWidth > 0")  # served by Tiefen, drawn
    owner.shot("rewards-with-picture")
    assert session.scalar(select(Reward.image_id)) is not None

    owner.go("/console/campaigns/new")
    owner.page.fill("#name", "周末拿铁")
    audience = owner.page.locator("#preview [data-k=audience]")
    expect(audience).to_have_text("4")
    owner.page.fill("#points_min", "100")
    expect(audience).to_have_text("1")  # the preview follows the filter as it is typed
    owner.shot("campaign-preview")
    owner.page.fill("#points_min", "")
    owner.page.fill("#a_title", "周末拿铁买一送一")
    owner.page.fill("#a_summary", "本周六日到店出示消息即可")
    owner.page.fill("#quiet_start", "00:00")  # no quiet hours: the test runs at any hour in Shanghai
    owner.page.fill("#quiet_end", "00:00")
    owner.page.click("#campaign-form button[type=submit]")
    owner.page.wait_for_url(re.compile(r"/console/campaigns/\d+$"))
    owner.page.once("dialog", lambda d: d.accept())
    owner.page.click("form[action$='/send'] button")
    owner.page.wait_for_selector(".flash.ok")
    run_jobs()
    campaign_id = session.scalar(select(Campaign.id).where(Campaign.name == "周末拿铁"))
    owner.go(f"/console/campaigns/{campaign_id}/report")
    report = owner.page.inner_text("main")
    assert "周末拿铁" in report and owner.page.locator("svg.chart").count() >= 1
    session.expire_all()
    assert session.scalar(select(Campaign.status).where(Campaign.id == campaign_id)) in ("sending", "done")
    sent = session.scalars(select(Delivery.status).where(Delivery.campaign_id == campaign_id)).all()
    assert sent == ["sent"] * 4  # every customer, by customer-service message (they had just written)


def test_an_operator_approves_a_held_referral(browse, wechat, run_jobs, session):
    alice = follower(wechat, run_jobs, session, "oShopAlice1")
    scene = code_of(session, alice)
    t = int(time.time()) - 600
    for i in range(6):
        wechat.send(wechat.subscribe(f"oShopFriend{i}", scene=scene, create_time=t + i))
    run_jobs()
    operator = browse("operator", "运营小孙")
    operator.go("/console/referrals")
    assert "短时间内推荐人数异常多" in operator.page.inner_text("main")
    operator.page.locator("form[action$='/approve'] button").first.click()
    operator.page.wait_for_selector(".flash.ok")
    operator.shot("referral-approved")


def test_a_cashier_finds_a_member_uses_a_code_and_is_refused_the_programme(
    browse, wechat, run_jobs, app, account
):
    member_id = _customers(wechat, run_jobs, app, account)
    with app.extensions["tiefen"].sessions.begin() as s:
        now = utcnow()
        reward = rewards.create_reward(
            s, account.id, {"name": "美式券", "kind": "coupon", "points_price": 20, "stock": 3}
        )
        code = rewards.redeem(s, account.id, member_id, reward.id, "day:k", now.date(), now).redemption.code
    cashier = browse("cashier", "收银员阿梅")
    cashier.go("/console/members?q=oShopDay0")
    assert "oShopDay0"[-8:] in cashier.page.inner_text("main")
    cashier.go(f"/console/redemptions?code={code}")
    cashier.page.once("dialog", lambda d: d.accept())
    cashier.page.click("form[action$='/redemptions/use'] button")
    cashier.page.wait_for_selector(".flash.ok")
    assert "核销成功" in cashier.page.inner_text(".flash.ok")
    cashier.shot("code-used")
    cashier.go("/console/programme/tasks/checkin")
    token = cashier.page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = cashier.page.request.post(
        cashier.base + "/console/programme/tasks/checkin", form={"csrf_token": token, "points": "99"}
    )
    assert refused.status == 403
    with app.extensions["tiefen"].sessions() as s:
        assert s.scalar(select(Redemption.used_by)) == "收银员阿梅"
        assert s.scalar(select(PointTaskRow.points).where(PointTaskRow.action == "checkin")) != 99
