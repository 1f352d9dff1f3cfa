"""Staff bind their WeChat once signed in, then sign in with it on their phone (the simulator's OAuth)."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from simulator.phone import Phone
from tests.conftest import APPID
from tests.console.conftest import PASSWORD


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def served(app, live_app):
    """The live server's address is the public one WeChat sends staff back to."""
    context = app.extensions["tiefen"]
    context.settings = replace(context.settings, public_base_url=live_app.url)
    return live_app


def test_a_bound_wechat_signs_its_staff_member_in(add_staff, served, simulator):
    live_app = served
    link = add_staff("店员小林", "operator")
    with Phone(simulator.url, "oStaffLin01") as phone:
        page = phone.get(live_app.url + link)
        phone.post(
            live_app.url + link,
            data={"csrf_token": _csrf(page.text), "password": PASSWORD, "again": PASSWORD},
        )
        home = phone.get(live_app.url + "/console/")
        assert home.status_code == 200 and "店员小林" in home.text
        bound = phone.post(live_app.url + "/console/wechat/bind", data={"csrf_token": _csrf(home.text)})
        assert bound.status_code == 200 and "已绑定微信" in bound.text
    with Phone(simulator.url, "oStaffLin01") as same_wechat:
        signed = same_wechat.get(live_app.url + f"/console/wechat?appid={APPID}")
        assert signed.status_code == 200 and "店员小林" in signed.text and "概览" in signed.text, (
            signed.url,
            [h.url for h in signed.history],
            re.findall(r"<h1>.*?</h1>", signed.text),
        )
    with Phone(simulator.url, "oStranger01") as stranger:
        refused = stranger.get(live_app.url + f"/console/wechat?appid={APPID}")
        assert refused.status_code == 403 and "未绑定员工" in refused.text


def test_a_forged_or_replayed_state_is_refused(live_app, simulator, account):
    with Phone(simulator.url, "oStaffX01") as phone:
        r = phone.get(live_app.url + "/console/wechat/back?code=x&state=forged")
        assert r.status_code == 403
