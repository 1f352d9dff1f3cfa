"""The 签到 button on the member centre: the chat's check-in, paid by the same drain, once a day
however often the form is sent."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import select, update

from bot.h5 import forms as form_tokens
from models import Checkin, InboundEvent, LedgerEntry, Member, PointTaskRow
from tests.conftest import APPID
from tests.factories import count
from tests.h5.helpers import follow, forms, text

MEMBER, CHATTER = "oButton001", "oChatter01"
CENTRE, CHECKIN = f"/h5/{APPID}/member", f"/h5/{APPID}/checkin"


def entries(session, openid):
    """(kind, action, delta, note) of a member's ledger, oldest first."""
    session.expire_all()
    member_id = session.scalar(select(Member.id).where(Member.openid == openid))
    rows = session.execute(
        select(LedgerEntry.kind, LedgerEntry.action, LedgerEntry.delta, LedgerEntry.note)
        .where(LedgerEntry.member_id == member_id)
        .order_by(LedgerEntry.id)
    )
    return [tuple(r) for r in rows]


def token(app, account, openid):
    """A fresh 签到 form for `openid` (a second tab, or a page opened before)."""
    return form_tokens.issue(app.config["SECRET_KEY"], account.id, openid, "checkin")


def test_the_button_checks_in_once_and_pays_what_the_chat_pays(
    app, client, login, wechat, run_jobs, session, account
):
    follow(wechat, run_jobs, MEMBER)
    follow(wechat, run_jobs, CHATTER)
    login(MEMBER)
    centre = client.get(CENTRE).text
    assert "立即签到" in text(centre)
    key = forms(centre)[CHECKIN]
    first = client.post(CHECKIN, data={"request_key": key, "back": "member"})
    assert first.status_code == 303 and first.headers["Location"].endswith(CENTRE)
    page = text(client.get(CENTRE).text)
    assert "签到成功 +10 积分，已连续 1 天，再签 6 天得额外 50 积分" in page
    assert "✓ 今日已签到" in page and "立即签到" not in page and CHECKIN not in forms(page)
    assert "签到成功" not in text(client.get(CENTRE).text)  # said once

    retried = client.post(CHECKIN, data={"request_key": key}, follow_redirects=True)
    assert "签到成功 +10 积分" in text(retried.text)  # the same form again: told what it got
    other_tab = client.post(CHECKIN, data={"request_key": token(app, account, MEMBER)}, follow_redirects=True)
    assert "今日已签到，已连续 1 天" in text(other_tab.text)
    run_jobs()
    assert count(session, Checkin) == 1
    made = session.scalar(select(Checkin))
    stored = session.scalars(select(InboundEvent).where(InboundEvent.event == "checked_in")).all()
    assert [e.dedup_key for e in stored] == [made.source_key]  # one event, the check-in's own key

    assert wechat.send(wechat.text(CHATTER, "签到")).content.startswith("签到成功 +10 积分")
    assert wechat.send(wechat.text(MEMBER, "签到")).content.startswith("今天已经签到过了")  # and by chat
    run_jobs()
    assert entries(session, MEMBER) == entries(session, CHATTER)  # the chat's ledger, to the letter
    assert [e[1:3] for e in entries(session, MEMBER)] == [("follow", 50), ("checkin", 10)]


def test_a_double_tap_racing_on_the_server_checks_in_once(
    app, live_app, login, wechat, run_jobs, session, account, token_for
):
    follow(wechat, run_jobs, MEMBER)
    with requests.Session() as phone:
        phone.get(f"{live_app.url}{CENTRE}?t={token_for(MEMBER)}", timeout=30)
        key = forms(phone.get(f"{live_app.url}{CENTRE}", timeout=30).text)[CHECKIN]
        keys = [key] * 4 + [token(app, account, MEMBER) for _ in range(4)]

        def tap(k):
            return phone.post(f"{live_app.url}{CHECKIN}", data={"request_key": k}, timeout=60).status_code

        with ThreadPoolExecutor(len(keys)) as pool:
            assert set(pool.map(tap, keys)) == {200}  # each followed to the member centre
    run_jobs()
    assert count(session, Checkin) == 1
    assert [e[1:3] for e in entries(session, MEMBER)] == [("follow", 50), ("checkin", 10)]


def test_the_calendar_has_the_button_too_and_comes_back_to_itself(client, login, wechat, run_jobs, session):
    follow(wechat, run_jobs, MEMBER)
    login(MEMBER)
    calendar = client.get(f"/h5/{APPID}/checkins").text
    done = client.post(CHECKIN, data={"request_key": forms(calendar)[CHECKIN], "back": "checkins"})
    assert done.headers["Location"].endswith(f"/h5/{APPID}/checkins")
    page = text(client.get(f"/h5/{APPID}/checkins").text)
    assert "签到成功 +10 积分" in page and "今日已签到" in page
    strange = client.post(CHECKIN, data={"request_key": forms(calendar)[CHECKIN], "back": "//evil.example"})
    assert strange.headers["Location"].endswith(CENTRE)  # only our own pages


def test_someone_who_never_followed_cannot_check_in_and_is_not_made_a_member(
    app, client, login, session, account
):
    login("oNeverIn01")
    page = text(client.get(CENTRE).text)
    assert "立即签到" not in page and "关注公众号后即可每日签到领积分" in page
    refused = client.post(CHECKIN, data={"request_key": token(app, account, "oNeverIn01")})
    assert refused.status_code == 403 and "关注公众号成为会员后即可签到" in refused.text
    assert count(session, Member) == 0 and count(session, Checkin) == 0


def test_a_forged_or_missing_form_is_refused(app, client, browser, login, wechat, run_jobs, session, account):
    follow(wechat, run_jobs, MEMBER)
    login(MEMBER)
    for data in ({}, {"request_key": "made-up-key-123456"}, {"request_key": token(app, account, CHATTER)}):
        assert client.post(CHECKIN, data=data).status_code == 403
    stranger = browser()
    assert stranger.post(CHECKIN, data={"request_key": token(app, account, MEMBER)}).status_code == 403
    assert client.get(CHECKIN).status_code == 405
    assert count(session, Checkin) == 0


def test_a_closed_checkin_shows_no_button_and_says_why(
    app, client, login, wechat, run_jobs, session, account
):
    follow(wechat, run_jobs, MEMBER)
    session.execute(update(PointTaskRow).where(PointTaskRow.action == "checkin").values(enabled=False))
    session.commit()
    app.extensions["tiefen"].programmes.forget(account.id)
    login(MEMBER)
    page = text(client.get(CENTRE).text)
    assert "立即签到" not in page and "签到活动暂未开放" in page
    said = client.post(CHECKIN, data={"request_key": token(app, account, MEMBER)}, follow_redirects=True)
    assert "签到暂不可用：该活动暂未开放" in text(said.text)
    assert count(session, Checkin) == 0
