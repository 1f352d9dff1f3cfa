"""Follow, unfollow, come back, scan, click, talk: the member rows and the replies."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from models import InboundEvent, Member, Scan
from services.accounts.registry import save_account
from tests.factories import count, member


def test_a_follow_creates_the_member_and_gets_the_welcome(wechat, session, run_jobs):
    d = wechat.send(wechat.subscribe("oNew1"))
    assert d.status_code == 200 and d.content.startswith("欢迎关注")
    run_jobs()
    m = member(session, "oNew1")
    assert m.following and m.follow_count == 1 and m.first_followed_at is not None
    assert m.last_interaction_at is not None


def test_retries_leave_one_event_one_effect_and_the_same_reply(wechat, session, run_jobs):
    callback = wechat.subscribe("oRetry1")
    replies = {wechat.send(callback).text for _ in range(3)}
    assert len(replies) == 1 and "欢迎关注" in replies.pop()
    run_jobs()
    assert count(session, InboundEvent) == 1
    assert member(session, "oRetry1").follow_count == 1


def test_concurrent_retries_leave_one_event_and_one_effect(wechat, session, run_jobs):
    callback = wechat.subscribe("oRace1")
    with ThreadPoolExecutor(8) as pool:
        deliveries = list(pool.map(lambda _: wechat.send(callback), range(8)))
    assert {d.status_code for d in deliveries} == {200}
    assert len({d.content for d in deliveries}) == 1
    run_jobs()
    assert count(session, InboundEvent) == 1
    assert member(session, "oRace1").follow_count == 1


def test_unfollow_keeps_history_and_a_refollow_restores_the_member(wechat, session, run_jobs):
    t = int(time.time())
    wechat.send(wechat.subscribe("oBack1", create_time=t - 100))
    assert wechat.send(wechat.unsubscribe("oBack1", create_time=t - 50)).text == "success"
    run_jobs()
    m = member(session, "oBack1")
    assert not m.following and m.unfollowed_at.timestamp() == t - 50
    d = wechat.send(wechat.subscribe("oBack1", create_time=t))
    assert d.content.startswith("欢迎关注")
    run_jobs()
    m = member(session, "oBack1")
    assert m.following and m.follow_count == 2
    assert m.first_followed_at.timestamp() == t - 100 and m.last_followed_at.timestamp() == t
    assert count(session, Member) == 1


def test_an_unfollow_delivered_after_a_later_follow_does_not_undo_it(wechat, session, run_jobs):
    t = int(time.time())
    wechat.send(wechat.subscribe("oOrder1", create_time=t - 100))
    wechat.send(wechat.subscribe("oOrder1", create_time=t))  # the re-follow arrives first
    wechat.send(wechat.unsubscribe("oOrder1", create_time=t - 50))
    run_jobs()
    m = member(session, "oOrder1")
    assert m.following and m.unfollowed_at.timestamp() == t - 50  # still in the history


def test_a_follow_through_a_qr_code_records_the_scene(wechat, session, run_jobs):
    d = wechat.send(wechat.subscribe("oScan1", scene="member-42"))
    assert d.content.startswith("欢迎关注")
    run_jobs()
    m = member(session, "oScan1")
    assert m.first_scene == "member-42"
    scan = session.query(Scan).one()
    assert (scan.member_id, scan.scene, scan.kind) == (m.id, "member-42", "subscribe")


def test_a_scan_by_a_follower_is_recorded_without_a_reply(wechat, session, run_jobs):
    wechat.send(wechat.subscribe("oScan2"))
    assert wechat.send(wechat.scan("oScan2", "shop-counter")).text == "success"
    run_jobs()
    m = member(session, "oScan2")
    assert m.first_scene is None
    assert [(s.scene, s.kind) for s in session.query(Scan).all()] == [("shop-counter", "scan")]


def test_an_overlong_scene_is_not_recorded_but_the_follow_succeeds(wechat, session, run_jobs):
    d = wechat.send(wechat.subscribe("oScan3", scene="x" * 65))
    assert d.content.startswith("欢迎关注")
    run_jobs()
    assert member(session, "oScan3").first_scene is None and count(session, Scan) == 0


def test_clicks_views_and_text_update_interaction_times(wechat, session, run_jobs):
    t = int(time.time())
    wechat.send(wechat.subscribe("oTalk1", create_time=t - 30))
    wechat.send(wechat.click("oTalk1", "MENU_MY_POINTS", create_time=t - 20))
    run_jobs()
    m = member(session, "oTalk1")
    assert m.last_interaction_at.timestamp() == t - 20 and m.last_message_at is None
    assert wechat.send(wechat.view("oTalk1", "https://x/h5/member", create_time=t - 10)).text == "success"
    d = wechat.send(wechat.text("oTalk1", "你好", create_time=t))
    assert "没听懂" in d.content
    run_jobs()
    m = member(session, "oTalk1")
    assert m.last_interaction_at.timestamp() == t and m.last_message_at.timestamp() == t


def test_a_message_from_a_follower_we_never_saw_creates_the_member(wechat, session, run_jobs):
    wechat.send(wechat.text("oOld1", "在吗"))
    run_jobs()
    m = member(session, "oOld1")
    assert m.following and m.follow_count == 0 and m.last_message_at is not None


def test_accounts_in_the_database_have_their_own_url_token_and_welcome(live_app, session, run_jobs):
    from simulator.customer import WeChatServer

    shop2, _ = save_account(session, "wxshop2", "二号店", "shop2token", welcome_text="欢迎光临二号店!")
    session.commit()
    shop = WeChatServer(f"{live_app.url}/wechat/wxshop2", "shop2token", "wxshop2", retries=0)
    assert shop.send(shop.subscribe("oShop1")).content == "欢迎光临二号店!"
    wrong_token = WeChatServer(f"{live_app.url}/wechat/wxshop2", "tiefentoken", "wxshop2", retries=0)
    assert wrong_token.send(wrong_token.subscribe("oShop2")).status_code == 403
    run_jobs()
    assert member(session, "oShop1").account_id == shop2.id
    assert count(session, Member) == 1
