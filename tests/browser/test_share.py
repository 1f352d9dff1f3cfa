"""A member shares a page from WeChat, in Chromium: the vendored JS-SDK runs against a stand-in for
WeChat's client (WeixinJSBridge), which checks the page's wx.config with the simulator as WeChat's
client would, records the share card the page sets, and plays the member tapping 发送给朋友 and
分享到朋友圈; the page posts each share, and the programme's share task pays for it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from bot.h5 import links
from models import LedgerEntry, Member, Share
from tests.browser.conftest import PHONE, Watched
from tests.conftest import APPID
from tests.h5.conftest import token_for  # noqa: F401

ALICE = "oAliceBrowse1"
ANDROID_WECHAT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
    "Chrome/122.0.6261.120 Mobile Safari/537.36 XWEB/1220099 MMWEBSDK/20240404 MMWEBID/1234 "
    "MicroMessenger/8.0.49.2600(0x28003133) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"
)
# WeChat's client as the SDK talks to it: invoke(name, args, callback) and on(event, handler). It
# answers every call "ok" (as WeChat does once wx.config has verified; window.__configRefused, when
# set, is its answer to the config instead), keeps what it was asked in window.__wechat, and the
# menu's handlers there for the test to tap.
BRIDGE = """
(() => {
  const seen = (window.__wechat = { invoked: [], handlers: {} });
  const answers = { preVerifyJSAPI: "config:ok", sendAppMessage: "send_app_msg:ok",
                    shareTimeline: "share_timeline:ok" };
  window.WeixinJSBridge = {
    invoke(name, args, callback) {
      seen.invoked.push({ name, args: JSON.parse(JSON.stringify(args || {})) });
      const refused = name === "preVerifyJSAPI" && window.__configRefused;  // as WeChat, on a bad config
      setTimeout(() => callback && callback({ err_msg: refused || answers[name] || name + ":ok" }), 0);
    },
    on(name, handler) { seen.handlers[name] = handler; },
  };
})();
"""


@pytest.fixture
def alice(session: Any, account: Any) -> int:
    member = Member(account_id=account.id, openid=ALICE)
    session.add(member)
    session.commit()
    return member.id


@pytest.fixture
def phone(chromium: Any, app: Any, live_app: Any) -> Iterator[Watched]:
    """A member's WeChat on the live app, which is also the public address (PUBLIC_BASE_URL)."""
    context = app.extensions["tiefen"]
    context.settings = replace(context.settings, public_base_url=live_app.url)
    browser = chromium.new_context(viewport=PHONE, locale="zh-CN", user_agent=ANDROID_WECHAT)
    browser.add_init_script(BRIDGE)
    watched = Watched(browser.new_page(), live_app.url, "share")
    watched.requested = []
    watched.page.on("request", lambda r: watched.requested.append(r.url))
    yield watched
    browser.close()
    assert not watched.problems, watched.problems
    assert not watched.external_requests(), watched.external_requests()


def invoked(phone: Watched, name: str) -> list[dict[str, Any]]:
    calls = phone.page.evaluate("window.__wechat.invoked")
    return [c["args"] for c in calls if c["name"] == name]


def tap(phone: Watched, menu: str) -> None:
    """The member taps a share item of WeChat's menu; the page posts the share (a keepalive fetch:
    its answer's body never reaches Playwright, so the rows tell what was recorded)."""
    with phone.page.expect_response(lambda r: r.url.endswith(f"/h5/{APPID}/shared")) as posted:
        phone.page.evaluate(f"setTimeout(() => window.__wechat.handlers[{json.dumps(menu)}]({{}}))")
    assert posted.value.status == 200


def test_a_member_shares_a_page_to_a_friend_and_to_moments_and_earns_the_share_points(
    phone,
    app,
    token_for,  # noqa: F811
    alice,
    account,
    simulator,
    session,
    run_jobs,
):
    phone.page.goto(f"{phone.base}/h5/{APPID}/member?t={token_for(ALICE)}")  # the menu's signed link
    phone.page.wait_for_function("window.__wechat.invoked.some(c => c.name === 'updateAppMessageShareData')")

    # WeChat's client checks the config against the page's own address, as WeChat does
    assert urlsplit(phone.page.url).path == f"/h5/{APPID}/member"
    (verify,) = invoked(phone, "preVerifyJSAPI")
    assert set(verify["verifyJsApiList"]) >= {"updateAppMessageShareData", "menu:share:appmessage"}
    check = {
        "appId": verify["verifyAppId"],
        "url": phone.page.url.split("#")[0],
        "timestamp": verify["verifyTimestamp"],
        "nonceStr": verify["verifyNonceStr"],
        "signature": verify["verifySignature"],
    }
    assert requests.post(f"{simulator.url}/_sim/js-config", json=check, timeout=5).json()["errcode"] == 0

    (card,) = invoked(phone, "updateAppMessageShareData")
    link = urlsplit(card["link"])
    assert f"{link.scheme}://{link.netloc}{link.path}" == f"{phone.base}/h5/{APPID}/member"
    sharer = links.read_share(app.config["SECRET_KEY"], parse_qs(link.query)["from"][0], account.id)
    assert sharer == alice and "t=" not in card["link"]
    assert card["title"] == "会员中心" and account.name in card["desc"]
    assert card["imgUrl"] == f"{phone.base}/static/h5/share-icon-1.png"
    assert invoked(phone, "updateTimelineShareData")[0]["link"] == card["link"]
    assert session.scalar(select(Share.id)) is None  # setting the card is no share

    tap(phone, "menu:share:appmessage")  # 发送给朋友
    tap(phone, "menu:share:timeline")  # 分享到朋友圈
    (sent,) = invoked(phone, "sendAppMessage")
    assert sent["link"] == card["link"] and sent["img_url"] == card["imgUrl"]
    run_jobs()

    session.expire_all()
    shares = session.execute(
        select(Share.id, Share.member_id, Share.page, Share.target).order_by(Share.id)
    ).all()
    assert [tuple(s[1:]) for s in shares] == [(alice, "member", "friend"), (alice, "member", "timeline")]
    points = session.execute(
        select(LedgerEntry.action, LedgerEntry.key, LedgerEntry.delta).where(LedgerEntry.member_id == alice)
    )
    assert sorted(points) == sorted(("share", f"share:{s.id}", 5) for s in shares)
    phone.shot("member-shared")


def test_a_config_wechat_refuses_on_the_phone_reaches_the_operators_metrics(
    phone,
    token_for,  # noqa: F811
    alice,
):
    """WeChat's client refuses the page's wx.config (the domain is not a JS接口安全域名): wx.error
    fires on the phone, and the page tells the server, which counts it by kind."""
    from prometheus_client import REGISTRY

    def counted() -> float:
        found = REGISTRY.get_sample_value("tiefen_h5_sdk_errors_total", {"kind": "invalid_url_domain"})
        return found or 0.0

    before = counted()
    phone.page.add_init_script('window.__configRefused = "config:invalid url domain";')
    with phone.page.expect_response(lambda r: r.url.endswith(f"/h5/{APPID}/sdk-failed")) as told:
        phone.page.goto(f"{phone.base}/h5/{APPID}/member?t={token_for(ALICE)}")
    assert told.value.status == 200
    assert counted() == before + 1
