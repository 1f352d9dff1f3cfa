"""Who is the member: WeChat's web OAuth end to end, signed links, and nothing else."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app import create_app
from bot.h5 import links
from services.accounts.registry import save_account
from simulator import Phone
from simulator.pages import NOT_IN_WECHAT
from tests.conftest import APPID
from tests.h5.helpers import follow, text

MEMBER = "oAbc0001"  # the simulator's phone wants a WeChat-shaped openid (6-64 characters)
EXCHANGE = "/sns/oauth2/access_token"
DAY = 24 * 3600


def test_the_oauth_dance_takes_a_phone_from_no_session_to_its_member_centre(
    live_app, simulator, wechat, run_jobs
):
    follow(wechat, run_jobs, MEMBER)
    with Phone(simulator.url, MEMBER) as phone:
        page = phone.get(f"{live_app.url}/h5/{APPID}/member")
        assert page.status_code == 200
        assert "可用积分 50" in text(page.text)
        to_wechat, back_with_code, to_page = page.history
        authorize = to_wechat.headers["Location"]
        assert authorize.startswith(f"{simulator.url}/connect/oauth2/authorize?appid={APPID}&redirect_uri=")
        assert "&response_type=code&scope=snsapi_base&state=" in authorize
        assert authorize.endswith("#wechat_redirect")
        callback = parse_qs(urlsplit(authorize).query)["redirect_uri"][0]
        assert callback == f"{live_app.url}/h5/{APPID}/oauth"
        assert back_with_code.headers["Location"].startswith(callback + "?code=")
        assert to_page.headers["Location"] == f"/h5/{APPID}/member"

        again = phone.get(f"{live_app.url}/h5/{APPID}/ledger")  # the session remembers the member
        assert again.status_code == 200 and not again.history
        assert "关注奖励" in text(again.text)
    assert len(simulator.state.calls(EXCHANGE)) == 1


def test_oauth_returns_to_the_page_asked_for_with_its_query(live_app, simulator, wechat, run_jobs):
    follow(wechat, run_jobs, MEMBER)
    with Phone(simulator.url, MEMBER) as phone:
        page = phone.get(f"{live_app.url}/h5/{APPID}/ledger?page=1")
    assert page.history[-1].headers["Location"] == f"/h5/{APPID}/ledger?page=1"
    assert "积分明细" in page.text


def test_outside_wechat_the_authorize_page_says_to_open_it_in_wechat(live_app, simulator):
    page = requests.get(f"{live_app.url}/h5/{APPID}/member", timeout=10)
    assert NOT_IN_WECHAT in page.text


def test_someone_who_never_followed_sees_zeros_and_a_prompt_to_follow(live_app, simulator):
    with Phone(simulator.url, "oNever01") as phone:
        page = phone.get(f"{live_app.url}/h5/{APPID}/member")
    assert page.status_code == 200
    assert "可用积分 0" in text(page.text) and "关注「" in page.text


def _leave_for_wechat(browser, page="member"):
    response = browser.get(f"/h5/{APPID}/{page}")
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["Location"]).query)["state"][0]


def test_a_callback_with_a_bad_state_is_refused_and_stores_nothing(client):
    _leave_for_wechat(client)
    refused = client.get(f"/h5/{APPID}/oauth?code=abc&state=forged.state.value")
    assert refused.status_code == 403 and "授权已失效" in refused.text
    assert client.get(f"/h5/{APPID}/member").status_code == 302  # still nobody


def test_a_state_made_for_one_browser_is_no_good_in_another(client, browser, simulator):
    state = _leave_for_wechat(client)
    code = simulator.state.oauth_codes.issue(APPID, MEMBER, "snsapi_base")
    other = browser()
    assert other.get(f"/h5/{APPID}/oauth?code={code}&state={state}").status_code == 403
    assert other.get(f"/h5/{APPID}/member").status_code == 302


def test_a_code_wechat_refuses_gives_403_and_no_session(client, simulator):
    state = _leave_for_wechat(client)
    refused = client.get(f"/h5/{APPID}/oauth?code=not-a-real-code&state={state}")
    assert refused.status_code == 403 and "微信授权失败" in refused.text
    assert client.get(f"/h5/{APPID}/member").status_code == 302


def test_a_code_used_twice_works_once(client, browser, simulator):
    state = _leave_for_wechat(client)
    code = simulator.state.oauth_codes.issue(APPID, MEMBER, "snsapi_base")
    assert client.get(f"/h5/{APPID}/oauth?code={code}&state={state}").status_code == 302
    assert client.get(f"/h5/{APPID}/member").status_code == 200
    assert client.get(f"/h5/{APPID}/oauth?code={code}&state={state}").status_code == 403


@pytest.fixture
def offline_client(config):
    """The app with WeChat unreachable (nothing listens on port 9)."""
    app = create_app({**config, "WECHAT_API_BASE": "http://127.0.0.1:9"})
    yield app.test_client()
    app.extensions["tiefen"].runtime.dispose()


def test_wechat_unreachable_during_the_exchange_gives_502_and_no_session(offline_client):
    state = _leave_for_wechat(offline_client)
    failed = offline_client.get(f"/h5/{APPID}/oauth?code=abc&state={state}")
    assert failed.status_code == 502 and "微信服务暂时不可用" in failed.text
    assert offline_client.get(f"/h5/{APPID}/member").status_code == 302


def test_a_signed_link_names_the_member_then_drops_the_token(client, token_for, wechat, run_jobs):
    follow(wechat, run_jobs, MEMBER)
    opened = client.get(f"/h5/{APPID}/ledger?page=1&t={token_for(MEMBER)}")
    assert opened.status_code == 303 and opened.headers["Location"] == f"/h5/{APPID}/ledger?page=1"
    page = client.get(opened.headers["Location"])
    assert page.status_code == 200 and "关注奖励" in text(page.text) and "+50" in page.text


def flip_signature(token: str) -> str:
    """Change the signature's first character: the last one may only carry padding bits, and a
    change there can decode to the very same signature (this test was flaky that way)."""
    head, sig = token.rsplit(".", 1)
    return f"{head}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"


@pytest.mark.parametrize("damage", ["flip", "cut", "garbage", "empty"])
def test_a_forged_or_tampered_link_is_refused_and_never_falls_back(client, token_for, damage):
    token = token_for(MEMBER)
    bad = {
        "flip": flip_signature(token),
        "cut": token[: len(token) // 2],
        "garbage": "eyJhIjoxLCJvIjoib0FiYzAwMDEifQ.x.y",
        "empty": "",
    }[damage]
    refused = client.get(f"/h5/{APPID}/member?t={bad}&openid={MEMBER}")
    assert refused.status_code == 403 and "链接无效或已过期" in refused.text
    assert client.get(f"/h5/{APPID}/member").status_code == 302  # no session came of it


def test_a_link_expires_after_seven_days(client, token_for):
    now = int(time.time())
    assert client.get(f"/h5/{APPID}/member?t={token_for(MEMBER, issued_at=now - 6 * DAY)}").status_code == 303
    stale = client.get(f"/h5/{APPID}/member?t={token_for(MEMBER, issued_at=now - 8 * DAY)}")
    assert stale.status_code == 403 and "链接无效或已过期" in stale.text


def test_a_link_of_another_account_opens_nothing_here_and_the_other_way_round(
    client, token_for, session, account
):
    other, _ = save_account(session, "wxother000000002", "别家小店", "othertoken", secret="s2")
    session.commit()
    assert client.get(f"/h5/{APPID}/member?t={token_for(MEMBER, account_id=other.id)}").status_code == 403
    assert client.get(f"/h5/{other.appid}/member?t={token_for(MEMBER)}").status_code == 403


def test_openid_in_the_query_is_ignored(client, login, wechat, run_jobs):
    follow(wechat, run_jobs, MEMBER)
    nobody = client.get(f"/h5/{APPID}/member?openid={MEMBER}")
    assert nobody.status_code == 302 and "/connect/oauth2/authorize" in nobody.headers["Location"]
    login("oSomeone2")
    page = client.get(f"/h5/{APPID}/member?openid={MEMBER}")
    assert "可用积分 0" in text(page.text)  # the session's member, not the query's


def test_a_new_link_replaces_the_member_the_session_named(client, login, wechat, run_jobs):
    follow(wechat, run_jobs, MEMBER)
    login("oSomeone2")
    login(MEMBER)
    assert "可用积分 50" in text(client.get(f"/h5/{APPID}/member").text)


def test_member_link_is_absolute_signed_and_opens_the_page(app, client, account, wechat, run_jobs):
    follow(wechat, run_jobs, MEMBER)
    with app.app_context():
        url = links.member_link(account, MEMBER, "ledger", page=1)
    parts = urlsplit(url)
    assert url.startswith(f"{app.extensions['tiefen'].settings.public_base_url}/h5/{APPID}/ledger?page=1&t=")
    opened = client.get(f"{parts.path}?{parts.query}")
    assert opened.status_code == 303
    assert "+50" in client.get(opened.headers["Location"]).text


def test_an_unknown_account_is_404_in_chinese(client):
    missing = client.get("/h5/wxnobody/member")
    assert missing.status_code == 404 and "页面不存在" in missing.text
    assert client.get(f"/h5/{APPID}/no-such-page").status_code == 404


def test_pages_are_private_and_load_nothing_from_elsewhere(client, login):
    login(MEMBER)
    page = client.get(f"/h5/{APPID}/member")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "http://" not in page.text and "https://" not in page.text  # no CDN, nothing external
