"""Journeys made in the console: checked as the API checks them, each problem by its field."""

from __future__ import annotations

from sqlalchemy import select

from models import Campaign, Journey


def test_an_operator_adds_a_journey_and_it_runs(sign_in, session):
    operator = sign_in("operator", "运营小许")
    form = operator.get("/console/journeys/new")
    assert form.status_code == 200 and 'id="preview"' in form.text and "等级提升" in form.text
    made = operator.post(
        "/console/journeys/new",
        {
            "name": "升级祝贺",
            "trigger": "tier_up",
            "delay_hours": "2",
            "stages": ["iron"],
            "title": "恭喜升级",
            "summary": "新等级的权益已开通",
        },
        follow_redirects=True,
    )
    assert "旅程已保存并开启" in made.text and "升级祝贺" in made.text
    journey = session.scalar(select(Journey).where(Journey.name == "升级祝贺"))
    assert (journey.trigger, journey.delay_minutes, journey.enabled) == ("tier_up", 120, True)
    assert session.get(Campaign, journey.campaign_id).audience == {"stages": ["iron"]}


def test_a_journey_that_does_not_hold_is_named_field_by_field(sign_in, session):
    operator = sign_in("operator")
    operator.get("/console/journeys/new")
    before = session.scalar(select(Journey.id).order_by(Journey.id.desc()))
    bad = operator.post(
        "/console/journeys/new",
        {"name": "", "trigger": "inactive", "delay_hours": "-1", "title": "x" * 70, "summary": "s"},
    )
    assert bad.status_code == 422
    for field in ("name", "delay_minutes", "title"):
        assert f'data-for="{field}"' in bad.text, field
    days = operator.post(
        "/console/journeys/new", {"name": "唤醒", "trigger": "inactive", "title": "t", "summary": "s"}
    )
    assert days.status_code == 422 and "inactive needs trigger_days" not in days.text  # said in Chinese
    assert 'data-for="trigger_days">这种触发需要填写天数' in days.text
    assert session.scalar(select(Journey.id).order_by(Journey.id.desc())) == before


def test_a_viewer_cannot_add_a_journey(sign_in, session):
    viewer = sign_in("viewer")
    assert viewer.get("/console/journeys/new").status_code == 403
    viewer.get("/console/")
    posted = viewer.post(
        "/console/journeys/new", {"name": "x", "trigger": "follow", "title": "t", "summary": "s"}
    )
    assert posted.status_code == 403
    assert session.scalar(select(Journey).where(Journey.name == "x")) is None


def test_a_journey_gets_an_uploaded_cover_and_a_reward(sign_in, session, app):
    from models import Image, Reward
    from tests.console.test_rewards import png, upload

    account = app.extensions["tiefen"].accounts.get(None)
    reward = Reward(account_id=account.id, name="升级礼", kind="gift", points_price=10, stock=5)
    session.add(reward)
    session.commit()
    operator = sign_in("operator")
    form = operator.get("/console/journeys/new").text
    assert 'enctype="multipart/form-data"' in form and 'name="cover"' in form and "升级礼(库存 5)" in form
    body = {"name": "升级祝贺", "trigger": "tier_up", "title": "恭喜升级", "summary": "送你一份升级礼"}
    refused = operator.post("/console/journeys/new", body | {"cover": upload(b"not an image" * 10, "x.png")})
    assert refused.status_code == 422 and 'data-for="cover">文件不是有效的图片' in refused.text
    assert session.scalar(select(Journey).where(Journey.name == "升级祝贺")) is None
    made = operator.post(
        "/console/journeys/new", body | {"cover": upload(png()), "reward_id": str(reward.id)}
    )
    assert made.status_code == 302
    journey = session.scalar(select(Journey).where(Journey.name == "升级祝贺"))
    campaign = session.get(Campaign, journey.campaign_id)
    assert journey.reward_id == reward.id
    assert session.get(Image, campaign.cover_image_id).account_id == account.id
