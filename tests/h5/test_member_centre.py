"""会员中心 as a Youzan-style shop's customers expect it: who they are, the week's check-ins, what to
save for; 会员权益; and a way back from every error page."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.h5.wording import WEEKDAYS
from models import Member
from services.accounts.members import member_id_of
from tests.conftest import APPID
from tests.factories import shanghai
from tests.h5.helpers import add_reward, follow, text

MEMBER = "oCentre001"
CENTRE = f"/h5/{APPID}/member"


def today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def test_the_member_is_shown_by_nickname_initial_and_member_number(
    client, login, wechat, run_jobs, session, account
):
    follow(wechat, run_jobs, MEMBER)
    member_id = member_id_of(session, account.id, MEMBER)
    login(MEMBER)
    html = client.get(CENTRE).text
    assert '<div class="avatar" aria-hidden="true">会员</div>' in html  # no nickname yet
    assert f"会员号：{member_id:08d}" in text(html)
    session.execute(update(Member).where(Member.id == member_id).values(nickname="小明同学"))
    session.commit()
    html = client.get(CENTRE).text
    assert '<div class="avatar" aria-hidden="true">小</div>' in html and "小明同学 会员号" in text(html)
    assert "<img" not in html  # the avatar is drawn, never fetched
    assert f'href="/h5/{APPID}/code">会员码</a>' in html  # shown at the till


def test_the_last_seven_days_are_marked_in_words_with_the_next_streak_gift(client, login, wechat, run_jobs):
    follow(wechat, run_jobs, MEMBER)
    for day in (-2, 0):
        wechat.send(wechat.text(MEMBER, "签到", create_time=shanghai(day)))
    run_jobs()
    login(MEMBER)
    page = text(client.get(CENTRE).text)
    label = {d: f"周{WEEKDAYS[(today() + timedelta(days=d)).weekday()]}" for d in range(-6, 0)}
    assert f"{label[-2]} ✓ 已签 {label[-1]} · 未签 今天 ✓ 已签" in page
    assert f"{label[-6]} · 未签" in page and page.count("✓ 已签") == 2
    assert "再签 6 天，连续签到奖励 +50 积分" in page  # a streak of 1: day 7 gives 50


def test_the_cheapest_reward_out_of_reach_says_how_much_more_to_save(
    client, login, wechat, run_jobs, session, account
):
    follow(wechat, run_jobs, MEMBER)  # 50 points
    add_reward(session, account.id, "咖啡兑换券", price=30)
    add_reward(session, account.id, "帆布袋", price=80)
    add_reward(session, account.id, "限量杯", price=60, stock=0)  # sold out: not something to save for
    add_reward(session, account.id, "大礼包", price=500)
    login(MEMBER)
    html = client.get(CENTRE).text
    assert "再攒 30 分可兑「帆布袋」" in text(html)
    assert f'href="/h5/{APPID}/invite">邀请好友</a>' in html and f'href="/h5/{APPID}/tiers"' in html
    for link in ("积分明细", "积分商城", "我的兑换", "签到日历", "写评价", "会员评价"):
        assert f">{link}</a>" in html


def test_nothing_to_save_for_says_nothing(client, login, wechat, run_jobs, session, account):
    follow(wechat, run_jobs, MEMBER)
    add_reward(session, account.id, "咖啡兑换券", price=30)
    login(MEMBER)
    assert "再攒" not in text(client.get(CENTRE).text)


def test_the_benefits_page_lists_every_tier_and_marks_the_members_own(
    app, client, login, wechat, run_jobs, session, account
):
    from models import TierRow

    follow(wechat, run_jobs, MEMBER)
    session.execute(TierRow.__table__.update().where(TierRow.code == "silver").values(benefits="饮品 9 折"))
    session.commit()
    app.extensions["tiefen"].programmes.forget(account.id)
    login(MEMBER)
    page = text(client.get(f"/h5/{APPID}/tiers").text)
    assert "你当前是 普通会员 再得 450 积分升级为银卡会员" in page
    assert "普通会员 ✓ 当前等级 成为会员即享 暂无专属权益" in page
    assert "银卡会员 累计获得 500 积分 饮品 9 折" in page
    assert "金卡会员 累计获得 2000 积分" in page and "钻石会员 累计获得 10000 积分" in page
    assert page.count("当前等级") == 1


def test_a_visitor_sees_the_tiers_without_one_marked(client, login):
    login("oVisitor01")
    page = text(client.get(f"/h5/{APPID}/tiers").text)
    assert "你还不是会员" in page and "银卡会员 累计获得 500 积分" in page and "当前等级" not in page
    centre = text(client.get(CENTRE).text)
    assert "访客" in centre and "会员号" not in centre and "会员码" not in centre


def test_every_error_page_has_a_way_back(client, browser, login, wechat, run_jobs):
    follow(wechat, run_jobs, MEMBER)
    login(MEMBER)
    missing = client.post(f"/h5/{APPID}/reviews/99999/like", data={"request_key": "x" * 20})
    assert missing.status_code == 403  # the form key is checked first
    gone = client.get(f"/h5/{APPID}/rewards/99999/redeem")
    assert gone.status_code == 405 and f'href="/h5/{APPID}/member">返回会员中心</a>' in gone.text
    visitor = browser()
    expired = visitor.get(f"/h5/{APPID}/checkins?t=garbage")
    assert expired.status_code == 403 and f'href="/h5/{APPID}/checkins">重新进入</a>' in expired.text
    assert f'href="/h5/{APPID}/member">进入会员中心</a>' in expired.text  # a visitor starts there
    unknown = visitor.get("/h5/wxnosuchaccount01/member")
    assert (
        unknown.status_code == 404 and 'id="go-back"' in unknown.text and "会员中心</a>" not in unknown.text
    )
    for page in (gone, expired, unknown):
        assert 'id="go-back" href="#" hidden>返回</a>' in page.text  # shown by the page's script
