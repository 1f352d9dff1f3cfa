"""完善资料: a member binds a phone (注册), linked from the member centre until they have."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.h5 import forms as form_tokens
from models import Member
from tests.conftest import APPID
from tests.h5.helpers import forms, text

MEMBER = "oProfile0001"
SAVE = f"/h5/{APPID}/profile"


@pytest.fixture
def member_id(session, account):
    member = Member(account_id=account.id, openid=MEMBER)
    session.add(member)
    session.commit()
    return member.id


def stored(session):
    session.expire_all()
    return session.execute(select(Member.phone, Member.registered_at).where(Member.openid == MEMBER)).one()


def test_the_member_centre_asks_to_complete_the_profile_until_it_is(client, login, session, member_id):
    login(MEMBER)
    centre = client.get(f"/h5/{APPID}/member").text
    assert "完善资料" in centre and f'href="/h5/{APPID}/profile"' in centre

    session.execute(
        Member.__table__.update()
        .where(Member.id == member_id)
        .values(phone="13800138000", registered_at=datetime(2025, 3, 1, tzinfo=UTC))
    )
    session.commit()
    assert "完善资料" not in client.get(f"/h5/{APPID}/member").text


def test_someone_who_never_followed_is_asked_to_follow_first(client, login, app, account, session):
    login("oNotYet00001")
    assert "完善资料" not in client.get(f"/h5/{APPID}/member").text
    page = client.get(SAVE)
    assert page.status_code == 200 and "关注「" in page.text and SAVE not in forms(page.text)

    token = form_tokens.issue(app.config["SECRET_KEY"], account.id, "oNotYet00001", "profile")
    refused = client.post(SAVE, data={"request_key": token, "phone": "13800138000"})
    assert refused.status_code == 403 and "关注公众号成为会员后" in refused.text
    assert session.scalar(select(Member.id).where(Member.openid == "oNotYet00001")) is None


def test_a_phone_is_checked_then_bound_and_the_first_completion_kept(client, login, session, member_id):
    login(MEMBER)
    key = forms(client.get(SAVE).text)[SAVE]

    wrong = client.post(SAVE, data={"request_key": key, "phone": "1234567"})
    assert wrong.status_code == 400 and "请输入正确的 11 位手机号码" in text(wrong.text)
    assert 'value="1234567"' in wrong.text  # what they typed stays, to be corrected
    assert stored(session) == (None, None)

    done = client.post(SAVE, data={"request_key": key, "phone": "+86 138 0013 8000"})
    assert done.status_code == 200 and "注册成功" in text(done.text)
    phone, registered_at = stored(session)
    assert phone == "13800138000" and registered_at is not None
    assert "完成注册" in text(client.get(SAVE).text)

    changed = client.post(SAVE, data={"request_key": key, "phone": "13900139000"})
    assert changed.status_code == 200 and "手机号已更新" in text(changed.text)
    assert stored(session) == ("13900139000", registered_at)


def test_the_form_needs_its_members_own_token(client, browser, login, session, member_id, account):
    login(MEMBER)
    key = forms(client.get(SAVE).text)[SAVE]
    session.add(Member(account_id=account.id, openid="oProfile0002"))
    session.commit()

    assert client.post(SAVE, data={"phone": "13800138000"}).status_code == 403
    other = login("oProfile0002", browser())
    assert other.post(SAVE, data={"request_key": key, "phone": "13800138000"}).status_code == 403
    assert browser().post(SAVE, data={"request_key": key, "phone": "13800138000"}).status_code == 403
    assert stored(session) == (None, None)


def test_the_result_page_carries_no_share_link(client, login, member_id):
    login(MEMBER)
    key = forms(client.get(SAVE).text)[SAVE]
    done = client.post(SAVE, data={"request_key": key, "phone": "13800138000"})
    assert "tiefen-share" not in done.text  # a POST's page is not one to share


def test_the_profile_page_says_what_the_phone_number_is_used_for(client, login, member_id):
    login(MEMBER)
    assert "同意本店仅为提供会员服务使用你的手机号" in client.get(SAVE).text


def test_a_nickname_is_set_with_the_phone_and_a_bad_one_changes_nothing(client, login, session, member_id):
    login(MEMBER)
    key = forms(client.get(SAVE).text)[SAVE]

    bad = client.post(SAVE, data={"request_key": key, "phone": "13800138000", "nickname": "坏\x07名字"})
    assert bad.status_code == 400 and "昵称请填写" in text(bad.text)
    assert stored(session) == (None, None)

    done = client.post(SAVE, data={"request_key": key, "phone": "13800138000", "nickname": " 小王 "})
    assert done.status_code == 200
    session.expire_all()
    assert session.scalar(select(Member.nickname).where(Member.id == member_id)) == "小王"
    assert 'value="小王"' in client.get(SAVE).text

    kept = client.post(SAVE, data={"request_key": key, "phone": "13900139000", "nickname": ""})
    assert kept.status_code == 200  # a blank nickname keeps the one they have
    session.expire_all()
    assert session.scalar(select(Member.nickname).where(Member.id == member_id)) == "小王"


BIRTHDAY = f"/h5/{APPID}/profile/birthday"
NOW = datetime(2026, 3, 9, 4, tzinfo=UTC)  # noon on 9 March in Shanghai


def birthday_of(session):
    session.expire_all()
    return session.scalar(select(Member.birthday).where(Member.openid == MEMBER))


def test_a_birthday_is_set_once_with_a_date_picker_and_then_read_only(
    client, login, session, member_id, monkeypatch
):
    from bot.h5 import profile
    from models import LedgerEntry

    monkeypatch.setattr(profile, "utcnow", lambda: NOW)
    login(MEMBER)
    page = client.get(SAVE).text
    assert 'type="date"' in page and 'max="2026-03-09"' in page and "生日设置后不可修改" in page
    assert "每年生日所在月份送你 100 积分生日礼" in text(page)
    key = forms(page)[BIRTHDAY]

    assert client.post(BIRTHDAY, data={"request_key": key, "birthday": "1990-02-30"}).status_code == 400
    future = client.post(BIRTHDAY, data={"request_key": key, "birthday": "2026-03-10"})
    assert future.status_code == 400 and "生日不能晚于今天" in text(future.text)
    assert birthday_of(session) is None

    done = client.post(BIRTHDAY, data={"request_key": key, "birthday": "1990-03-21"})
    assert done.status_code == 200 and "生日已保存" in text(done.text)
    assert "100 积分生日礼已到账" in text(done.text)  # March: the birthday month pays at once
    assert birthday_of(session) == date(1990, 3, 21)
    again = client.post(BIRTHDAY, data={"request_key": key, "birthday": "1990-03-21"})  # a double submit
    assert again.status_code == 200
    assert session.scalar(select(LedgerEntry.delta).where(LedgerEntry.action == "birthday")) == 100

    shown = client.get(SAVE).text
    assert "1990 年 3 月 21 日" in shown and "生日设置后不可修改" in shown and BIRTHDAY not in forms(shown)
    changed = client.post(BIRTHDAY, data={"request_key": key, "birthday": "1990-01-01"})
    assert changed.status_code == 409 and "生日设置后不可修改" in text(changed.text)
    assert birthday_of(session) == date(1990, 3, 21)
    assert "同意本店仅为提供会员服务使用你的手机号" in shown  # the phone's consent line stays


def test_the_birthday_form_needs_its_own_token(client, login, session, member_id, account, app):
    login(MEMBER)
    phone_key = forms(client.get(SAVE).text)[SAVE]  # the phone form's token is for another purpose
    assert client.post(BIRTHDAY, data={"request_key": phone_key, "birthday": "1990-01-01"}).status_code == 403
    assert birthday_of(session) is None
