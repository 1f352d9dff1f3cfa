"""The H5 invite page: the member's poster, what inviting pays, and who may see it."""

from __future__ import annotations

from tests.conftest import APPID


def test_the_h5_invite_page_shows_the_poster_and_the_reward(client, login, wechat, run_jobs):
    wechat.send(wechat.subscribe("oInviter3"))
    run_jobs()
    browser = login("oInviter3")
    page = browser.get(f"/h5/{APPID}/invite")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "好友关注得 30 积分,你得 100 积分" in text and "已邀请 <b>0</b> 位好友" in text
    image = browser.get(f"/h5/{APPID}/invite/poster.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    assert browser.get(f"/h5/{APPID}/invite/poster.png").data == image.data  # cached


def test_a_stranger_cannot_see_anyones_poster(app):
    assert app.test_client().get(f"/h5/{APPID}/invite/poster.png").status_code in (302, 303)
