"""Every customer page in Chromium as WeChat's browser on a phone (390×844), for a member and for a
visitor who never followed, with the shop's data and without: no console error, no failed or
outside request, every tap target at least 44 px tall and all text at 4.5:1 against what it sits on.
Screenshots go where the console's browser tests put theirs."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PIL import Image as Pil
from sqlalchemy import select, update

from bot.h5 import links
from models import Member, Review, TierRow, utcnow
from services.accounts.images import reencoded, store_image
from services.points import ledger
from tests.browser.conftest import PHONE, Watched
from tests.conftest import APPID
from tests.factories import shanghai
from tests.h5.helpers import add_reward

WECHAT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
)
PAGES = {  # what the customer calls it: the path under /h5/<appid>/
    "会员中心": "member",
    "会员码": "code",
    "权益": "tiers",
    "积分明细": "ledger",
    "签到日历": "checkins",
    "积分商城": "rewards",
    "我的兑换": "redemptions",
    "写评价": "reviews/new",
    "会员评价": "reviews",
    "完善资料": "profile",
    "邀请": "invite",
}
MEMBER, VISITOR = "oPhoneMember1", "oPhoneVisitor"

# Run in the page through page.evaluate (the page's CSP forbids eval for its own scripts only).
AUDIT = r"""() => {
  const problems = [];
  const shown = el => {
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === "none" || s.visibility === "hidden" || parseFloat(s.opacity) === 0) return false;
    }
    const r = el.getBoundingClientRect();
    return r.width > 1 && r.height > 1;
  };
  const name = el => `${el.tagName.toLowerCase()} "${(el.innerText || el.value || "").trim().slice(0, 30)}"`;
  const taps = "a[href], button, input:not([type=hidden]), select, textarea, summary, label[for]";
  for (const el of document.querySelectorAll(taps)) {
    if (shown(el) && el.getBoundingClientRect().height < 44)
      problems.push(`tap target ${name(el)} is ${el.getBoundingClientRect().height.toFixed(1)} px tall`);
  }
  const rgba = text => {
    const m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]);
  };
  const background = el => {  // layers up to the first opaque one, laid over white
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255, 1]);
  };
  const luminance = c => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(el) || !shown(el)) continue;
    if (["SCRIPT", "STYLE", "NOSCRIPT"].includes(el.tagName)) continue;
    seen.add(el);
    const back = background(el);
    const fore = over(rgba(getComputedStyle(el).color), back);
    const [hi, lo] = [luminance(fore), luminance(back)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 4.5)
      problems.push(`contrast ${ratio.toFixed(2)}:1 for "${el.innerText.trim().slice(0, 30)}" ` +
        `(${getComputedStyle(el).color} on rgb(${back.slice(0, 3).map(Math.round)}))`);
  }
  return problems;
}"""


@pytest.fixture
def phone(chromium: Any, live_app: Any, app: Any) -> Iterator[Callable[[str | None, str], Watched]]:
    """`phone(openid, name)`: WeChat's browser on a phone, signed in as `openid` (None: nobody)."""
    opened: list[tuple[Any, Watched]] = []

    def open_as(openid: str | None, name: str) -> Watched:
        context = chromium.new_context(
            viewport=PHONE, user_agent=WECHAT, locale="zh-CN", is_mobile=True, has_touch=True
        )
        watched = Watched(context.new_page(), live_app.url, name)
        watched.requested = []
        watched.page.on("request", lambda r: watched.requested.append(r.url))
        opened.append((context, watched))
        if openid:
            account_id = app.extensions["tiefen"].accounts.get(None).id
            token = links.sign_member(app.config["SECRET_KEY"], account_id, openid)
            watched.page.goto(f"{live_app.url}/h5/{APPID}/member?t={token}")
        return watched

    yield open_as
    for context, watched in opened:
        context.close()
        assert not watched.problems, watched.problems
        assert not watched.external_requests(), watched.external_requests()


def audit(watched: Watched, label: str | None = None) -> None:
    """Fail on what the audit finds on the page as it stands; screenshot it as `label` (ASCII) if
    given (`go` has taken one already)."""
    if label:
        watched.shot(label)
    problems = watched.page.evaluate(AUDIT)
    assert not problems, f"{watched.name} {label}: {problems}"


def visit_all(watched: Watched) -> None:
    for label, path in PAGES.items():
        response = watched.go(f"/h5/{APPID}/{path}")
        assert response.status == 200, (watched.name, label, response.status)
        if path == "invite" and watched.page.locator("img.poster").count():
            watched.page.wait_for_function("document.querySelector('img.poster').complete")
            watched.shot(f"/h5/{APPID}/{path}")  # the poster drawn
        audit(watched)


def error_page(watched: Watched) -> None:
    watched.allowed.add(r"/h5/wxnosuchaccount01/")
    response = watched.go("/h5/wxnosuchaccount01/member")
    assert response.status == 404
    audit(watched)
    watched.page.locator("#go-back").click()  # there is a page to go back to: the script shows 返回
    watched.page.wait_for_url(re.compile(rf"/h5/{APPID}/"))


def test_every_page_without_data_for_a_member_and_a_visitor(phone, wechat, run_jobs):
    wechat.send(wechat.subscribe(MEMBER, create_time=shanghai(-3)))
    run_jobs()
    for openid, name in ((MEMBER, "customer-empty-member"), (VISITOR, "customer-empty-visitor")):
        watched = phone(openid, name)
        visit_all(watched)
        error_page(watched)
    nobody = phone(None, "customer-nobody")
    nobody.allowed.add(r"/h5/wxnosuchaccount01/")
    assert nobody.go("/h5/wxnosuchaccount01/member").status == 404  # the first page it opens
    audit(nobody)


