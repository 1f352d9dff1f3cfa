"""写评价 and likes: a review stored once per form, paid by the drain; one like per member per review."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.h5 import forms as form_tokens
from models import InboundEvent, Member, Programme, Review, ReviewLike
from services.accounts.registry import save_account
from tests.conftest import APPID
from tests.factories import count, ledger_of
from tests.h5.helpers import follow, forms, text

MEMBER = "oRevw0001"
GOOD = "很好吃,服务周到,下次还来!"
NEW, SUBMIT = f"/h5/{APPID}/reviews/new", f"/h5/{APPID}/reviews"


def form_key(client):
    return forms(client.get(NEW).text)[SUBMIT]


def write(client, rating="5", words=GOOD, key=None):
    return client.post(SUBMIT, data={"request_key": key or form_key(client), "rating": rating, "text": words})


def test_the_form_says_what_a_review_earns(client, login):
    login(MEMBER)
    page = text(client.get(NEW).text)
    assert "发表评价得 20 积分（至少 10 字）" in page and "提交评价" in page


def test_a_review_is_stored_thanked_and_paid_by_the_drain(client, login, wechat, run_jobs, session):
    follow(wechat, run_jobs, MEMBER)
    login(MEMBER)
    done = write(client)
    assert done.status_code == 200 and "感谢你的5星评价！+20 积分，稍后到账。" in done.text
    review = session.scalar(select(Review))
    assert (review.rating, review.text, review.status) == (5, GOOD, "approved")
    event = session.scalar(select(InboundEvent).where(InboundEvent.dedup_key == review.source_key))
    assert event is not None and event.event == "review_submitted"
    run_jobs()
    assert ("review", 20, "award") in ledger_of(session, MEMBER)
    assert "评价奖励" in text(client.get(f"/h5/{APPID}/ledger").text)


def test_a_short_review_is_stored_but_earns_nothing(client, login, wechat, run_jobs, session):
    follow(wechat, run_jobs, MEMBER)
    login(MEMBER)
    assert "感谢你的4星评价！字数太少，不计积分。" in write(client, "4", "不错").text
    run_jobs()
    assert count(session, Review) == 1 and [k for k, _, _ in ledger_of(session, MEMBER)] == ["follow"]


def test_a_review_waiting_for_approval_says_so(client, login, session, account):
    session.execute(update(Programme).values(review_approval=True))
    session.commit()
    login(MEMBER)
    assert "审核通过后发放 20 积分" in write(client).text
    assert session.scalar(select(Review.status)) == "pending"


def test_a_bad_rating_or_too_long_a_text_stores_nothing_and_keeps_the_words(client, login, session):
    login(MEMBER)
    key = form_key(client)
    for rating in ("", "0", "6", "4.5", "五"):
        refused = write(client, rating, GOOD, key)
        assert refused.status_code == 400 and "请选择 1 到 5 星评分" in refused.text
        assert GOOD in refused.text and forms(refused.text)[SUBMIT] == key
    too_long = write(client, "5", "好" * 501, key)
    assert too_long.status_code == 400 and "评价内容最多 500 字" in too_long.text
    assert count(session, Review) == 0 and count(session, InboundEvent) == 0
    assert write(client, "5", "好" * 500, key).status_code == 200  # the same form, now right
    assert count(session, Review) == 1


def test_a_double_submit_stores_one_review_and_pays_once(client, login, wechat, run_jobs, session):
    follow(wechat, run_jobs, MEMBER)
    login(MEMBER)
    key = form_key(client)
    assert "+20 积分" in write(client, key=key).text
    assert "已经提交过了" in write(client, key=key).text
    run_jobs()
    assert count(session, Review) == 1
    assert [k for k, _, _ in ledger_of(session, MEMBER)].count("review") == 1


def test_a_review_post_needs_the_session_and_its_own_form(client, browser, login, session):
    login(MEMBER)
    key = form_key(client)
    stranger = browser()
    assert write(stranger, key=key).status_code == 403
    login("oSomeone2", stranger)
    assert write(stranger, key=key).status_code == 403
    assert client.post(SUBMIT, data={"rating": "5", "text": GOOD}).status_code == 403
    assert count(session, Review) == 0


def _approved_review(client, login, openid, words=GOOD):
    login(openid, client)
    write(client, "5", words)


def test_the_reviews_page_lists_approved_reviews_with_likes_once_per_member(
    client, browser, login, wechat, run_jobs, session
):
    _approved_review(client, login, MEMBER)
    review_id = session.scalar(select(Review.id))
    like_path = f"/h5/{APPID}/reviews/{review_id}/like"
    fans = [browser() for _ in range(2)]
    for i, fan in enumerate(fans):
        login(f"oFan00{i}", fan)
        key = forms(fan.get(SUBMIT).text)[like_path]
        for _ in range(3):
            liked = fan.post(like_path, data={"request_key": key})
            assert liked.status_code == 303 and liked.headers["Location"].endswith(f"#r{review_id}")
    assert count(session, ReviewLike) == 2
    session.expire_all()
    assert session.get(Review, review_id).like_count == 2
    page = text(fans[0].get(SUBMIT).text)
    assert "会员 ★★★★★" in page and GOOD in page and "已赞 2" in page  # no nickname: 会员
    own = forms(client.get(SUBMIT).text)[like_path]
    client.post(
        like_path, data={"request_key": own}
    )  # one's own review: the button is off, a post counts nothing
    assert count(session, ReviewLike) == 2 and "我的评价" in client.get(SUBMIT).text


def test_pending_reviews_and_other_accounts_reviews_cannot_be_liked(client, login, session, account):
    other, _ = save_account(session, "wxother000000002", "别家小店", "othertoken", secret="s2")
    session.commit()
    _approved_review(client, login, MEMBER)
    review_id = session.scalar(select(Review.id))
    login("oFan0001")
    key = form_tokens.issue(client.application.config["SECRET_KEY"], account.id, "oFan0001", "like")
    like = f"/h5/{APPID}/reviews/{review_id}/like"
    for change in ({"status": "pending"}, {"status": "approved", "account_id": other.id}):
        session.execute(update(Review).values(**change))
        session.commit()
        assert GOOD not in client.get(SUBMIT).text
        assert client.post(like, data={"request_key": key}).status_code == 404
    assert client.post(f"/h5/{APPID}/reviews/99999/like", data={"request_key": key}).status_code == 404
    assert count(session, ReviewLike) == 0


def _reviews(session, account_id, ratings, nickname=None):
    """Approved reviews by as many new members, oldest first: (member openid, review id)."""
    made = []
    for i, rating in enumerate(ratings):
        member = Member(account_id=account_id, openid=f"oMany{i:04d}", nickname=nickname, follow_count=1)
        session.add(member)
        session.flush()
        review = Review(
            account_id=account_id,
            member_id=member.id,
            rating=rating,
            text=f"第 {i} 条评价",
            status="approved",
            source_key=f"seed:{i}",
        )
        session.add(review)
        session.flush()
        made.append((member.openid, review.id))
    session.commit()
    return made


def test_the_reviews_page_shows_thirty_a_page_and_a_summary_of_all(client, login, session, account):
    ratings = [5] * 20 + [4] * 10 + [3] * 3 + [1] * 2  # 35: 151 stars, an average of 4.3
    made = _reviews(session, account.id, ratings)
    writer = session.scalar(select(Review.member_id).where(Review.id == made[0][1]))
    session.add(
        Review(
            account_id=account.id, member_id=writer, rating=1, text="待审", status="pending", source_key="p"
        )
    )
    session.commit()
    login(MEMBER)
    first = text(client.get(SUBMIT).text)
    assert "4.3 平均 4.3 星 共 35 条评价" in first
    assert "5 星 20 条 4 星 10 条 3 星 3 条 2 星 0 条 1 星 2 条" in first
    assert first.count("条评价 ") >= 30 and "第 34 条评价" in first and "第 4 条评价" not in first
    assert "第 1 / 2 页，共 35 条" in first and "下一页" in first
    second = client.get(f"{SUBMIT}?page=2").text
    assert all(f"第 {i} 条评价" in second for i in range(5)) and "第 5 条评价" not in second
    assert "上一页" in text(second) and "待审" not in second
    for bad in ("99", "-1", "abc", "²", "9" * 30):
        page = client.get(f"{SUBMIT}?page={bad}")
        assert page.status_code == 200, bad
    assert "第 2 / 2 页" in text(client.get(f"{SUBMIT}?page=99").text)
    assert "第 1 / 2 页" in text(client.get(f"{SUBMIT}?page=abc").text)
    last_id = made[0][1]  # on page 2: a like comes back to it
    key = forms(second)[f"/h5/{APPID}/reviews/{last_id}/like"]
    liked = client.post(f"/h5/{APPID}/reviews/{last_id}/like", data={"request_key": key, "page": "2"})
    assert liked.headers["Location"].endswith(f"/reviews?page=2#r{last_id}")


def test_others_are_named_by_their_masked_nickname(client, login, session, account):
    made = _reviews(session, account.id, [5, 4], nickname="王小明同学")
    session.execute(update(Member).where(Member.openid == made[1][0]).values(nickname="李雷"))
    session.commit()
    login(made[0][0])
    page = text(client.get(SUBMIT).text)
    assert "李* ★★★★☆" in page and "我的评价 ★★★★★" in page
    assert "王小明同学" not in page and "李雷" not in page
    login(MEMBER)
    assert "王***学 ★★★★★" in text(client.get(SUBMIT).text)


def test_an_empty_reviews_page_invites_the_first(client, login):
    login(MEMBER)
    page = text(client.get(SUBMIT).text)
    assert "还没有评价，来写第一条吧。" in page and "平均" not in page and "下一页" not in page
