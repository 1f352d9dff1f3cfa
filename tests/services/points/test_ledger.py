"""The ledger through the drain: holds, refunds, oldest-first spending, expiry, rebuilds, tiers."""

from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select, update
from wechatpy.exceptions import WeChatClientException

from models import LedgerEntry, Member, PointLot, Programme, TierChange, utcnow
from rules.points.lots import NotEnoughPoints
from services.points import expiry, ledger, orders
from tasks import wake_drainer
from tasks.points import expire_points, review_tiers
from tests.factories import ledger_of, member, shanghai


def buy(session, openid, order_no, fen, paid_days_ago=0):
    account_id = member(session, openid).account_id
    paid = utcnow() - timedelta(days=paid_days_ago)
    order, _ = orders.post_order(session, account_id, openid, order_no, fen, paid, utcnow())
    session.commit()
    wake_drainer()
    return order


def refund(session, openid, order_no, refund_no, fen):
    account_id = member(session, openid).account_id
    orders.refund_order(session, account_id, order_no, refund_no, fen, utcnow())
    session.commit()
    wake_drainer()


@pytest.fixture
def followed(wechat, run_jobs, session):
    def make(openid):
        wechat.send(wechat.subscribe(openid, create_time=shanghai(-40)))
        run_jobs()
        return member(session, openid)

    return make


def test_a_purchase_earns_per_yuan_and_is_held_before_it_can_be_spent(followed, session, run_jobs):
    m = followed("oLedger1")
    buy(session, "oLedger1", "SO-1", 12_850)  # 128.50 yuan
    run_jobs()
    assert ledger_of(session, "oLedger1") == [("follow", 50, "award"), ("purchase", 128, "award")]
    m = member(session, "oLedger1")
    assert m.points_balance == 178 and m.spend_fen == 12_850
    with pytest.raises(NotEnoughPoints):  # 128 are on hold for 7 days: only the 50 can be spent
        ledger.debit(session, m.account_id, m.id, 60, "test-spend", "redemption", utcnow().date(), utcnow())
    session.rollback()


def test_refunds_take_back_their_share_once(followed, session, run_jobs):
    followed("oLedger2")
    buy(session, "oLedger2", "SO-2", 10_000, paid_days_ago=10)
    run_jobs()
    refund(session, "oLedger2", "SO-2", "RF-1", 2_500)
    refund(session, "oLedger2", "SO-2", "RF-1", 2_500)  # the shop retries: one refund
    run_jobs()
    assert ("refund", -25, "reversal") in ledger_of(session, "oLedger2")
    refund(session, "oLedger2", "SO-2", "RF-2", 7_500)
    run_jobs()
    m = member(session, "oLedger2")
    assert m.points_balance == 50 and m.points_earned == 50 and m.spend_fen == 0
    assert [d for k, d, _ in ledger_of(session, "oLedger2") if k == "refund"] == [-25, -75]


def test_spending_takes_the_oldest_lot_first(followed, session, run_jobs):
    m = followed("oLedger3")
    buy(session, "oLedger3", "SO-3", 3_000, paid_days_ago=20)  # 30 points, off hold
    run_jobs()
    ledger.debit(session, m.account_id, m.id, 60, "spend-1", "redemption", utcnow().date(), utcnow())
    session.commit()
    lots = session.execute(
        select(PointLot.points, PointLot.remaining)
        .where(PointLot.member_id == m.id)
        .order_by(PointLot.earned_at)
    ).all()
    assert lots == [(50, 0), (30, 20)]  # the follow lot (40 days old) went first
    assert member(session, "oLedger3").points_balance == 20


def test_points_expire_once_past_their_date(followed, session, run_jobs):
    m = followed("oLedger4")
    session.execute(
        update(PointLot).where(PointLot.member_id == m.id).values(expires_at=utcnow() - timedelta(hours=1))
    )
    session.commit()
    assert expire_points() == 50
    assert expire_points() == 0
    assert ledger_of(session, "oLedger4") == [("follow", 50, "award"), ("expire", -50, "expiry")]
    assert member(session, "oLedger4").points_balance == 0


