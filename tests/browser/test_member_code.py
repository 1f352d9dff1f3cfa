# ruff: noqa: F811  (the API fixtures, imported, are parameters of the tests)
"""会员码 in Chromium at phone size: the barcode and QR code draw under the page's CSP, nothing is
loaded from outside, and the page's script swaps in the next minute's code without a reload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import bot.h5.code as code_page
from bot.h5 import links
from rules.accounts.member_codes import grouped, issue
from tests.api.conftest import account, make_member  # noqa: F401
from tests.browser.conftest import PHONE, Watched
from tests.conftest import APPID

T = datetime(2026, 12, 8, 2, 30, 15, tzinfo=UTC)


def test_the_member_code_draws_and_refreshes_itself(
    chromium, live_app, app, account, make_member, monkeypatch
):
    member_id = make_member("oBrowserCode")
    clock = [T]
    monkeypatch.setattr(code_page, "utcnow", lambda: clock[0])
    context = chromium.new_context(viewport=PHONE, locale="zh-CN")
    member = Watched(context.new_page(), live_app.url, "member")
    member.requested = []
    member.allowed = {r"/favicon\.ico$"}  # the H5 pages name no icon; Chromium asks anyway
    member.page.on("request", lambda r: member.requested.append(r.url))
    try:
        token = links.sign_member(app.config["SECRET_KEY"], account.id, "oBrowserCode")
        member.page.goto(f"{live_app.url}/h5/{APPID}/code?t={token}")  # signed in, then the page itself
        member.shot("member-code-first")
        secret = app.config["SECRET_KEY"]
        assert member.page.inner_text("#member-digits") == grouped(issue(secret, account.id, member_id, T))
        assert f"会员号 {member_id:08d}" in member.page.inner_text("main")
        for image in ("#member-barcode", "#member-qr"):
            assert member.page.eval_on_selector(image, "i => i.complete && i.naturalWidth > 0"), image
        clock[0] = T + timedelta(minutes=1)
        member.page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # as on coming back
        following = grouped(issue(secret, account.id, member_id, clock[0]))
        member.page.wait_for_function(
            "want => document.querySelector('#member-digits').textContent === want", arg=following
        )
        assert member.page.eval_on_selector("#member-barcode", "i => i.complete && i.naturalWidth > 0")
        member.shot("member-code")
    finally:
        context.close()
    assert not member.problems, member.problems
    assert not member.external_requests(), member.external_requests()
