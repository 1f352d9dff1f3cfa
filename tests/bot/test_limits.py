"""Rate limits per address on H5 pages and the API (and per token there); hostile sizes refused
before parsing; H5 404s locked down like every H5 page; the OAuth return address never taken from
the Host header."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import APPID


@pytest.fixture
def config(config):
    return {
        **config,
        "H5_RATE_LIMIT": "5 per minute",
        "API_RATE_LIMIT": "4 per minute",
        "API_TOKEN_RATE_LIMIT": "3 per minute",
    }


def test_h5_pages_answer_429_in_chinese_past_the_limit(client):
    codes = [client.get(f"/h5/{APPID}/rewards").status_code for _ in range(7)]
    assert codes[:5] != [429] * 5 and codes[5:] == [429, 429]
    limited = client.get(f"/h5/{APPID}/member")
    assert limited.status_code == 429 and "操作太频繁" in limited.text
    assert "Content-Security-Policy" in limited.headers


def test_the_api_answers_429_as_json_past_the_limit(client):
    codes = [client.get("/api/v1/members").status_code for _ in range(6)]
    assert codes[:4] == [401] * 4 and codes[4:] == [429, 429]
    assert client.get("/api/v1/members").get_json()["error"]["code"] == "too_many_requests"


def test_a_token_has_one_budget_from_however_many_addresses(app, client):
    """A leaked till token used from many addresses (looking members up by phone or 会员码) is held
    to its own budget; another token, and the address limit, are apart from it."""
    from services.accounts.registry import issue_api_token

    assert app.extensions["tiefen"].accounts.get(None) is not None  # the test account, stored
    with app.extensions["tiefen"].sessions.begin() as s:
        leaked, other = issue_api_token(s, APPID), issue_api_token(s, APPID)

    def ask(token: str, address: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return client.get(
            "/api/v1/members", headers=headers, environ_base={"REMOTE_ADDR": address}
        ).status_code

    codes = [ask(leaked, f"203.0.113.{i}") for i in range(1, 6)]
    assert codes == [200, 200, 200, 429, 429]  # API_TOKEN_RATE_LIMIT: 3 a minute, each from a new address
    assert ask(other, "203.0.113.9") == 200


def test_the_webhook_is_never_limited(wechat):
    assert all(wechat.send(wechat.text(f"oLimit{i}", "你好")).status_code == 200 for i in range(8))


def test_the_limiters_hooks_skip_the_webhook_and_run_for_the_rest(wechat, client, monkeypatch):
    """The webhook's reply path pays none of the limiter's bookkeeping; H5 pages still get it."""
    from flask import request

    from bot.limits import limiter

    seen: list[str] = []
    identify = limiter.identify_request

    def spy() -> str:
        seen.append(request.path)
        return identify()

    monkeypatch.setattr(limiter, "identify_request", spy)
    assert wechat.send(wechat.text("oSkip1", "你好")).status_code == 200
    assert client.get(f"/h5/{APPID}/rewards").status_code == 302  # to WeChat's sign-in
    assert seen == [f"/h5/{APPID}/rewards"]


def test_an_h5_post_over_64_kb_is_413_before_it_is_parsed(client):
    big = client.post(f"/h5/{APPID}/profile", data={"phone": "1" * (70 * 1024)})
    assert big.status_code == 413 and "内容太长" in big.text


def test_an_unrouted_h5_address_is_a_locked_down_chinese_page(client):
    r = client.get("/h5/no/such/page/here")
    assert r.status_code == 404 and "页面不存在" in r.text
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Cache-Control"] == "no-store"


def test_the_oauth_return_address_is_on_public_base_url_whatever_the_host(app, client):
    r = client.get(f"/h5/{APPID}/member", headers={"Host": "evil.example"})
    assert r.status_code == 302
    back = parse_qs(urlsplit(r.headers["Location"]).query)["redirect_uri"][0]
    public = app.extensions["tiefen"].settings.public_base_url.rstrip("/")
    assert back == f"{public}/h5/{APPID}/oauth" and "evil.example" not in r.headers["Location"]
