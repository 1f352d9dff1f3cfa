"""积分商城: redeeming spends points and stock together or not at all, once per form, one item once."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from bot.h5 import forms as form_tokens
from models import LedgerEntry, Redemption, Reward
from services.accounts.registry import save_account
from tests.conftest import APPID
from tests.factories import count, member
from tests.h5.helpers import add_reward, follow, forms, text

MEMBER = "oShop0001"


def redeem_path(reward_id):
    return f"/h5/{APPID}/rewards/{reward_id}/redeem"


def key_for(client, reward_id, openid=MEMBER):
    """The key of the reward's form in the catalogue; for one out of reach (its button is off, with
    no form), the key its form held on a page opened before the points ran short."""
    found = forms(client.get(f"/h5/{APPID}/rewards").text).get(redeem_path(reward_id))
    app = client.application
    account_id = app.extensions["tiefen"].accounts.get(None).id
    return found or form_tokens.issue(app.config["SECRET_KEY"], account_id, openid, f"redeem:{reward_id}")


def confirmed(key):
    """What the confirm sheet's form sends."""
    return {"request_key": key, "confirmed": "1"}


def stock(session, reward_id):
    session.expire_all()
    return session.get(Reward, reward_id).stock


def test_the_catalogue_shows_price_stock_and_the_members_points(
    client, login, wechat, run_jobs, session, account
):
    follow(wechat, run_jobs, MEMBER)
    add_reward(session, account.id, "咖啡兑换券", price=30, stock=5, description="任意中杯一杯")
    add_reward(session, account.id, "帆布袋", price=80, stock=3)
    add_reward(session, account.id, "限量杯", price=10, stock=0)
    add_reward(session, account.id, "下架品", price=10, stock=9, enabled=False)
    login(MEMBER)
    html = client.get(f"/h5/{APPID}/rewards").text
    page = text(html)
    assert "可用积分 50" in page
    assert "咖啡兑换券 优惠券：任意中杯一杯 30 积分 剩余 5 兑换 确认用 30 积分兑换「咖啡兑换券」？" in page
    assert "帆布袋 优惠券 80 积分 剩余 3 还差 30 分" in page
    assert page.endswith("已兑完 限量杯 优惠券 10 积分 已兑完")  # sold out: last, however cheap
    assert "下架品" not in page
    assert len(set(forms(html).values())) == 1  # a form only where points suffice, its own key


def test_a_redemption_spends_points_and_stock_and_shows_its_code(
    client, login, wechat, run_jobs, session, account
):
    follow(wechat, run_jobs, MEMBER)
    reward_id = add_reward(session, account.id, price=30, stock=5)
    login(MEMBER)
    done = client.post(redeem_path(reward_id), data=confirmed(key_for(client, reward_id)))
    assert done.status_code == 200 and "兑换成功！已扣除 30 积分" in text(done.text)
    code = session.scalar(select(Redemption.code))
    assert code in done.text
    assert stock(session, reward_id) == 4 and member(session, MEMBER).points_balance == 20
    mine = text(client.get(f"/h5/{APPID}/redemptions").text)
    assert "咖啡兑换券" in mine and code in mine and "30 积分" in mine
    assert "兑换「咖啡兑换券」" in text(client.get(f"/h5/{APPID}/ledger").text)


def test_short_of_points_nothing_is_spent(client, login, wechat, run_jobs, session, account):
    follow(wechat, run_jobs, MEMBER)
    reward_id = add_reward(session, account.id, price=80, stock=5)
    login(MEMBER)
    refused = client.post(redeem_path(reward_id), data=confirmed(key_for(client, reward_id)))
    assert refused.status_code == 409
    assert "积分不足：兑换「咖啡兑换券」需要 80 积分，你当前可用 50 积分" in text(refused.text)
    assert stock(session, reward_id) == 5 and member(session, MEMBER).points_balance == 50
    assert (
        count(session, Redemption) == 0 and count(session, LedgerEntry, LedgerEntry.kind == "redemption") == 0
    )


def test_out_of_stock_nothing_is_spent(client, login, wechat, run_jobs, session, account):
    follow(wechat, run_jobs, MEMBER)
    reward_id = add_reward(session, account.id, price=10, stock=1)
    login(MEMBER)
    key = key_for(client, reward_id)
    session.execute(Reward.__table__.update().values(stock=0))
    session.commit()
    refused = client.post(redeem_path(reward_id), data=confirmed(key))
    assert refused.status_code == 409 and "已兑完" in refused.text
    assert member(session, MEMBER).points_balance == 50 and count(session, Redemption) == 0


