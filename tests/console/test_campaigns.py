"""Campaigns in the console: the editor checks as the API does (nothing stored on bad input), the live
preview counts the draft audience, actions go through the lifecycle and are audited, the report
draws its charts, and the roles and accounts keep to their own."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from models import AuditEntry, Campaign, Journey, Member, utcnow
from services.accounts.registry import save_account
from tests.api.conftest import make_member  # noqa: F401
from tests.factories import count

GOOD = {
    "name": "周末拿铁买一送一",
    "a_title": "周末拿铁买一送一",
    "a_summary": "会员专享,周六周日全天",
    "schedule": "now",
    "quiet_start": "22:00",
    "quiet_end": "08:00",
}


@pytest.fixture
def crowd(app: Any, make_member: Any, session: Any) -> dict[str, int]:  # noqa: F811
    """Four followers with 0, 100, 200 and 300 points."""
    ids = {f"oCon{i}": make_member(f"oCon{i}") for i in range(4)}
    for i, member_id in enumerate(ids.values()):
        session.execute(update(Member).where(Member.id == member_id).values(points_balance=i * 100))
    session.commit()
    return ids


def test_the_editor_saves_a_good_campaign_as_a_draft(sign_in, session, crowd):
    owner = sign_in("owner")
    owner.get("/console/campaigns/new")
    r = owner.post("/console/campaigns/new", GOOD | {"points_min": "100"})
    assert r.status_code == 302, r.text
    c = session.scalar(select(Campaign))
    assert c.name == "周末拿铁买一送一" and c.status == "draft"
    assert c.audience == {"points_min": 100}
    assert c.variants == [{"code": "A", "split": 100, "title": GOOD["a_title"], "summary": GOOD["a_summary"]}]
    assert (c.quiet_start, c.quiet_end) == (22 * 60, 8 * 60)
    listed = owner.get("/console/campaigns")
    assert "周末拿铁买一送一" in listed.text and "草稿" in listed.text
    assert "<td>3</td>" in listed.text  # three members have at least 100 points
    every = {
        "stages": ["light", "iron"],
        "rfm_segments": ["important_value"],
        "tags": "咖啡控,老客",
        "kol": "1",
        "active_within_days": "30",
        "followed_since": "2025-01-01",
        "ab": "1",
        "a_split": "70",
        "b_title": "积分翻倍",
        "b_summary": "周末消费积分翻倍",
        "b_split": "30",
        "schedule": "cron",
        "recurring": "0 10 * * 1",
        "quiet_start": "21:30",
    }
    assert owner.post("/console/campaigns/new", GOOD | every).status_code == 302
    c = session.scalars(select(Campaign).order_by(Campaign.id.desc())).first()
    assert c.audience == {
        "stages": ["light", "iron"],
        "rfm_segments": ["important_value"],
        "tags": ["咖啡控", "老客"],
        "kol": True,
        "active_within_days": 30,
        "followed_since": "2025-01-01T00:00:00+08:00",
    }
    assert [(v["code"], v["split"]) for v in c.variants] == [("A", 70), ("B", 30)]
    assert (c.recurring, c.quiet_start, c.send_at) == ("0 10 * * 1", 21 * 60 + 30, None)


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        ({"name": ""}, "name", "不能为空"),
        ({"a_title": "x" * 65}, "variants[0].title", "最多 64 个字"),
        ({"a_summary": ""}, "variants[0].summary", "不能为空"),
        ({"ab": "1", "a_split": "60", "b_title": "B", "b_summary": "b", "b_split": "30"}, "variants", "100"),
        (
            {"ab": "1", "a_split": "abc", "b_title": "B", "b_summary": "b", "b_split": "50"},
            "variants[0].split",
            "整数",
        ),
        ({"points_min": "many"}, "audience.points_min", "整数"),
        ({"points_min": "300", "points_max": "100"}, "audience.points_min", "最低积分不能大于最高积分"),
        ({"points_max": "-1"}, "audience.points_max", "不能小于 0"),
        ({"active_within_days": "0"}, "audience.active_within_days", "不能小于 1"),
        ({"inactive_for_days": "9999"}, "audience.inactive_for_days", "不能大于 3650"),
        ({"stages": ["gold"]}, "audience.stages", "请从选项中选择"),
        ({"rfm_segments": ["vip"]}, "audience.rfm_segments", "请从选项中选择"),
        ({"tiers": ["platinum"]}, "audience.tiers", "没有等级「platinum」"),
        ({"tags": "x" * 31}, "audience.tags", "最多 30 个字"),
        ({"followed_since": "yesterday"}, "audience.followed_since", "日期"),
        ({"schedule": "at", "send_at": "2020-01-01T10:00"}, "send_at", "不能早于现在"),
        ({"schedule": "at", "send_at": "soon"}, "send_at", "日期时间"),
        ({"schedule": "cron", "recurring": "*/10 * * * *"}, "recurring", "每小时"),
        ({"quiet_start": "25:99"}, "quiet_start", "不能大于 1439"),
        ({"quiet_end": "noon"}, "quiet_end", "整数"),
    ],
)
def test_bad_input_is_shown_by_its_field_and_nothing_is_stored(sign_in, session, bad, field, words):
    owner = sign_in("operator")
    owner.get("/console/campaigns/new")
    r = owner.post("/console/campaigns/new", GOOD | bad)
    assert r.status_code == 422
    shown = r.text.split(f'data-for="{field}">', 1)
    assert len(shown) == 2, (field, r.text[r.text.find("problems") :][:600])
    assert words in shown[1].split("</div>", 1)[0]
    assert session.scalar(select(Campaign)) is None
    assert count(session, AuditEntry, AuditEntry.action == "campaigns_new") == 0
    typed = (GOOD | bad)["name"]
    assert not typed or f'value="{typed}"' in r.text  # what was typed stays


def test_the_live_preview_follows_the_filters(sign_in, crowd):
    viewer = sign_in("viewer")  # reading: everyone
    everyone = viewer.get("/console/campaigns/preview")
    assert everyone.status_code == 200 and everyone.mimetype == "application/json"
    body = everyone.get_json()
    assert (
        body["audience"] == 4 and body["reachable"] == 4 and body["by_channel"] == {"客服消息": 0, "群发": 4}
    )
    assert viewer.get("/console/campaigns/preview?points_min=150").get_json()["audience"] == 2
    assert viewer.get("/console/campaigns/preview?points_min=150&points_max=250").get_json()["audience"] == 1
    assert viewer.get("/console/campaigns/preview?kol=1").get_json()["audience"] == 0
    bad = viewer.get("/console/campaigns/preview?points_min=lots&stages=gold")
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {
        "audience.points_min": ["请填写整数"],
        "audience.stages": ["请从选项中选择"],
    }
    tier = viewer.get("/console/campaigns/preview?tiers=platinum").get_json()
    assert tier["errors"] == {"audience.tiers": ["没有等级「platinum」"]}


def test_the_editor_page_has_the_preview_script_from_self(sign_in, app):
    page = sign_in("owner").get("/console/campaigns/new")
    assert page.status_code == 200
    assert '<script src="/static/console/campaigns.js">' in page.text
    assert 'data-preview="/console/campaigns/preview"' in page.text
    with app.test_client().get("/static/console/campaigns.js") as script:
        assert script.status_code == 200 and b"fetch(" in script.data


def _draft(session, account_id, **values):
    c = Campaign(
        account_id=account_id,
        name=values.pop("name", "测试活动"),
        audience={},
        variants=[
            {"code": "A", "split": 50, "title": "甲", "summary": "甲"},
            {"code": "B", "split": 50, "title": "乙", "summary": "乙"},
        ],
        **values,
    )
    session.add(c)
    session.commit()
    return c.id


def test_send_pause_resume_cancel_go_through_the_lifecycle_and_are_audited(
    sign_in, session, crowd, account, run_jobs
):
    cid = _draft(session, account.id, send_at=utcnow() + timedelta(days=1))
    owner = sign_in("owner", "店主")
    page = owner.get(f"/console/campaigns/{cid}")
    assert page.status_code == 200 and "试发送" in page.text and "oCon0" in page.text
    assert "暂停" not in page.text.split("查看报表")[0]  # a draft cannot be paused

    def status():
        session.expire_all()
        return session.get(Campaign, cid).status

    r = owner.post(f"/console/campaigns/{cid}/send")
    assert r.status_code == 302
    run_jobs()  # the senders queued (the embedded mode ran them already)
    assert status() == "scheduled"  # the sending job claimed it: its time has not come
    assert owner.post(f"/console/campaigns/{cid}/pause").status_code == 302 and status() == "paused"
    assert "已暂停" in owner.get(f"/console/campaigns/{cid}").text
    assert owner.post(f"/console/campaigns/{cid}/pause").status_code == 302 and status() == "paused"
    refused = owner.get(f"/console/campaigns/{cid}")
    assert "不能暂停" in refused.text
    assert owner.post(f"/console/campaigns/{cid}/resume").status_code == 302
    run_jobs()
    assert status() == "scheduled"
    assert owner.post(f"/console/campaigns/{cid}/cancel").status_code == 302 and status() == "cancelled"
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "campaigns_act").order_by(AuditEntry.id)
    ).all()
    assert [e.record.rsplit("/", 1)[1] for e in entries] == ["send", "pause", "resume", "cancel"]
    assert all(e.actor == "店主" for e in entries)
    assert entries[-1].after[f"campaigns:{cid}"] == {"status": "cancelled"}
    assert owner.post(f"/console/campaigns/{cid}/explode").status_code == 404


def test_a_send_to_nobody_is_refused(sign_in, session, account):
    cid = _draft(session, account.id)
    owner = sign_in("owner")
    owner.get(f"/console/campaigns/{cid}")
    owner.post(f"/console/campaigns/{cid}/send")
    assert "目标人群为空" in owner.get(f"/console/campaigns/{cid}").text
    session.expire_all()
    assert session.get(Campaign, cid).status == "draft"


def test_the_report_draws_a_chart_per_measure(sign_in, session, account, crowd):
    cid = _draft(session, account.id, name="报表活动")
    page = sign_in("viewer").get(f"/console/campaigns/{cid}/report")
    assert page.status_code == 200
    assert page.text.count('<svg class="chart"') == 2
    assert "版本 A" in page.text and "版本 B" in page.text and "各版本触达" in page.text


def test_journeys_are_listed_and_switched(sign_in, session, account):
    owner = sign_in("owner")
    listed = owner.get("/console/campaigns")
    assert "新人欢迎 · 第一天" in listed.text and "已开启" in listed.text
    journey = session.scalar(select(Journey).order_by(Journey.id))
    r = owner.post(f"/console/journeys/{journey.id}/switch", {"enabled": "0"})
    assert r.status_code == 302
    session.expire_all()
    assert session.get(Journey, journey.id).enabled is False
    assert count(session, AuditEntry, AuditEntry.action == "campaigns_journey_switch") == 1


@pytest.mark.parametrize("role", ["viewer", "cashier"])
def test_readers_cannot_change_campaigns(sign_in, session, account, crowd, role):
    cid = _draft(session, account.id)
    person = sign_in(role)
    assert person.get("/console/campaigns").status_code == 200
    assert "新建活动" not in person.get("/console/campaigns").text
    assert person.get("/console/campaigns/new").status_code == 403
    assert person.post("/console/campaigns/new", GOOD).status_code == 403
    assert person.post(f"/console/campaigns/{cid}/send").status_code == 403
    journey_id = session.scalar(select(Journey.id))
    assert person.post(f"/console/journeys/{journey_id}/switch", {"enabled": "0"}).status_code == 403
    session.expire_all()
    assert session.get(Campaign, cid).status == "draft"
    assert count(session, Campaign, Campaign.kind == "campaign") == 1
    assert session.get(Journey, journey_id).enabled is True


def test_another_accounts_campaign_is_not_found(sign_in, session):
    other, _ = save_account(session, "wxother000000002", "隔壁小店", "othertoken")
    session.commit()
    cid = _draft(session, other.id)
    owner = sign_in("owner")
    owner.get("/console/campaigns")
    for path in (f"/console/campaigns/{cid}", f"/console/campaigns/{cid}/report"):
        assert owner.get(path).status_code == 404
    assert owner.post(f"/console/campaigns/{cid}/cancel").status_code == 404
    session.expire_all()
    assert session.get(Campaign, cid).status == "draft"
    assert "测试活动" not in owner.get("/console/campaigns").text


def test_a_campaign_cover_is_uploaded_and_shown_from_this_server(sign_in, session, crowd):
    from models import Image
    from tests.console.test_rewards import png, upload

    operator = sign_in("operator")
    assert 'enctype="multipart/form-data"' in operator.get("/console/campaigns/new").text
    body = {"name": "周末活动", "a_title": "周末拿铁买一送一", "a_summary": "周六周日到店", "schedule": "now"}
    bad = operator.post("/console/campaigns/new", body | {"cover": upload(b"GIF89a" + b"0" * 50, "x.gif")})
    assert bad.status_code == 422 and 'data-for="cover">' in bad.text
    made = operator.post("/console/campaigns/new", body | {"cover": upload(png())})
    assert made.status_code == 302
    campaign = session.scalar(select(Campaign).where(Campaign.name == "周末活动"))
    image = session.get(Image, campaign.cover_image_id)
    path = f"/media/{image.id}/{image.sha256[:16]}.png"
    assert f'src="{path}"' in operator.get(f"/console/campaigns/{campaign.id}").text
