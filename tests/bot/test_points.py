"""签到, 补签, 积分 and 评价 through the webhook, and what the drain writes to the ledger."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from models import Checkin, LedgerEntry, Review
from tests.factories import count, ledger_of, member, shanghai


def follow(wechat, run_jobs, openid, day=-30):
    wechat.send(wechat.subscribe(openid, create_time=shanghai(day)))
    run_jobs()


def checkin(wechat, openid, day=0, hour=10):
    return wechat.send(wechat.text(openid, "签到", create_time=shanghai(day, hour)))


def test_a_first_follow_pays_the_welcome_bonus_once_ever(wechat, session, run_jobs):
    follow(wechat, run_jobs, "oPts1", day=-3)
    wechat.send(wechat.unsubscribe("oPts1", create_time=shanghai(-2)))
    wechat.send(wechat.subscribe("oPts1", create_time=shanghai(-1)))
    run_jobs()
    assert ledger_of(session, "oPts1") == [("follow", 50, "award")]
    assert member(session, "oPts1").points_balance == 50


def test_checkin_replies_with_points_streak_next_bonus_and_tier_gap(wechat, session, run_jobs):
    follow(wechat, run_jobs, "oPts2")
    d = checkin(wechat, "oPts2")
    assert d.content == "签到成功 +10 积分，已连续 1 天，再签 6 天得额外 50 积分\n再得 440 积分升级为银卡会员"
    run_jobs()
    assert ledger_of(session, "oPts2") == [("follow", 50, "award"), ("checkin", 10, "award")]
    assert member(session, "oPts2").points_balance == 60


def test_a_week_of_checkins_earns_the_streak_bonus_and_a_missed_day_breaks_it(wechat, session, run_jobs):
    follow(wechat, run_jobs, "oPts3")
    replies = [checkin(wechat, "oPts3", day).content for day in range(-8, -1)]  # 7 days in a row
    assert replies[-1].startswith(
        "签到成功 +10 积分，连续签到奖励 +50 积分，已连续 7 天，再签 23 天得额外 300 积分"
    )
    # missed yesterday
    assert checkin(wechat, "oPts3", 0).content.startswith("签到成功 +10 积分，已连续 1 天")
    run_jobs()
    kinds = [k for k, _, _ in ledger_of(session, "oPts3")]
    assert kinds.count("checkin") == 8 and kinds.count("checkin_bonus") == 1
    assert member(session, "oPts3").points_balance == 50 + 80 + 50


def test_the_day_is_the_callbacks_create_time_in_the_accounts_zone(wechat, session, run_jobs):
    follow(wechat, run_jobs, "oPts4")
    assert checkin(wechat, "oPts4", -1, hour=23).content.startswith("签到成功")
    assert checkin(wechat, "oPts4", 0, hour=0).content.startswith("签到成功 +10 积分，已连续 2 天")
    assert checkin(wechat, "oPts4", 0, hour=23).content.startswith("今天已经签到过了，已连续 2 天")


def test_a_retried_checkin_gets_the_same_reply_and_pays_once(wechat, session, run_jobs):
    follow(wechat, run_jobs, "oPts5")
    callback = wechat.text("oPts5", "签到", create_time=shanghai(0))
    replies = {wechat.send(callback).content for _ in range(3)}
    assert len(replies) == 1 and replies.pop().startswith("签到成功")
    run_jobs()
    assert count(session, Checkin) == 1
    assert [k for k, _, _ in ledger_of(session, "oPts5")].count("checkin") == 1


def test_racing_checkins_on_one_day_make_one(wechat, session, run_jobs):
    follow(wechat, run_jobs, "oPts6")
    callbacks = [wechat.text("oPts6", "签到", create_time=shanghai(0, 9, i)) for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        replies = [d.content for d in pool.map(wechat.send, callbacks)]
    assert sum(r.startswith("签到成功") for r in replies) == 1
    assert sum(r.startswith("今天已经签到过了") for r in replies) == 5
    run_jobs()
    assert (
        count(session, Checkin) == 1 and [k for k, _, _ in ledger_of(session, "oPts6")].count("checkin") == 1
    )


def test_the_menu_click_checks_in_too(wechat, session, run_jobs):
    follow(wechat, run_jobs, "oPts7")
    d = wechat.send(wechat.click("oPts7", "MENU_CHECKIN", create_time=shanghai(0)))
    assert d.content.startswith("签到成功 +10 积分")


def test_makeup_fills_yesterday_for_its_cost_and_rejoins_the_streak_to_a_bonus(wechat, session, run_jobs):
    follow(wechat, run_jobs, "oPts8")
    for day in range(-7, -1):  # six days, then yesterday missed
        checkin(wechat, "oPts8", day)
    checkin(wechat, "oPts8", 0)
    run_jobs()
    before = member(session, "oPts8").points_balance  # 50 + 70
    d = wechat.send(wechat.text("oPts8", "补签", create_time=shanghai(0, 12)))
    assert d.content.startswith("补签成功") and "消耗 20 积分，当前连续 8 天" in d.content
    run_jobs()
    ledger = ledger_of(session, "oPts8")
    assert ("makeup", -20, "makeup") in ledger and ("checkin_bonus", 50, "award") in ledger  # day 7 reached
    assert member(session, "oPts8").points_balance == before - 20 + 50
    again = wechat.send(wechat.text("oPts8", "补签", create_time=shanghai(0, 13)))
    assert again.content == "昨天已经签到过了，无需补签"


def test_makeup_is_refused_for_a_day_before_the_member_followed(wechat, session, run_jobs):
    follow(wechat, run_jobs, "oPtsNew", day=0)  # followed today: yesterday was never theirs to miss
    checkin(wechat, "oPtsNew", 0)
    run_jobs()
    before = member(session, "oPtsNew").points_balance
    d = wechat.send(wechat.text("oPtsNew", "补签", create_time=shanghai(0, 12)))
    assert d.content == "昨天你还没有关注本店，无需补签"
    run_jobs()
    assert member(session, "oPtsNew").points_balance == before and count(session, Checkin) == 1


def test_makeup_without_enough_points_is_refused_and_changes_nothing(wechat, session, run_jobs):
    wechat.send(wechat.text("oPts9", "补签", create_time=shanghai(0)))  # never followed: no points
    assert count(session, Checkin) == 0 and count(session, LedgerEntry) == 0


def test_points_reply_shows_balance_tier_and_gap(wechat, session, run_jobs):
    follow(wechat, run_jobs, "oPts10")
    d = wechat.send(wechat.text("oPts10", "积分"))
    text, link = d.content.rsplit("\n", 1)
    assert text == "当前积分 50\n会员等级：普通会员\n再得 450 积分升级为银卡会员"
    assert (
        link.startswith('<a href="')
        and "/h5/" in link
        and "/ledger?t=" in link
        and link.endswith(">查看积分明细</a>")
    )


def test_a_text_review_is_stored_thanked_and_paid(wechat, session, run_jobs):
    follow(wechat, run_jobs, "oRev1")
    d = wechat.send(wechat.text("oRev1", "评价 5 咖啡很好喝,店员也很热情周到", create_time=shanghai(0)))
    assert d.content == "感谢你的5星评价！+20 积分，稍后到账。"
    run_jobs()
    assert ("review", 20, "award") in ledger_of(session, "oRev1")
    second = wechat.send(
        wechat.text("oRev1", "评价 4 第二次来了,依旧很好喝很好喝", create_time=shanghai(0, 11))
    )
    assert second.content == "感谢你的4星评价！今日奖励次数已用完。"
    run_jobs()
    assert count(session, Review) == 2 and [k for k, _, _ in ledger_of(session, "oRev1")].count("review") == 1


def test_bad_reviews_get_a_polite_answer_and_store_no_review(wechat, session):
    for text, answer in (
        ("评价 7 太棒了", "评分需为 1 到 5"),
        ("评价 5 " + "好" * 501, "最多 500 字"),
        ("评价", "请按格式"),
    ):
        assert answer in wechat.send(wechat.text("oRev2", text)).content
    assert count(session, Review) == 0


def test_a_short_review_is_kept_but_earns_nothing(wechat, session, run_jobs):
    follow(wechat, run_jobs, "oRev3")
    d = wechat.send(wechat.text("oRev3", "评价 5 好"))
    assert d.content == "感谢你的5星评价！字数太少，不计积分。"
    run_jobs()
    assert count(session, Review) == 1 and [k for k, _, _ in ledger_of(session, "oRev3")] == ["follow"]