def _shop(app: Any, session: Any, account: Any, wechat: Any, run_jobs: Any) -> None:
    """A shop a month into its programme: rewards (one with a picture, one sold out), reviews by
    members with nicknames, and a member with check-ins, a redemption and a purchase on hold."""
    wechat.send(wechat.subscribe(MEMBER, create_time=shanghai(-40)))
    for i in range(4):
        wechat.send(wechat.subscribe(f"oPhoneFan{i}", create_time=shanghai(-20)))
    for day in (-3, -2, -1):
        wechat.send(wechat.text(MEMBER, "签到", create_time=shanghai(day)))
    run_jobs()
    buffer = io.BytesIO()
    Pil.new("RGB", (320, 320), (180, 83, 9)).save(buffer, "PNG")
    picture = store_image(session, account.id, reencoded(buffer.getvalue()))
    session.commit()
    latte = {"image_id": picture.id, "description": "任意中杯"}
    add_reward(session, account.id, "拿铁兑换券", price=40, stock=8, **latte)
    add_reward(session, account.id, "帆布袋", price=300, stock=3)
    add_reward(session, account.id, "限量马克杯", price=20, stock=0)
    add_reward(session, account.id, "一个名字很长很长的周年纪念礼盒", price=900, stock=1)
    fans = session.execute(select(Member.id, Member.openid).where(Member.openid.like("oPhoneFan%"))).all()
    for n, (member_id, openid) in enumerate(sorted(fans, key=lambda f: f[1])):
        session.execute(update(Member).where(Member.id == member_id).values(nickname=f"咖啡爱好者{n}号"))
        words = "拿铁很香，店员也很热情，下次还来！" if n % 2 else "环境不错，就是周末人有点多。"
        session.add(
            Review(
                account_id=account.id,
                member_id=member_id,
                rating=5 - n % 3,
                text=words,
                status="approved",
                source_key=f"seed:{openid}",
            )
        )
    session.execute(update(Member).where(Member.openid == MEMBER).values(nickname="小周"))
    benefits = {"silver": "饮品 9 折，生日当月双倍积分", "gold": "饮品 8 折，每月一杯免费拿铁"}
    for code, words in benefits.items():
        session.execute(update(TierRow).where(TierRow.code == code).values(benefits=words))
    member_id = session.scalar(select(Member.id).where(Member.openid == MEMBER))
    now = utcnow()
    hold = ledger.Credit(account.id, member_id, "purchase:phone-1", 68, "purchase", now.date(), now, None, 7)
    ledger.credit(session, [hold])
    session.commit()
    app.extensions["tiefen"].programmes.forget(account.id)  # the tiers' benefits, as the console does


def test_every_page_with_data_and_the_member_checks_in_and_redeems(
    app, phone, wechat, run_jobs, session, account
):
    _shop(app, session, account, wechat, run_jobs)
    member = phone(MEMBER, "customer-member")
    visit_all(member)

    member.go(f"/h5/{APPID}/member")
    member.page.get_by_role("button", name="立即签到").click()
    member.page.wait_for_selector(".notice.ok")
    assert "签到成功 +10 积分" in member.page.inner_text(".notice.ok")
    audit(member, "checked-in")

    member.go(f"/h5/{APPID}/rewards")
    member.page.locator("details.sheet summary").first.click()
    member.page.wait_for_selector("details.sheet[open] .sheet-panel")
    assert "确认用 40 积分兑换「拿铁兑换券」？" in member.page.inner_text("details.sheet[open] .sheet-panel")
    audit(member, "confirm-sheet")
    member.page.get_by_role("button", name="取消").click()  # the page's script closes the sheet
    assert member.page.locator("details.sheet[open]").count() == 0
    member.page.locator("details.sheet summary").first.click()
    member.page.get_by_role("button", name="确认兑换").click()
    member.page.wait_for_selector(".code")
    assert "兑换成功" in member.page.inner_text(".notice.ok")
    audit(member, "redeemed")
    for path in ("ledger?flow=in", "ledger?flow=out", "ledger?flow=bogus", "reviews?page=2"):
        member.go(f"/h5/{APPID}/{path}")
        audit(member)
    member.go(f"/h5/{APPID}/redemptions")
    audit(member, "redemptions-after")
    error_page(member)

    visitor = phone(VISITOR, "customer-visitor")
    visit_all(visitor)
    error_page(visitor)


def test_the_audit_catches_grey_text_small_targets_and_text_on_a_tinted_layer(chromium):
    page = chromium.new_page(viewport=PHONE)
    page.set_content(
        '<body style="margin:0;background:#fff">'
        '<p style="color:#888">灰色说明</p><p style="color:#222">正文</p>'
        '<div style="background:rgba(0,0,0,.6)"><span style="color:#333">深底深字</span></div>'
        '<a href="#" style="font-size:13px">小链接</a>'
        '<a href="#" style="display:block;min-height:44px">大链接</a>'
        '<details><summary style="min-height:44px">更多</summary><a href="#">藏起来的小链接</a></details>'
        '<input type="hidden" name="x"><label for="n" style="font-size:12px">标签</label><input id="n">'
        "</body>"
    )
    problems = page.evaluate(AUDIT)
    page.close()
    assert any("灰色说明" in p and "contrast 3.54:1" in p for p in problems), problems
    assert any("深底深字" in p for p in problems), problems
    assert any('tap target a "小链接"' in p for p in problems), problems
    assert any('tap target label "标签"' in p for p in problems), problems
    assert any("tap target input" in p for p in problems), problems
    assert not any(word in p for p in problems for word in ("正文", "大链接", "藏起来", "更多")), problems
