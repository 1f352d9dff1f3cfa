"""会员码 page: the member's current code as a barcode and a QR code, refreshed each minute from JSON."""

# ruff: noqa: F811  (the make_member fixture, imported, is taken by name)
from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest

import bot.h5.code as code_page
from bot.h5.barcodes import code128_modules
from rules.accounts.member_codes import read
from tests.api.conftest import make_member  # noqa: F401  (a fixture: the tests take it by name)
from tests.conftest import APPID
from tests.h5.helpers import text

MEMBER = "oCode0001"
T = datetime(2026, 12, 8, 2, 30, 15, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """The time the code page sees: `clock.now` (a fixed minute) moved by the test."""

    class Clock:
        now = T

    monkeypatch.setattr(code_page, "utcnow", lambda: Clock.now)
    return Clock


def _images(html):
    return dict(re.findall(r'<img id="member-(barcode|qr)" src="([^"]+)"', html))


def test_the_page_shows_a_barcode_and_a_qr_code_of_the_code_and_the_member_number(
    app,
    client,
    login,
    make_member,
    account,
    clock,
):
    member_id = make_member(MEMBER)
    login(MEMBER)
    page = client.get(f"/h5/{APPID}/code")
    assert page.status_code == 200
    words = text(page.text)
    assert f"会员号 {member_id:08d}" in words and "每分钟自动刷新，仅限到店出示" in words
    images = _images(page.text)
    assert all(images[kind].startswith("data:image/svg+xml") for kind in ("qr", "barcode"))
    digits = re.search(r'id="member-digits"[^>]*>([\d ]+)<', page.text).group(1).replace(" ", "")
    assert read(app.config["SECRET_KEY"], account.id, digits, T) == member_id
    svg = base64.b64decode(images["barcode"].split(",", 1)[1]).decode()
    assert svg.count("<rect x=") == len(re.findall("1+", code128_modules(digits)))  # the bars of this code
    nonce = re.search(r"script-src 'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">' in page.text and "fetch(" in page.text
    assert "connect-src 'self'" in page.headers["Content-Security-Policy"]


def test_the_json_rotates_every_minute(app, client, login, make_member, account, clock):
    member_id = make_member(MEMBER)
    login(MEMBER)
    first = client.get(f"/h5/{APPID}/code.json")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    body = first.get_json()
    assert body["number"] == f"{member_id:08d}" and body["refresh_in"] == 45
    assert body["qr"].startswith("data:image/svg+xml") and body["barcode"].startswith("data:image/svg+xml")
    assert client.get(f"/h5/{APPID}/code.json").get_json()["code"] == body["code"]  # the same minute
    clock.now = T + timedelta(minutes=1)
    second = client.get(f"/h5/{APPID}/code.json").get_json()
    assert second["code"] != body["code"] and second["barcode"] != body["barcode"]
    secret = app.config["SECRET_KEY"]
    assert read(secret, account.id, second["code"], clock.now) == member_id
    assert read(secret, account.id, body["code"], clock.now) == member_id  # the last minute's still reads
    assert read(secret, account.id, body["code"], T + timedelta(minutes=2)) == "expired"


def test_no_session_no_code_and_a_visitor_who_never_followed_sees_the_follow_prompt(
    client,
    browser,
    login,
    make_member,
):
    make_member(MEMBER)
    stranger = browser()
    refused = stranger.get(f"/h5/{APPID}/code.json")
    assert refused.status_code == 403 and refused.get_json()["error"] == "expired"
    assert stranger.get(f"/h5/{APPID}/code.json?openid={MEMBER}").status_code == 403  # never read
    assert stranger.get(f"/h5/{APPID}/code").status_code == 302  # to WeChat's OAuth
    assert stranger.get("/h5/wxnosuchaccount/code.json").status_code == 404
    login("oNeverFollowed", stranger)
    page = stranger.get(f"/h5/{APPID}/code")
    assert page.status_code == 200 and "你还不是会员" in page.text
    assert "member-barcode" not in page.text and "member-qr" not in page.text and "会员号" not in page.text
    missing = stranger.get(f"/h5/{APPID}/code.json")
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_member"
