"""Reads counted once a reader a page a day and credited to the sharer; shares capped a day; follows
after a read; a phone bound (注册) — on small hand-built cases, on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from models import Member, PageView, Share
from services.accounts.registry import save_account
from services.referrals import shares

TZ = "Asia/Shanghai"
MORNING = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, 10 March


@pytest.fixture
def account_id(session):
    account, _ = save_account(session, "wxshares00000001", "分享测试", "sharetoken", timezone=TZ)
    session.commit()
    return account.id


def add_member(session, account_id, openid, followed_at=None):
    member = Member(account_id=account_id, openid=openid, first_followed_at=followed_at)
    session.add(member)
    session.commit()
    return member.id


def views(session):
    session.expire_all()
    rows = session.scalars(select(PageView).order_by(PageView.id))
    return [(v.viewer_openid, v.page, v.day, v.sharer_id) for v in rows]


def test_a_read_through_a_share_counts_once_a_day_and_credits_the_sharer(session, account_id):
    alice = add_member(session, account_id, "oAliceShare01")

    first = shares.record_view(session, account_id, "oReader0001", "invite", MORNING, TZ, alice)
    again = shares.record_view(
        session, account_id, "oReader0001", "invite", MORNING + timedelta(hours=3), TZ, alice
    )
    other_page = shares.record_view(session, account_id, "oReader0001", "reviews", MORNING, TZ, alice)
    next_day = shares.record_view(
        session, account_id, "oReader0001", "invite", MORNING + timedelta(days=1), TZ, alice
    )
    session.commit()

    assert (first, again, other_page, next_day) == (True, False, True, True)
    assert views(session) == [
        ("oReader0001", "invite", date(2025, 3, 10), alice),
        ("oReader0001", "reviews", date(2025, 3, 10), alice),
        ("oReader0001", "invite", date(2025, 3, 11), alice),
    ]


def test_the_day_is_the_accounts_business_day(session, account_id):
    late = datetime(2025, 3, 10, 17, 0, tzinfo=UTC)  # 01:00 on 11 March in Shanghai
    shares.record_view(session, account_id, "oReader0002", "member", late, TZ)
    session.commit()
    assert views(session) == [("oReader0002", "member", date(2025, 3, 11), None)]


def test_a_member_opening_their_own_share_is_a_read_with_no_sharer(session, account_id):
    alice = add_member(session, account_id, "oAliceShare02")
    shares.record_view(session, account_id, "oAliceShare02", "invite", MORNING, TZ, alice)
    session.commit()
    assert views(session) == [("oAliceShare02", "invite", date(2025, 3, 10), None)]


def test_a_sharer_of_another_account_or_of_nobody_is_not_credited(session, account_id):
    other, _ = save_account(session, "wxshares00000002", "别家", "othertoken", timezone=TZ)
    stranger = add_member(session, other.id, "oStranger0001")
    shares.record_view(session, account_id, "oReader0003", "invite", MORNING, TZ, stranger)
    shares.record_view(session, account_id, "oReader0003", "member", MORNING, TZ, 987_654)
    session.commit()
    assert [v[3] for v in views(session)] == [None, None]


def test_shares_are_stored_up_to_the_daily_limit(session, account_id):
    alice = (add_member(session, account_id, "oAliceShare03"), "oAliceShare03")
    outcomes = [
        shares.record_share(session, account_id, alice, "invite", "friend", MORNING, TZ, daily_limit=3)
        for _ in range(4)
    ]
    tomorrow = shares.record_share(
        session, account_id, alice, "invite", "timeline", MORNING + timedelta(days=1), TZ, daily_limit=3
    )
    session.commit()

    assert [o.recorded for o in outcomes] == [True, True, True, False]
    assert outcomes[-1].reason == "daily_limit" and outcomes[-1].today == 3
    assert tomorrow.recorded
    assert session.scalar(select(Share.target).order_by(Share.id.desc()).limit(1)) == "timeline"


def test_a_share_names_a_known_target_and_a_page(session, account_id):
    alice = (add_member(session, account_id, "oAliceShare04"), "oAliceShare04")
    assert shares.record_share(session, account_id, alice, "invite", "weibo", MORNING, TZ).reason == "target"
    assert shares.record_share(session, account_id, alice, "", "friend", MORNING, TZ).reason == "page"
    assert shares.record_share(session, account_id, alice, "x" * 121, "friend", MORNING, TZ).reason == "page"


def test_a_reader_who_follows_later_gets_followed_at_and_only_once(session, account_id):
    alice = add_member(session, account_id, "oAliceShare05", followed_at=MORNING - timedelta(days=90))
    shares.record_view(session, account_id, "oLater000001", "invite", MORNING, TZ, alice)
    shares.record_view(session, account_id, "oAliceShare05", "member", MORNING, TZ)  # already a follower
    shares.record_view(session, account_id, "oNever000001", "invite", MORNING, TZ, alice)  # never follows
    session.commit()
    assert shares.attribute_follows(session, account_id) == 0

    followed = MORNING + timedelta(days=2)
    add_member(session, account_id, "oLater000001", followed_at=followed)
    assert shares.attribute_follows(session, account_id) == 1
    assert shares.attribute_follows(session, account_id) == 0  # marked reads stay as they are
    session.commit()

    session.expire_all()
    marked = {v.viewer_openid: v.followed_at for v in session.scalars(select(PageView))}
    assert marked == {"oLater000001": followed, "oAliceShare05": None, "oNever000001": None}


def test_attribute_follows_since_looks_only_at_follows_from_then_and_one_account(session, account_id):
    other, _ = save_account(session, "wxshares00000003", "别家", "othertoken", timezone=TZ)
    for acc in (account_id, other.id):
        shares.record_view(session, acc, "oEarly000001", "invite", MORNING, TZ)
        shares.record_view(session, acc, "oRecent00001", "invite", MORNING, TZ)
        add_member(session, acc, "oEarly000001", followed_at=MORNING + timedelta(days=1))
        add_member(session, acc, "oRecent00001", followed_at=MORNING + timedelta(days=5))

    assert shares.attribute_follows(session, account_id, since=MORNING + timedelta(days=3)) == 1
    assert shares.attribute_follows(session, account_id) == 1  # the earlier follow, on a full run
    session.commit()
    session.expire_all()
    unmarked = session.scalars(select(PageView.account_id).where(PageView.followed_at.is_(None)))
    assert sorted(unmarked) == [other.id, other.id]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "13800138000"),
        (" 138 0013 8000 ", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("0086 19912345678", "19912345678"),
        ("１３８００１３８０００", "13800138000"),  # full-width digits from a Chinese keyboard
        ("12800138000", None),  # no such mobile prefix
        ("1380013800", None),
        ("138001380000", None),
        ("86 1380013800", None),
        ("abc", None),
        ("", None),
    ],
)
def test_mainland_mobile_numbers_are_normalised(typed, stored):
    assert shares.normalise_phone(typed) == stored


def test_registration_binds_a_phone_and_keeps_the_first_completion(session, account_id):
    add_member(session, account_id, "oRegister0001")

    bad = shares.register(session, account_id, "oRegister0001", "1234", MORNING)
    first = shares.register(session, account_id, "oRegister0001", "+86 138 0013 8000", MORNING)
    later = shares.register(session, account_id, "oRegister0001", "13900139000", MORNING + timedelta(days=1))
    stranger = shares.register(session, account_id, "oNobody00001", "13800138000", MORNING)
    session.commit()

    assert bad.kind == "invalid" and stranger.kind == "not_member"
    assert (first.kind, first.phone, first.registered_at) == ("registered", "13800138000", MORNING)
    assert (later.kind, later.phone, later.registered_at) == ("updated", "13900139000", MORNING)
    profile = shares.profile_of(session, account_id, "oRegister0001")
    assert profile is not None and (profile.phone, profile.registered_at) == ("13900139000", MORNING)
    assert shares.profile_of(session, account_id, "oNobody00001") is None
