"""WeChat's JS-SDK on the pages that share: the vendored SDK, wx.config signed for the page's URL on
PUBLIC_BASE_URL with WeChat's ticket, the share card, and a page that still renders without WeChat."""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app import create_app
from bot.h5 import links
from models import Member
from tests.conftest import APPID, real_only

ALICE = "oAliceJssdk1"
GETTICKET = "/cgi-bin/ticket/getticket"
CONFIG = re.compile(r"wx\.config\((\{.*?\})\);")
CARD = re.compile(r"Object\.assign\(\{title:document\.title\},(\{.*?\})\)")
SDK = re.compile(r'<script src="/static/h5/jweixin-1\.6\.0\.js" nonce="([^"]+)"></script>')


@pytest.fixture
def alice(session, account):
    member = Member(account_id=account.id, openid=ALICE)
    session.add(member)
    session.commit()
    return member.id


def config_of(page: str) -> dict:
    found = CONFIG.search(page)
    assert found, "the page configures no JS-SDK"
    return json.loads(found[1])


def verifies(simulator, config: dict, url: str) -> bool:
    check = simulator.state.tickets.check_config
    return check(config["appId"], url, config["timestamp"], config["nonceStr"], config["signature"]) == 0


def public(app) -> str:
    return app.extensions["tiefen"].settings.public_base_url


def test_a_sharing_page_is_configured_for_its_own_url_with_wechats_ticket(
    app, client, login, alice, simulator
):
    login(ALICE)
    page = client.get(f"/h5/{APPID}/reviews?page=2&from=whatever")
    config = config_of(page.text)

    url = f"{public(app)}/h5/{APPID}/reviews?page=2&from=whatever"  # the query as the phone sent it
    assert verifies(simulator, config, url)
    assert not verifies(simulator, config, f"{public(app)}/h5/{APPID}/reviews?page=2")
    assert config["appId"] == APPID and config["jsApiList"] == [
        "updateAppMessageShareData",
        "updateTimelineShareData",
        "onMenuShareAppMessage",
        "onMenuShareTimeline",
    ]
    nonce = SDK.search(page.text)
    assert nonce and f"'nonce-{nonce[1]}'" in page.headers["Content-Security-Policy"]


def test_the_url_signed_is_the_public_one_whatever_host_the_request_names(
    app, client, token_for, alice, simulator
):
    evil = "http://evil.example"
    assert client.get(f"/h5/{APPID}/member?t={token_for(ALICE)}", base_url=evil).status_code == 303
    page = client.get(f"/h5/{APPID}/member", base_url=evil, headers={"X-Forwarded-Host": "evil2.example"})
    config = config_of(page.text)
    assert verifies(simulator, config, f"{public(app)}/h5/{APPID}/member")
    assert not verifies(simulator, config, f"{evil}/h5/{APPID}/member")


def test_the_card_is_the_members_signed_link_with_a_description_and_an_icon(
    app, client, login, alice, account
):
    login(ALICE)
    page = client.get(f"/h5/{APPID}/invite?from=whatever")
    card = json.loads(CARD.search(page.text)[1])

    link = urlsplit(card["link"])
    assert f"{link.scheme}://{link.netloc}" == public(app) and link.path == f"/h5/{APPID}/invite"
    assert links.read_share(app.config["SECRET_KEY"], parse_qs(link.query)["from"][0], account.id) == alice
    assert account.name in card["desc"] and "积分" in card["desc"]
    assert card["imgUrl"] == f"{public(app)}/static/h5/share-icon-1.png"
    with client.get(urlsplit(card["imgUrl"]).path) as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/png" and icon.data[:4] == b"\x89PNG"


def test_the_sdk_is_served_by_tiefen_cached_for_a_year_and_calls_nowhere(client):
    with client.get("/static/h5/jweixin-1.6.0.js") as sdk:
        assert sdk.status_code == 200 and sdk.mimetype == "text/javascript"
        assert sdk.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert sdk.headers["X-Content-Type-Options"] == "nosniff"
        text = sdk.get_data(as_text=True)
    assert "updateAppMessageShareData" in text and "preVerifyJSAPI" in text
    assert "http://" not in text and "https://" not in text  # its telemetry beacon is cut out


def test_one_ticket_serves_every_page(client, login, alice, simulator):
    login(ALICE)
    for path in ("member", "invite", "reviews", "checkins", "member"):
        assert config_of(client.get(f"/h5/{APPID}/{path}").text)
    assert len(simulator.state.calls(GETTICKET)) == 1


@real_only
def test_two_app_instances_sharing_redis_ask_wechat_for_one_ticket(
    app, client, config, login, token_for, alice, simulator
):
    other = create_app(config)  # another web process: its own pools and client, the same Redis
    try:
        theirs = other.test_client()
        assert theirs.get(f"/h5/{APPID}/member?t={token_for(ALICE)}").status_code == 303
        login(ALICE)
        pages = [c.get(f"/h5/{APPID}/invite").text for c in (client, theirs, client, theirs)]
    finally:
        other.extensions["tiefen"].runtime.dispose()
    assert all(verifies(simulator, config_of(p), f"{public(app)}/h5/{APPID}/invite") for p in pages)
    assert len(simulator.state.calls(GETTICKET)) == 1


def test_without_wechat_the_page_renders_without_the_sdk_and_says_why(
    client, login, alice, simulator, caplog
):
    simulator.state.inject(GETTICKET, errcode=-1)
    login(ALICE)
    with caplog.at_level(logging.WARNING, logger="bot.h5.jssdk"):
        page = client.get(f"/h5/{APPID}/invite")
    assert page.status_code == 200 and "邀请好友" in page.text
    assert "wx.config(" not in page.text and "jweixin" not in page.text
    assert 'name="tiefen-share"' in page.text  # still the member's share link for anything else
    assert any("no wx.config" in r.getMessage() and APPID in r.getMessage() for r in caplog.records)


def test_a_page_with_nothing_to_share_loads_no_sdk_and_asks_wechat_nothing(client, login, simulator, session):
    login("oNeverFollowed1")  # not a member: nobody to credit
    page = client.get(f"/h5/{APPID}/member")
    assert page.status_code == 200 and "jweixin" not in page.text and "wx.config" not in page.text
    assert simulator.state.calls(GETTICKET) == []
    assert session.scalar(select(Member.id)) is None
