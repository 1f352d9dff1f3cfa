from datetime import UTC, datetime, timedelta

import pytest

from rules.points.lots import ExpiryMode, ExpiryPolicy, Lot, NotEnoughPoints, consume, expires_at, take_back
from rules.points.orders import order_problems, refund_problems
from rules.points.reviews import ReviewDraft, ReviewProblem, earns, parse_command

NOW = datetime(2026, 11, 26, 8, tzinfo=UTC)


def lot(i, remaining, days_ago=0, hold=0, expires_in=None):
    earned = NOW - timedelta(days=days_ago)
    exp = None if expires_in is None else NOW + timedelta(days=expires_in)
    return Lot(i, remaining, earned, earned + timedelta(days=hold), exp)


def test_expiry_policies():
    assert expires_at(NOW, ExpiryPolicy(ExpiryMode.NEVER), "Asia/Shanghai") is None
    assert expires_at(NOW, ExpiryPolicy(ExpiryMode.DAYS, 30), "Asia/Shanghai") == NOW + timedelta(days=30)
    year_end = expires_at(
        datetime(2026, 12, 31, 17, tzinfo=UTC), ExpiryPolicy(ExpiryMode.YEAR_END), "Asia/Shanghai"
    )
    assert year_end == datetime(
        2027, 12, 31, 16, tzinfo=UTC
    )  # 01:00 on Jan 1 2027 in Shanghai → earned in 2027


def test_spending_takes_the_soonest_to_expire_then_the_oldest_and_skips_held_and_expired():
    lots = [
        lot(1, 50, days_ago=10, expires_in=100),
        lot(2, 30, days_ago=20, expires_in=5),
        lot(3, 40, days_ago=1, hold=7),
        lot(4, 10, days_ago=400, expires_in=-1),
        lot(5, 20, days_ago=30),
    ]
    assert consume(lots, 60, NOW) == [(2, 30), (1, 30)]
    assert consume(lots, 100, NOW) == [(2, 30), (1, 50), (5, 20)]
    with pytest.raises(NotEnoughPoints) as short:
        consume(lots, 101, NOW)
    assert short.value.available == 100


def test_a_reversal_takes_from_its_own_lot_first_and_records_a_debt():
    lots = [lot(1, 50, days_ago=10), lot(2, 5, days_ago=1)]
    assert take_back(lots, 20, first=2, now=NOW) == ([(2, 5), (1, 15)], 0)
    assert take_back(lots, 80, first=2, now=NOW) == ([(2, 5), (1, 50)], 25)


@pytest.mark.parametrize(
    ("message", "result"),
    [
        ("评价 5 很好吃,服务周到", ReviewDraft(5, "很好吃,服务周到")),
        ("评价5 好", ReviewDraft(5, "好")),
        ("评价 3", ReviewDraft(3, "")),
        ("评价 7 太棒了", ReviewProblem("rating")),
        ("评价 0 差", ReviewProblem("rating")),
        ("评价 4.5 还行", ReviewProblem("rating")),
        ("评价 五 好", ReviewProblem("rating")),
        ("评价", ReviewProblem("empty")),
        ("评价 5 " + "好" * 501, ReviewProblem("too_long")),
    ],
)
def test_review_commands(message, result):
    assert parse_command(message) == result


def test_what_earns():
    assert earns(ReviewDraft(5, "很好吃"), min_length=10, min_rating=1) == "too_short"
    assert earns(ReviewDraft(2, "一" * 20), min_length=10, min_rating=3) == "low_rating"
    assert earns(ReviewDraft(4, "一" * 20), min_length=10, min_rating=3) is None


@pytest.mark.parametrize(
    ("order_no", "amount", "fragment"),
    [
        ("A1", 0, "amount_fen"),
        ("A1", -100, "amount_fen"),
        ("A1", 10**12, "amount_fen"),
        ("A1", 99.5, "amount_fen"),
        ("A1", True, "amount_fen"),
        ("", 100, "order_no"),
        ("a b", 100, "order_no"),
        (None, 100, "order_no"),
    ],
)
def test_absurd_orders_are_refused(order_no, amount, fragment):
    assert any(fragment in p for p in order_problems(order_no, amount, NOW, NOW))


def test_orders_from_the_future_are_refused_and_sound_ones_pass():
    assert order_problems("A1", 100, NOW + timedelta(hours=1), NOW) == ["paid_at is in the future"]
    assert order_problems("SO-2026_11", 12_800, NOW, NOW) == []


def test_refunds_cannot_exceed_the_order():
    assert refund_problems(500, 1000, 600)[0].startswith("refund exceeds")
    assert refund_problems(0, 1000, 0) and refund_problems(400, 1000, 600) == []
