"""What a campaign's landing page brings: opens recorded once on the delivery, shares of the page,
the reads through them and the follows after them, the points they cost — in the report."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from models import Delivery, LedgerEntry, Member
from services.accounts import member_tokens
from services.campaigns import links as campaign_links
from tests.conftest import APPID
from tests.h5.test_sharing import share_meta
from tests.services.campaigns.test_delivery import daytime, start  # noqa: F401  (daytime: a fixture)

FRIEND = "oCampFriend1"


def landing_link(simulator, openid: str) -> str:
    """The path and query of the link the member's customer-service message carries."""
    message = [m for m in simulator.state.custom_messages(APPID) if m.touser == openid][0]
    url = urlsplit(message.content["articles"][0]["url"])
    return f"{url.path}?{url.query}"


def opens(session, cid):
    session.expire_all()
    rows = session.execute(
        select(Member.openid, Delivery.opened_at).join(Member).where(Delivery.campaign_id == cid)
    )
    return {openid for openid, at in rows if at is not None}


def test_the_members_link_opens_their_page_and_the_open_is_recorded_once(
    app, api, client, talkers, run_jobs, simulator, session
):
    cid = start(api, run_jobs)
    link = landing_link(simulator, talkers[0])
    assert link.startswith(f"/h5/{APPID}/campaign/{cid}/") and "t=" in link
    signed = client.get(link)
    assert signed.status_code == 303 and "t=" not in signed.headers["Location"]  # forwarded, it names nobody
    page = client.get(signed.headers["Location"])
    variant = signed.headers["Location"].rsplit("/", 1)[-1]
    title = {"A": "周末拿铁买一送一", "B": "积分翻倍周末"}[variant]
    assert page.status_code == 200 and title in page.text
    first = session.scalar(select(Delivery.opened_at).join(Member).where(Member.openid == talkers[0]))
    client.get(signed.headers["Location"])
    assert opens(session, cid) == {talkers[0]}
    assert session.scalar(select(Delivery.opened_at).join(Member).where(Member.openid == talkers[0])) == first
    report = api.get(f"/campaigns/{cid}/report").get_json()["variants"]
    assert sum(v["opened"] for v in report.values()) == 1
    assert sum(v["delivered"] for v in report.values()) == 6  # WeChat accepted each message


def test_links_sent_before_the_page_was_a_member_page_land_without_signing_in(
    app, api, client, talkers, run_jobs, session
):
    cid = start(api, run_jobs)
    member_id = session.scalar(select(Member.id).where(Member.openid == talkers[1]))
    variant = session.scalar(select(Delivery.variant).where(Delivery.member_id == member_id))
    old = campaign_links.sign(app.config["SECRET_KEY"], cid, variant, member_id)
    moved = client.get(f"/h5/{APPID}/c/{old}")
    # on to the page, but signing no one in: the old token never expires, so holding it is no login
    assert moved.status_code == 303
    assert moved.headers["Location"] == f"/h5/{APPID}/campaign/{cid}/{variant}"
    to_wechat = client.get(moved.headers["Location"])
    assert to_wechat.status_code == 302 and "/connect/oauth2/authorize" in to_wechat.headers["Location"]
    assert opens(session, cid) == set()
    assert client.get(f"/h5/{APPID}/c/forged-token").status_code == 404


@pytest.mark.parametrize("path", ["campaign/999/A", "campaign/{cid}/Z"])
def test_an_unknown_campaign_or_variant_is_not_found(app, api, client, talkers, run_jobs, path):
    cid = start(api, run_jobs)
    token = member_tokens.sign_member(app.config["SECRET_KEY"], api.account.id, talkers[0])
    here = client.get(f"/h5/{APPID}/{path.format(cid=cid)}?t={token}").headers["Location"]
    assert client.get(here).status_code == 404


def test_a_share_of_the_page_brings_a_read_and_a_follow_and_costs_its_points(
    app, api, client, talkers, run_jobs, simulator, session, wechat
):
    cid = start(api, run_jobs)
    sharer = talkers[0]
    landed = client.get(client.get(landing_link(simulator, sharer)).headers["Location"])
    meta = share_meta(landed.text)
    assert meta["page"].startswith(f"campaign/{cid}/") and "from=" in meta["url"]
    assert "分享给好友" in landed.text  # the page tells the member they can share it
    told = client.post(
        meta["post"], data={"page": meta["page"], "target": "friend", "request_key": meta["key"]}
    )
    assert told.get_json()["recorded"] is True

    friend = app.test_client()  # someone who never followed opens the share in WeChat
    token = member_tokens.sign_member(app.config["SECRET_KEY"], api.account.id, FRIEND)
    for _ in range(2):  # twice the same day: one read
        read = friend.get(friend.get(f"{meta['url']}&t={token}").headers["Location"])
    assert read.status_code == 200 and "分享给好友" not in read.text  # not a member: nothing to credit
    run_jobs()
    wechat.send(wechat.subscribe(FRIEND, create_time=int(time.time()) + 1))  # after the read
    run_jobs()
    run_jobs()  # a drain the follow's job woke; nothing more to pay

    report = api.get(f"/campaigns/{cid}/report").get_json()["variants"][meta["page"].rsplit("/", 1)[1]]
    assert (report["shares"], report["sharers"], report["share_reads"], report["follows"]) == (1, 1, 1, 1)
    points = session.execute(
        select(LedgerEntry.action, LedgerEntry.delta)
        .join(Member)
        .where(Member.openid == sharer)
        .where(LedgerEntry.action.in_(("share", "share_read")))
    ).all()
    assert sorted(points) == [("share", 5), ("share_read", 1)]  # the default point tasks
    assert report["cost_points"] == 6
    others = api.get(f"/campaigns/{cid}/report").get_json()["variants"]
    assert sum(v["shares"] for v in others.values()) == 1  # the other variant's page was not shared


def test_the_landing_page_shows_the_message_never_the_internal_name(
    api, client, talkers, run_jobs, simulator
):
    variants = [{"code": "A", "split": 100, "title": "新人见面礼", "summary": "到店出示本页领取一杯美式"}]
    cid = api.post("/campaigns", {"name": "新人欢迎 · 第三天", "variants": variants}).get_json()["id"]
    assert api.post(f"/campaigns/{cid}/send").status_code == 202
    run_jobs()
    signed = client.get(landing_link(simulator, talkers[0]))
    page = client.get(signed.headers["Location"]).text
    assert "新人见面礼" in page and "到店出示本页领取一杯美式" in page
    assert "新人欢迎" not in page and "第三天" not in page
    assert f'href="/h5/{APPID}/member"' in page and "进入会员中心" in page