def test_an_expiry_pass_takes_each_due_lot_once_in_id_order(followed, session):
    members = [followed(f"oLedgerX{i}") for i in range(3)]
    ids = [m.id for m in members]
    session.execute(
        update(PointLot).where(PointLot.member_id.in_(ids)).values(expires_at=utcnow() - timedelta(hours=1))
    )
    session.commit()
    lots = sorted(session.scalars(select(PointLot.id).where(PointLot.member_id.in_(ids))))
    seen, points, after = [], 0, 0
    while True:
        expired, last = expiry.expire_due(session, utcnow(), batch=1, after=after)
        session.commit()
        if last is None:
            break
        seen.append(last)
        points, after = points + expired, last
    assert seen == lots  # a lot a batch, each after the one before
    assert points == 150
    assert [member(session, f"oLedgerX{i}").points_balance for i in range(3)] == [0, 0, 0]
    assert expiry.expire_due(session, utcnow()) == (0, None)


def test_rebuilding_balances_repairs_a_cached_balance(followed, session):
    m = followed("oLedger5")
    session.execute(update(Member).where(Member.id == m.id).values(points_balance=999, points_earned=1))
    session.commit()
    assert expiry.rebuild_balances(session) == 1
    session.commit()
    assert (member(session, "oLedger5").points_balance, member(session, "oLedger5").points_earned) == (50, 50)


def with_tier_template(session, account_id: int) -> None:
    """The merchant has set the service-notice template tier changes are announced with."""
    session.execute(
        update(Programme).where(Programme.account_id == account_id).values(tier_template_id="TPL_TIER")
    )
    session.commit()


def test_crossing_a_threshold_upgrades_at_once_and_sends_one_service_notice(
    followed, session, run_jobs, simulator, client
):
    m = followed("oLedger6")
    with_tier_template(session, m.account_id)
    buy(session, "oLedger6", "SO-6", 50_000)  # 500 points: 550 earned → 银卡
    run_jobs()
    run_jobs()  # the notice job queued after the drain's commit
    m = member(session, "oLedger6")
    assert m.tier_code == "silver"
    (change,) = session.scalars(select(TierChange)).all()
    assert (change.from_code, change.to_code, change.reason) == ("normal", "silver", "upgrade")
    (sent,) = simulator.state.template_messages()
    assert (sent.touser, sent.template_id) == ("oLedger6", "TPL_TIER") and "银卡会员" in sent.data["first"][
        "value"
    ]
    assert change.notified_at is not None
    # the notice's link opens the member centre, as the member it was sent to
    link = urlsplit(sent.url)
    page = client.get(f"{link.path}?{link.query}", follow_redirects=True)
    assert page.status_code == 200 and "银卡会员" in page.get_data(as_text=True)


def test_a_tier_notice_is_sent_once_however_many_jobs_and_a_failure_lets_it_go(
    followed, session, run_jobs, simulator, monkeypatch
):
    """The sweeper's job and the first one for a notice never both send; a WeChat hiccup releases it."""
    import tasks.inbound
    from services.points import tier_notices
    from tasks import points as point_jobs

    m = followed("oLedger7")
    with_tier_template(session, m.account_id)
    monkeypatch.setattr(tasks.inbound, "announce", lambda ids: None)  # the notice's job is lost
    buy(session, "oLedger7", "SO-7", 50_000)
    run_jobs()
    monkeypatch.undo()
    (change,) = session.scalars(select(TierChange)).all()
    assert tier_notices.claim(session, change.id, utcnow())  # another job is sending it
    session.commit()
    assert point_jobs.notify_tier_change(change.id) == "nothing to send"
    session.execute(update(TierChange).values(notice_claimed_at=None))
    session.commit()
    simulator.state.inject("/cgi-bin/message/template/send", errcode=-1)
    with pytest.raises(WeChatClientException):
        point_jobs.notify_tier_change(change.id)
    assert point_jobs.notify_tier_change(change.id) == "sent"
    assert point_jobs.notify_tier_change(change.id) == "nothing to send"
    assert [t.touser for t in simulator.state.template_messages()] == ["oLedger7"]


