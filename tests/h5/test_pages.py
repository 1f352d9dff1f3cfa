"""会员中心, 积分明细 and 签到日历 show the member's real figures."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from models import utcnow
from services.accounts.members import member_id_of
from services.points import ledger
from tests.conftest import APPID
from tests.factories import shanghai
from tests.h5.helpers import follow, text

MEMBER = "oPage0001"
TZ = ZoneInfo("Asia/Shanghai")


def today():
    return datetime.now(TZ).date()


def checkin(wechat, openid, day=0, words="签到"):
    return wechat.send(wechat.text(openid, words, create_time=shanghai(day))).content


def credit(session, account, openid, key, points, hold_days=0, expires_in=None, action="purchase"):
    now = utcnow()
    member_id = member_id_of(session, account.id, openid)
    expires = now + timedelta(days=expires_in) if expires_in else None
    c = ledger.Credit(account.id, member_id, key, points, action, today(), now, expires, hold_days)
    ledger.credit(session, [c])
    session.commit()


def test_the_member_centre_shows_balance_pending_expiring_tier_and_checkins(
    client, login, wechat, run_jobs, session, account
):
    follow(wechat, run_jobs, MEMBER)
    assert checkin(wechat, MEMBER).startswith("签到成功 +10 积分")
    run_jobs()
    credit(session, account, MEMBER, "purchase:order-1", 30, hold_days=7)
    credit(session, account, MEMBER, "custom:soon", 40, expires_in=10, action="custom:promo")
    login(MEMBER)
    page = text(client.get(f"/h5/{APPID}/member").text)
    assert "可用积分 100 30 待入账 40 即将过期" in page  # 50 + 10 + 30 + 40, of which 30 on hold
    soon = today() + timedelta(days=10)
    assert f"即将过期（{soon.month}月{soon.day}日）" in page
    assert "普通会员" in page and "再得 370 积分升级为银卡会员" in page  # 500 - 130
    assert "本月已签到 1 天，已连续 1 天" in page and "今日已签到" in page
    for link in ("积分明细", "积分商城", "我的兑换", "写评价"):
        assert link in page


def test_the_progress_bar_measures_the_way_to_the_next_tier(
    client, login, wechat, run_jobs, session, account
):
    follow(wechat, run_jobs, MEMBER)
    credit(session, account, MEMBER, "custom:big", 1200, action="custom:promo")
    login(MEMBER)
    html = client.get(f"/h5/{APPID}/member").text
    assert "再得 750 积分升级为金卡会员" in text(html)  # 1250 earned: past silver (500), gold at 2000
    assert 'style="width:50%"' in html  # (1250 - 500) / (2000 - 500)


def test_the_ledger_lists_entries_in_chinese_with_signed_deltas_and_local_dates(
    client, login, wechat, run_jobs, session, account
):
    follow(wechat, run_jobs, MEMBER, day=-1)
    when = shanghai(0)  # 10:00, or now when that is still ahead
    wechat.send(wechat.text(MEMBER, "签到", create_time=when))
    run_jobs()
    login(MEMBER)
    page = text(client.get(f"/h5/{APPID}/ledger").text)
    yesterday = today() - timedelta(days=1)
    checked_in = datetime.fromtimestamp(when, TZ)
    assert f"关注奖励 {yesterday:%m-%d} 10:00 +50" in page  # 关注奖励 · 首次关注 said it twice
    assert f"每日签到 {checked_in:%m-%d %H:%M} +10" in page
    assert page.index("每日签到") < page.index("关注奖励")  # newest first
    assert f"{today().year}年{today().month}月 每日签到" in page  # under its month's header


def test_the_ledger_pages_twenty_at_a_time(client, login, wechat, run_jobs, session, account):
    follow(wechat, run_jobs, MEMBER)
    for i in range(24):
        credit(session, account, MEMBER, f"custom:gift-{i}", 1, action="custom:gift")
    login(MEMBER)
    first = client.get(f"/h5/{APPID}/ledger").text
    assert first.count('class="plus"') == 20 and "第 1 / 2 页，共 25 条" in text(first)
    second = client.get(f"/h5/{APPID}/ledger?page=2").text
    assert second.count('class="plus"') == 5 and "关注奖励" in second and "上一页" in second
    for past_the_end in ("99", "99999999999999999999999"):
        last = client.get(f"/h5/{APPID}/ledger?page={past_the_end}").text
        assert "第 2 / 2 页" in text(last) and last.count('class="plus"') == 5
    assert "第 1 / 2 页" in text(client.get(f"/h5/{APPID}/ledger?page=-3").text)


def _cell(html, day):
    match = re.search(rf'<span data-day="{day.isoformat()}" class="([^"]*)"', html)
    assert match, f"no cell for {day}"
    return match.group(1).split()


def test_the_calendar_marks_checked_and_made_up_days_streak_and_next_bonus(client, login, wechat, run_jobs):
    follow(wechat, run_jobs, MEMBER)
    checkin(wechat, MEMBER, -2)
    checkin(wechat, MEMBER, 0)
    assert checkin(wechat, MEMBER, 0, "补签").startswith("补签成功")  # yesterday, for 20 points
    run_jobs()
    login(MEMBER)
    days = {d: today() + timedelta(days=d) for d in (-3, -2, -1, 0)}
    pages = {}
    for day in days.values():
        month = day.strftime("%Y-%m")
        pages.setdefault(month, client.get(f"/h5/{APPID}/checkins?month={month}").text)
    html = lambda d: pages[days[d].strftime("%Y-%m")]  # noqa: E731
    assert "done" in _cell(html(-2), days[-2])
    assert "makeup" in _cell(html(-1), days[-1]) and "补</sup>" in html(-1)
    assert {"done", "today"} <= set(_cell(html(0), days[0]))
    assert not {"done", "makeup"} & set(_cell(html(-3), days[-3]))
    this_month = text(pages[today().strftime("%Y-%m")])
    in_month = sum(1 for d in (-2, -1, 0) if days[d].month == today().month)
    assert f"本月签到 {in_month} 天" in this_month
    assert "当前连续签到 3 天，今日已签到" in this_month and "再签 4 天得额外 50 积分" in this_month
    assert "回复「签到」" in this_month and "回复「补签」" in this_month


def test_the_calendar_defaults_to_this_month_and_never_shows_the_future(client, login):
    login(MEMBER)
    month = today().strftime("%Y-%m")
    for asked in ("", "?month=garbage", "?month=2999-01", "?month=2024-13"):
        page = text(client.get(f"/h5/{APPID}/checkins{asked}").text)
        assert f"{today().year}年{today().month}月" in page and "下月" not in page
    earlier = text(client.get(f"/h5/{APPID}/checkins?month=2024-02").text)
    assert "2024年2月" in earlier and "下月" in earlier and month  # February 2024 has its 29th
    assert 'data-day="2024-02-29"' in client.get(f"/h5/{APPID}/checkins?month=2024-02").text


def test_someone_who_never_followed_gets_empty_pages_and_the_prompt(client, login):
    login("oNever001")
    for path in ("member", "ledger", "checkins", "rewards", "redemptions"):
        page = client.get(f"/h5/{APPID}/{path}")
        assert page.status_code == 200 and "你还不是会员" in page.text, path
        assert "首次关注送 50 积分" in page.text


def test_the_member_centre_shows_what_the_tiers_give(app, client, login, wechat, run_jobs, session, account):
    from models import TierRow

    follow(wechat, run_jobs, MEMBER)
    session.execute(
        TierRow.__table__.update().where(TierRow.code == "normal").values(benefits="生日当月双倍积分")
    )
    session.execute(TierRow.__table__.update().where(TierRow.code == "silver").values(benefits="饮品 9 折"))
    session.commit()
    app.extensions["tiefen"].programmes.forget(account.id)  # as a change through the console does
    login(MEMBER)
    page = text(client.get(f"/h5/{APPID}/member").text)
    assert "普通会员权益：生日当月双倍积分" in page and "升级到银卡会员可享：饮品 9 折" in page


def _spend(session, account, openid, key, points, note):
    member_id = member_id_of(session, account.id, openid)
    ledger.debit(session, account.id, member_id, points, key, "redemption", today(), utcnow(), note=note)
    session.commit()


def test_the_ledger_filters_income_and_spending_and_a_bad_filter_shows_everything(
    client, login, wechat, run_jobs, session, account
):
    follow(wechat, run_jobs, MEMBER)
    checkin(wechat, MEMBER)
    run_jobs()
    _spend(session, account, MEMBER, "redeem:one", 30, "咖啡兑换券")
    login(MEMBER)
    everything = client.get(f"/h5/{APPID}/ledger").text
    assert [text(everything).count(s) for s in ("+50", "+10", "-30")] == [1, 1, 1]
    assert f'href="/h5/{APPID}/ledger" aria-current="page">全部</a>' in everything
    income = client.get(f"/h5/{APPID}/ledger?flow=in").text
    assert "+50" in income and "+10" in income and "-30" not in income
    assert f'href="/h5/{APPID}/ledger?flow=in" aria-current="page">收入</a>' in income
    spending = text(client.get(f"/h5/{APPID}/ledger?flow=out").text)
    assert "兑换「咖啡兑换券」" in spending and "+50" not in spending and "+10" not in spending
    for bad in ("OUT", "x" * 5000, "in%00", "", "收入"):
        page = client.get(f"/h5/{APPID}/ledger?flow={bad}")
        assert page.status_code == 200 and text(page.text).count("-30") == 1 and "+50" in page.text, bad
    page = client.get(f"/h5/{APPID}/ledger?flow=in&flow=out")  # the first one counts
    assert page.status_code == 200 and "-30" not in page.text


def test_the_ledger_pages_keep_the_filter_and_group_lines_by_month(
    client, login, wechat, run_jobs, session, account
):
    follow(wechat, run_jobs, MEMBER)  # 30 days ago: last month's header, or this one's
    earlier = utcnow() - timedelta(days=62)
    member_id = member_id_of(session, account.id, MEMBER)
    old = ledger.Credit(account.id, member_id, "custom:old", 5, "custom:old", earlier.date(), earlier, None)
    ledger.credit(session, [old], None)
    for i in range(24):
        credit(session, account, MEMBER, f"custom:gift-{i}", 1, action="custom:gift")
    _spend(session, account, MEMBER, "redeem:one", 3, "咖啡兑换券")
    login(MEMBER)
    first = client.get(f"/h5/{APPID}/ledger?flow=in").text
    assert "第 1 / 2 页，共 26 条" in text(first)  # 24 gifts, the follow, the old one; not the spend
    assert f'href="/h5/{APPID}/ledger?flow=in&amp;page=2"' in first
    second = text(client.get(f"/h5/{APPID}/ledger?flow=in&page=2").text)
    month = lambda at: f"{at.year}年{at.month}月"  # noqa: E731
    old_local = earlier.astimezone(TZ)
    assert f"{month(old_local)} 活动奖励 {old_local:%m-%d %H:%M} +5 上一页" in second  # by time
    headers = [m for m in (month(today()), month(today() - timedelta(days=30))) if m in second]
    assert headers and all(second.count(h) == 1 for h in headers)  # one header per month


def test_a_ledger_line_never_says_the_same_words_twice():
    from types import SimpleNamespace

    from bot.h5.wording import ledger_line

    def line(kind, action, note):
        at = datetime(2025, 3, 1, 2, 0, tzinfo=ZoneInfo("UTC"))
        entry = SimpleNamespace(kind=kind, action=action, note=note, delta=5, created_at=at)
        shown = ledger_line(entry, "Asia/Shanghai")
        return shown.title, shown.detail, shown.when, shown.month

    assert line("award", "checkin", "每日签到") == ("每日签到", "", "03-01 10:00", "2025年3月")
    assert line("award", "follow", "首次关注")[:2] == ("关注奖励", "")
    assert line("award", "checkin_bonus", "连续签到 7 天奖励")[:2] == ("连续签到 7 天奖励", "")
    assert line("award", "manual", "店庆赠送")[:2] == ("积分调整", "店庆赠送")
    assert line("redemption", None, "咖啡兑换券")[:2] == ("兑换「咖啡兑换券」", "")
    assert line("award", "custom:x", None)[:2] == ("活动奖励", "")
    assert line("reversal", None, "退款扣回积分")[:2] == ("退款扣回积分", "")