def test_someone_who_never_followed_is_short_of_points(client, login, session, account):
    reward_id = add_reward(session, account.id, price=10, stock=1)
    login("oNever001")
    refused = client.post(redeem_path(reward_id), data=confirmed(key_for(client, reward_id, "oNever001")))
    assert refused.status_code == 409 and "积分不足" in refused.text
    assert stock(session, reward_id) == 1 and member(session, "oNever001") is None


def test_the_same_form_submitted_twice_redeems_once(client, login, wechat, run_jobs, session, account):
    follow(wechat, run_jobs, MEMBER)
    reward_id = add_reward(session, account.id, price=20, stock=5)
    login(MEMBER)
    key = key_for(client, reward_id)
    first = client.post(redeem_path(reward_id), data=confirmed(key))
    second = client.post(redeem_path(reward_id), data=confirmed(key))
    assert first.status_code == second.status_code == 200
    assert "该兑换已完成，无需重复提交" in second.text
    code = session.scalar(select(Redemption.code))
    assert code in first.text and code in second.text
    assert count(session, Redemption) == 1 and stock(session, reward_id) == 4
    assert member(session, MEMBER).points_balance == 30


def test_a_redeem_without_a_session_or_with_a_forged_key_is_refused(
    client, browser, login, wechat, run_jobs, session, account
):
    follow(wechat, run_jobs, MEMBER)
    one = add_reward(session, account.id, price=10, stock=5)
    two = add_reward(session, account.id, "帆布袋", price=10, stock=5)
    login(MEMBER)
    key = key_for(client, one)
    stranger = browser()
    assert stranger.post(redeem_path(one), data=confirmed(key)).status_code == 403  # no session
    login("oSomeone2", stranger)
    assert stranger.post(redeem_path(one), data=confirmed(key)).status_code == 403  # not theirs
    assert client.post(redeem_path(two), data=confirmed(key)).status_code == 403  # another item's
    assert client.post(redeem_path(one), data={"request_key": "made-up-key-123456"}).status_code == 403
    assert client.post(redeem_path(one)).status_code == 403
    assert client.get(redeem_path(one)).status_code == 405
    assert count(session, Redemption) == 0 and member(session, MEMBER).points_balance == 50


def test_another_accounts_reward_is_404(client, login, wechat, run_jobs, session, account):
    follow(wechat, run_jobs, MEMBER)
    other, _ = save_account(session, "wxother000000002", "别家小店", "othertoken", secret="s2")
    session.commit()
    theirs = add_reward(session, other.id, price=10, stock=5)
    mine = add_reward(session, account.id, price=10, stock=5)
    login(MEMBER)
    key = key_for(client, mine)
    assert client.post(redeem_path(theirs), data=confirmed(key)).status_code == 403  # bound to `mine`
    secret = client.application.config["SECRET_KEY"]
    forged_for_theirs = form_tokens.issue(secret, account.id, MEMBER, f"redeem:{theirs}")
    missing = client.post(redeem_path(theirs), data=confirmed(forged_for_theirs))
    assert missing.status_code == 404 and stock(session, theirs) == 5


@pytest.mark.parametrize("short", [0, 10], ids=["all-can-pay", "half-short-of-points"])
def test_twenty_members_race_for_the_last_item_and_one_wins(
    app, live_app, wechat, run_jobs, session, account, token_for, short
):
    """Each racer has its own browser; the posts leave together. Those short of points take the item
    from stock and give it back when their transaction rolls back; one who can pay ends with it."""
    racers = [f"oRace{i:04d}" for i in range(20)]
    poor = set(racers[1::2][:short])
    for openid in racers:  # the poor only checked in (10 points); the others followed (50)
        wechat.send(wechat.text(openid, "签到") if openid in poor else wechat.subscribe(openid))
    run_jobs()
    reward_id = add_reward(session, account.id, "最后一件", price=50, stock=1)
    start = threading.Barrier(len(racers))

    def race(openid):
        with requests.Session() as phone:
            page = phone.get(f"{live_app.url}/h5/{APPID}/rewards?t={token_for(openid)}", timeout=30)
            key = forms(page.text).get(redeem_path(reward_id)) or form_tokens.issue(  # the poor: no form
                app.config["SECRET_KEY"], account.id, openid, f"redeem:{reward_id}"
            )
            start.wait(timeout=30)
            answer = phone.post(f"{live_app.url}{redeem_path(reward_id)}", data=confirmed(key), timeout=60)
            return openid, answer.status_code, text(answer.text)

    with ThreadPoolExecutor(len(racers)) as pool:
        results = list(pool.map(race, racers))
    winners = [openid for openid, status, page in results if status == 200 and "兑换成功" in page]
    assert len(winners) == 1 and winners[0] not in poor
    losers = [page for openid, status, page in results if status == 409]
    assert len(losers) == 19 and all("已兑完" in page or "积分不足" in page for page in losers)
    assert stock(session, reward_id) == 0 and count(session, Redemption) == 1
    balances = {openid: member(session, openid).points_balance for openid in racers}
    assert balances == {o: 0 if o in winners else 10 if o in poor else 50 for o in racers}
    assert count(session, LedgerEntry, LedgerEntry.kind == "redemption") == 1