def test_a_tier_notice_wechat_may_have_taken_is_never_sent_again(
    followed, session, run_jobs, simulator, monkeypatch
):
    """A send that timed out waiting for WeChat's answer may have gone through: it is recorded
    sent, unconfirmed, and the retry sends nothing. A connection never made is retried."""
    import tasks.inbound
    from tasks import points as point_jobs
    from wechat.client import client_for

    m = followed("oLedger8")
    with_tier_template(session, m.account_id)
    monkeypatch.setattr(tasks.inbound, "announce", lambda ids: None)  # the test runs the job itself
    buy(session, "oLedger8", "SO-8", 50_000)
    run_jobs()
    (change,) = session.scalars(select(TierChange)).all()
    monkeypatch.setattr(point_jobs, "client_for", lambda *a: client_for(*a[:2], "http://127.0.0.1:1", a[3]))
    with pytest.raises(requests.ConnectionError):  # refused: WeChat never saw it
        point_jobs.notify_tier_change(change.id)
    assert simulator.state.template_messages() == []
    monkeypatch.setattr(point_jobs, "client_for", lambda *a: client_for(*a, timeout=0.3))
    simulator.state.inject("/cgi-bin/message/template/send", delay=1.0)
    assert point_jobs.notify_tier_change(change.id) == "sent, unconfirmed: ReadTimeout"
    assert point_jobs.notify_tier_change(change.id) == "nothing to send"
    session.expire_all()
    noted = session.get(TierChange, change.id)
    assert noted.notified_at is not None and noted.notify_error == "unconfirmed: ReadTimeout"
    deadline = time.monotonic() + 5
    while not simulator.state.template_messages() and time.monotonic() < deadline:
        time.sleep(0.05)  # WeChat took it after the client gave up
    assert [t.touser for t in simulator.state.template_messages()] == ["oLedger8"]


def test_a_refund_below_the_threshold_downgrades_after_the_grace_period(followed, session, run_jobs):
    m = followed("oLedger7")
    buy(session, "oLedger7", "SO-7", 50_000, paid_days_ago=10)
    run_jobs()
    refund(session, "oLedger7", "SO-7", "RF-7", 50_000)
    run_jobs()
    assert member(session, "oLedger7").tier_code == "silver"  # no downgrade at once
    review_tiers()
    m = member(session, "oLedger7")
    assert m.tier_code == "silver" and m.tier_grace_until is not None
    session.execute(
        update(Member).where(Member.id == m.id).values(tier_grace_until=utcnow() - timedelta(days=1))
    )
    session.commit()
    review_tiers()
    assert member(session, "oLedger7").tier_code == "normal"
    assert [c.reason for c in session.scalars(select(TierChange).order_by(TierChange.id))] == [
        "upgrade",
        "downgrade",
    ]


def test_every_ledger_key_is_unique_per_account(session, followed):
    m = followed("oLedger8")
    session.add(
        LedgerEntry(
            account_id=m.account_id,
            member_id=m.id,
            key=f"follow:member:{m.id}",
            delta=50,
            kind="award",
            business_date=utcnow().date(),
            created_at=utcnow(),
        )
    )
    with pytest.raises(Exception, match="(?i)unique"):
        session.commit()
    session.rollback()


def test_rebuilding_zeroes_a_member_who_has_no_entries_at_all(wechat, session, run_jobs):
    wechat.send(wechat.text("oLedgerNone", "你好"))
    run_jobs()
    m = member(session, "oLedgerNone")
    session.execute(update(Member).where(Member.id == m.id).values(points_balance=7))
    session.commit()
    assert expiry.rebuild_balances(session) == 1
    session.commit()
    assert member(session, "oLedgerNone").points_balance == 0
