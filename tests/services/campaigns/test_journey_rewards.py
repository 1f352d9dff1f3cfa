# ruff: noqa: F811  (the API fixtures, imported, are parameters of the tests)
"""A journey's reward: the seeded 唤醒 journey grants the 回归券 its title promises, a 0-point
redemption per member its message reached (once, however often it is retried), stock taken as a
redemption takes it; out of stock the message still goes and the grant records why."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import Journey, JourneyGrant, Member, Redemption, Reward, utcnow
from services.accounts import member_tokens
from services.campaigns import audience as campaign_service
from services.campaigns import grants, journeys
from tasks.journeys import run_journeys
from tests.api.conftest import api, error  # noqa: F401
from tests.conftest import APPID
from tests.factories import count

WAKE = "唤醒 · 14 天未互动"


@pytest.fixture(autouse=True)
def daytime(monkeypatch):
    monkeypatch.setattr(campaign_service, "in_quiet_hours", lambda *a: False)


def sleepers(wechat, run_jobs, session, names):
    for openid in names:
        wechat.send(wechat.subscribe(openid, create_time=int(time.time()) - 20 * 86400))
    run_jobs()
    session.execute(
        Member.__table__.update()
        .where(Member.openid.in_(names))
        .values(last_interaction_at=utcnow() - timedelta(days=15))
    )
    session.commit()


def wake_journey(session, app):
    account = app.extensions["tiefen"].accounts.get(None)
    journeys.journeys_of(session, account.id)  # the defaults, seeded with their reward
    session.commit()
    return session.scalar(select(Journey).where(Journey.name == WAKE))


def outcomes(session, journey_id):
    session.expire_all()
    rows = session.scalars(select(JourneyGrant.outcome).where(JourneyGrant.journey_id == journey_id))
    return Counter(rows)


def landing(app, client, campaign_id, openid):
    account = app.extensions["tiefen"].accounts.get(None)
    token = member_tokens.sign_member(app.config["SECRET_KEY"], account.id, openid)
    path = f"/h5/{APPID}/campaign/{campaign_id}/A"
    assert client.get(f"{path}?t={token}").status_code == 303
    return client.get(path).text


def test_the_wake_up_journey_grants_its_coupon_once_and_the_member_sees_it(
    wechat, run_jobs, simulator, session, app, client
):
    journey = wake_journey(session, app)
    reward = session.get(Reward, journey.reward_id)
    assert (reward.name, reward.kind, reward.enabled, reward.stock) == ("回归券", "coupon", True, 1000)
    sleepers(wechat, run_jobs, session, ["oSleepy01", "oSleepy02"])

    assert run_journeys()[WAKE] == 2
    assert [sorted(j.recipients) for j in simulator.state.mass.jobs(APPID)] == [["oSleepy01", "oSleepy02"]]
    assert outcomes(session, journey.id) == {"granted": 2}
    rows = session.execute(select(Redemption.points, Redemption.reward_id, Redemption.code)).all()
    assert [(p, r) for p, r, _ in rows] == [(0, reward.id), (0, reward.id)]
    session.expire_all()
    assert session.get(Reward, reward.id).stock == 998

    ids = list(session.scalars(select(Member.id).where(Member.openid.like("oSleepy%"))))
    again = grants.grant_for_sent(session, journey.campaign_id, ids, utcnow())  # a retried close
    session.commit()
    assert again == Counter() and count(session, Redemption) == 2
    assert run_journeys()[WAKE] == 0

    code = session.scalar(
        select(Redemption.code)
        .join(Member, Member.id == Redemption.member_id)
        .where(Member.openid == "oSleepy01")
    )
    page = landing(app, client, journey.campaign_id, "oSleepy01")
    assert "已送你「回归券」" in page and code in page and f"/h5/{APPID}/redemptions" in page
    mine = client.get(f"/h5/{APPID}/redemptions").text
    assert "回归券" in mine and code in mine  # 我的兑换, as any redemption


def test_out_of_stock_the_message_still_goes_and_the_grant_says_why(
    wechat, run_jobs, simulator, session, app, client
):
    journey = wake_journey(session, app)
    session.execute(Reward.__table__.update().where(Reward.id == journey.reward_id).values(stock=1))
    session.commit()
    sleepers(wechat, run_jobs, session, ["oSleepy01", "oSleepy02", "oSleepy03"])

    assert run_journeys()[WAKE] == 3
    assert sorted(simulator.state.mass.jobs(APPID)[0].recipients) == ["oSleepy01", "oSleepy02", "oSleepy03"]
    assert outcomes(session, journey.id) == {"granted": 1, "out_of_stock": 2}
    assert count(session, Redemption) == 1
    assert session.get(Reward, journey.reward_id).stock == 0
    page = landing(app, client, journey.campaign_id, "oSleepy03")
    assert "「回归券」已发放完毕" in page and "已送你" not in page


def test_a_journey_takes_an_enabled_reward_of_its_own_account(api, app, session):  # noqa: F811
    wake = next(j for j in api.get("/journeys").get_json()["items"] if j["name"] == WAKE)
    assert wake["reward_id"] is not None  # the seeded 回归券
    made = api.post("/rewards", {"name": "升级礼", "kind": "gift", "points_price": 10, "stock": 5}).get_json()
    off = api.post(
        "/rewards", {"name": "下架", "kind": "gift", "points_price": 10, "stock": 5, "enabled": False}
    ).get_json()
    body = {"name": "升级祝贺", "trigger": "tier_up", "title": "恭喜升级", "summary": "送你一份礼物"}
    for bad, words in (
        (999, "reward_id: no reward 999"),
        (off["id"], f"reward_id: reward {off['id']} is not"),
    ):
        r = api.post("/journeys", body | {"reward_id": bad})
        assert error(r) == (422, "invalid_journey") and any(
            d.startswith(words) for d in r.get_json()["error"]["details"]
        )
    for bad, words in (
        ({"cover_image_id": 999}, "cover_image_id: no image 999"),
        ({"cover_url": "javascript:alert(1)"}, "unknown field 'cover_url'"),
        ({"cover_url": "http://cdn.example.com/a.png"}, "unknown field 'cover_url'"),
    ):
        r = api.post("/journeys", body | bad)
        assert error(r) == (422, "invalid_journey") and words in " ".join(r.get_json()["error"]["details"])
    created = api.post("/journeys", body | {"reward_id": made["id"]})
    assert created.status_code == 201
    got = created.get_json()
    assert (got["reward_id"], got["grants"]) == (made["id"], {})

    changed = api.patch(f"/journeys/{wake['id']}", {"reward_id": made["id"]}).get_json()
    assert (changed["reward_id"], changed["enabled"]) == (made["id"], True)
    assert api.patch(f"/journeys/{wake['id']}", {"reward_id": None}).get_json()["reward_id"] is None
    assert error(api.patch(f"/journeys/{wake['id']}", {"reward_id": off["id"]})) == (422, "invalid_journey")
    assert api.patch(f"/journeys/{wake['id']}", {"enabled": False}).get_json()["enabled"] is False


def test_a_customer_service_message_grants_and_carries_its_cover_from_this_server(
    wechat, run_jobs, simulator, session, app, client
):
    import io

    from PIL import Image as Pil

    from services.accounts import images

    account = app.extensions["tiefen"].accounts.get(None)
    picture = io.BytesIO()
    Pil.new("RGB", (8, 8), "red").save(picture, "PNG")
    with app.extensions["tiefen"].sessions.begin() as s:
        image = images.store_image(s, account.id, images.reencoded(picture.getvalue()))
        path = images.image_path(image.id, image.sha256, image.content_type)
        reward = Reward(account_id=account.id, name="见面礼", kind="gift", points_price=50, stock=3)
        s.add(reward)
        s.flush()
        body = {
            "name": "见面礼",
            "trigger": "follow",
            "delay_minutes": 60,
            "title": "欢迎",
            "summary": "送你见面礼",
        }
        journey = journeys.create(s, account.id, body | {"reward_id": reward.id, "cover_image_id": image.id})
        journey.created_at = utcnow() - timedelta(days=1)
        campaign_id, journey_id = journey.campaign_id, journey.id
    t = int(time.time())
    wechat.send(wechat.subscribe("oNewbie01", create_time=t - 61 * 60))
    wechat.send(wechat.text("oNewbie01", "你好", create_time=t - 30 * 60))  # window open: customer service
    run_jobs()

    assert run_journeys()["见面礼"] == 1
    sent = [m for m in simulator.state.custom_messages(APPID) if m.content["articles"][0]["title"] == "欢迎"]
    public = app.extensions["tiefen"].settings.public_base_url  # the served address (live_app sets it)
    assert [m.content["articles"][0]["picurl"] for m in sent] == [f"{public}{path}"]
    assert outcomes(session, journey_id) == {"granted": 1}
    page = landing(app, client, campaign_id, "oNewbie01")
    assert f'<img class="reward-picture" src="{path}"' in page and "已送你「见面礼」" in page
    assert client.get(path).status_code == 200  # same origin: what the page's CSP allows