def _png() -> bytes:
    import io

    from PIL import Image as Pil

    buffer = io.BytesIO()
    Pil.new("RGB", (40, 40), (10, 122, 67)).save(buffer, "PNG")
    return buffer.getvalue()


def test_the_shelf_shows_pictures_and_puts_sold_out_items_last(
    client, login, wechat, run_jobs, session, account
):
    from services.accounts.images import reencoded, store_image

    follow(wechat, run_jobs, MEMBER)
    picture = store_image(session, account.id, reencoded(_png()))
    session.commit()
    add_reward(session, account.id, "限量杯", price=5, stock=0)
    add_reward(session, account.id, "帆布袋", price=80, stock=3)
    add_reward(session, account.id, "咖啡兑换券", price=30, stock=5, image_id=picture.id)
    login(MEMBER)
    html = client.get(f"/h5/{APPID}/rewards").text
    page = text(html)
    assert page.index("咖啡兑换券") < page.index("帆布袋") < page.index("限量杯")
    src = re.search(r'<img src="([^"]+)" alt="咖啡兑换券"', html)
    assert src and src.group(1).startswith("/media/")
    shown = client.get(src.group(1))
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    assert '<div class="pic"><span aria-hidden="true">帆</span>' in html  # no picture: its first character
    assert "限量杯 优惠券 5 积分 已兑完" in page and "剩余 0" not in page
    assert 'type="button" disabled>还差 30 分</button>' in html
    assert 'type="button" disabled>已兑完</button>' in html


def test_points_are_spent_only_once_confirmed(client, login, wechat, run_jobs, session, account):
    follow(wechat, run_jobs, MEMBER)
    reward_id = add_reward(session, account.id, price=30, stock=5)
    login(MEMBER)
    catalogue = client.get(f"/h5/{APPID}/rewards").text
    assert "确认用 30 积分兑换「咖啡兑换券」？" in text(catalogue)  # the sheet, behind its button
    assert re.search(r'<details class="sheet">\s*<summary class="btn block">兑换</summary>', catalogue)
    key = key_for(client, reward_id)
    asked = client.post(redeem_path(reward_id), data={"request_key": key})  # a form sent without the sheet
    assert asked.status_code == 200 and "确认用 30 积分兑换「咖啡兑换券」？" in text(asked.text)
    assert "你当前可用 50 积分" in text(asked.text)
    assert forms(asked.text)[redeem_path(reward_id)] == key and 'name="confirmed" value="1"' in asked.text
    assert count(session, Redemption) == 0 and member(session, MEMBER).points_balance == 50
    for unconfirmed in ("0", "yes", ""):
        client.post(redeem_path(reward_id), data={"request_key": key, "confirmed": unconfirmed})
    assert count(session, Redemption) == 0
    done = client.post(redeem_path(reward_id), data=confirmed(key))
    assert "兑换成功！已扣除 30 积分" in text(done.text) and member(session, MEMBER).points_balance == 20


def test_a_hidden_rewards_confirm_page_is_404(client, login, wechat, run_jobs, session, account):
    follow(wechat, run_jobs, MEMBER)
    reward_id = add_reward(session, account.id, price=30, stock=5, enabled=False)
    login(MEMBER)
    asked = client.post(redeem_path(reward_id), data={"request_key": key_for(client, reward_id)})
    assert asked.status_code == 404 and "该商品不存在或已下架" in asked.text
