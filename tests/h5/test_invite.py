"""The H5 invite page: the member's poster, what inviting pays, who may see it, and WeChat failing."""

from __future__ import annotations

import pytest

from services.referrals import invitations
from tests.conftest import APPID

FAILED = "微信暂时没有返回你的专属二维码"


def test_the_h5_invite_page_shows_the_poster_and_the_reward(client, login, wechat, run_jobs, monkeypatch):
    drawn = []
    render = invitations.render_poster
    monkeypatch.setattr(invitations, "render_poster", lambda *a: drawn.append(a[1:]) or render(*a))
    wechat.send(wechat.subscribe("oInviter3"))
    run_jobs()
    browser = login("oInviter3")
    page = browser.get(f"/h5/{APPID}/invite")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "好友扫码关注得 30 积分，你得 100 积分" in text and "已邀请 <b>0</b> 位好友" in text
    assert 'class="poster"' in text and FAILED not in text
    # the poster names the inviter, the shop, and what the friend who scans it gets
    assert drawn == [("用户ter3", "铁粉小店", "扫码关注「铁粉小店」得 30 积分")]
    image = browser.get(f"/h5/{APPID}/invite/poster.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    assert browser.get(f"/h5/{APPID}/invite/poster.png").data == image.data  # cached
    assert len(drawn) == 1


@pytest.mark.parametrize("path", ["/cgi-bin/showqrcode", "/cgi-bin/qrcode/create"])
def test_when_wechat_fails_the_page_says_so_and_offers_a_retry(login, wechat, simulator, run_jobs, path):
    wechat.send(wechat.subscribe("oInviter4"))
    run_jobs()
    browser = login("oInviter4")
    simulator.state.inject(path, errcode=-1, times=2)  # the page's try and the image's
    page = browser.get(f"/h5/{APPID}/invite")
    assert page.status_code == 200
    assert FAILED in page.text and "重新生成海报" in page.text and f'href="/h5/{APPID}/invite"' in page.text
    assert 'class="poster"' not in page.text  # no broken image
    image = browser.get(f"/h5/{APPID}/invite/poster.png")
    assert image.status_code == 503 and FAILED in image.text and f'href="/h5/{APPID}/invite"' in image.text
    again = browser.get(f"/h5/{APPID}/invite")  # the retry, WeChat answering again
    assert 'class="poster"' in again.text and FAILED not in again.text
    assert browser.get(f"/h5/{APPID}/invite/poster.png").data.startswith(b"\x89PNG")


def test_a_stranger_cannot_see_anyones_poster(app):
    assert app.test_client().get(f"/h5/{APPID}/invite/poster.png").status_code in (302, 303)
