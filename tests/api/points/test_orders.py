"""Orders and refunds: stored once by number, points through the outbox, refunds take them back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models import InboundEvent, LedgerEntry, Order, OrderRefund
from tests.api.conftest import error
from tests.factories import count, ledger_of, member


def paid(minutes_ago=60):
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


def test_an_order_earns_held_points_and_a_full_refund_takes_them_back(api, wechat, session, run_jobs):
    wechat.send(wechat.subscribe("oBuy1"))
    run_jobs()
    order = {"order_no": "SO-1001", "openid": "oBuy1", "amount_fen": 12_345, "paid_at": paid()}
    r = api.post("/orders", order)
    assert r.status_code == 201
    body = r.get_json()
    assert body["duplicate"] is False and body["refunds"] == []
    assert {k: body[k] for k in ("order_no", "openid", "amount_fen", "refunded_fen")} == {
        "order_no": "SO-1001",
        "openid": "oBuy1",
        "amount_fen": 12_345,
        "refunded_fen": 0,
    }
    assert body["paid_at"].endswith("+08:00") and isinstance(body["id"], int)
    run_jobs()
    assert ledger_of(session, "oBuy1") == [("follow", 50, "award"), ("purchase", 123, "award")]
    m = api.get("/members/oBuy1").get_json()
    assert (m["balance"], m["pending"], m["available"], m["earned"]) == (173, 123, 50, 173)
    assert m["spend_fen"] == 12_345

    r = api.post("/orders/SO-1001/refunds", {"refund_no": "RF-1", "refund_fen": 12_345})
    assert r.status_code == 201 and r.get_json()["duplicate"] is False
    assert r.get_json()["order"]["refunded_fen"] == 12_345
    assert r.get_json()["refund"]["refund_fen"] == 12_345
    run_jobs()
    assert ledger_of(session, "oBuy1")[-1] == ("refund", -123, "reversal")
    m = api.get("/members/oBuy1").get_json()
    assert (m["balance"], m["pending"], m["available"], m["spend_fen"]) == (50, 0, 50, 0)


def test_the_same_order_twice_is_one_order_and_one_award(api, make_member, session, run_jobs):
    make_member("oBuy2")
    order = {"order_no": "SO-2", "openid": "oBuy2", "amount_fen": 5_000}
    first, second = api.post("/orders", order), api.post("/orders", order)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.get_json()["duplicate"] is True and second.get_json()["id"] == first.get_json()["id"]
    run_jobs()
    assert api.post("/orders", order).status_code == 200
    run_jobs()
    assert count(session, Order) == 1 and count(session, InboundEvent) == 1
    assert ledger_of(session, "oBuy2") == [("purchase", 50, "award")]
    assert member(session, "oBuy2").spend_fen == 5_000


def test_the_same_refund_twice_is_one_reversal_and_partials_add_up(api, make_member, session, run_jobs):
    make_member("oBuy3")
    api.post("/orders", {"order_no": "SO-3", "openid": "oBuy3", "amount_fen": 10_000})
    run_jobs()
    refund = {"refund_no": "RF-3a", "refund_fen": 2_500}
    first, second = api.post("/orders/SO-3/refunds", refund), api.post("/orders/SO-3/refunds", refund)
    assert (first.status_code, second.status_code) == (201, 200) and second.get_json()["duplicate"] is True
    run_jobs()
    assert api.post("/orders/SO-3/refunds", {"refund_no": "RF-3b", "refund_fen": 7_500}).status_code == 201
    run_jobs()
    assert count(session, OrderRefund) == 2
    assert ledger_of(session, "oBuy3") == [
        ("purchase", 100, "award"),
        ("refund", -25, "reversal"),
        ("refund", -75, "reversal"),
    ]
    got = api.get("/orders/SO-3").get_json()
    assert got["refunded_fen"] == 10_000 and [r["refund_no"] for r in got["refunds"]] == ["RF-3a", "RF-3b"]


def test_an_order_is_read_back_by_number(api, make_member):
    make_member("oBuy4")
    posted = api.post("/orders", {"order_no": "SO-4", "openid": "oBuy4", "amount_fen": 990}).get_json()
    got = api.get("/orders/SO-4")
    assert got.status_code == 200 and got.get_json() == {k: v for k, v in posted.items() if k != "duplicate"}
    assert error(api.get("/orders/SO-404")) == (404, "unknown_order")


def test_bad_orders_are_422_with_details_and_store_nothing(api, make_member, session):
    make_member("oBuy5")
    ok = {"order_no": "SO-5", "openid": "oBuy5", "amount_fen": 1_000}
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    cases = [
        ({**ok, "amount_fen": -1}, "amount_fen"),
        ({**ok, "amount_fen": 0}, "amount_fen"),
        ({**ok, "amount_fen": 100_000_001}, "amount_fen"),
        ({**ok, "amount_fen": 12.5}, "amount_fen"),
        ({**ok, "amount_fen": 1000.0}, "amount_fen"),
        ({**ok, "amount_fen": True}, "amount_fen"),
        ({**ok, "amount_fen": "1000"}, "amount_fen"),
        ({**ok, "amount_fen": None}, "amount_fen"),
        ({**ok, "order_no": "SO 5"}, "order_no"),
        ({**ok, "order_no": ""}, "order_no"),
        ({**ok, "order_no": "x" * 65}, "order_no"),
        ({**ok, "order_no": 5}, "order_no"),
        ({**ok, "paid_at": future}, "paid_at is in the future"),
        ({**ok, "paid_at": "yesterday"}, "paid_at: must be"),
        ({**ok, "paid_at": "0001-01-01T00:00:00+14:00"}, "paid_at: must be between the years 2000 and 2100"),
        ({**ok, "paid_at": "2026-01-01T10:00:00"}, "paid_at: must be"),
        ({**ok, "paid_at": 1700000000}, "paid_at: must be"),
        ({**ok, "openid": ""}, "openid"),
        ({**ok, "openid": 42}, "openid"),
        ({**ok, "coupon": "X"}, "unknown field 'coupon'"),
        ({"order_no": "SO-5", "openid": "oBuy5"}, "amount_fen: is required"),
        ({**ok, "amount_fen": -5, "paid_at": "nope"}, "amount_fen"),  # every problem at once
    ]
    for body, problem in cases:
        r = api.post("/orders", body)
        assert error(r) == (422, "invalid_order"), body
        assert any(d.startswith(problem) for d in r.get_json()["error"]["details"]), (body, r.get_json())
    assert count(session, Order) == 0 and count(session, InboundEvent) == 0


def test_an_unknown_member_is_404_and_a_changed_order_409(api, make_member, session, run_jobs):
    make_member("oBuy6")
    make_member("oBuy7")
    order = {"order_no": "SO-6", "openid": "oNobody", "amount_fen": 1_000}
    assert error(api.post("/orders", order)) == (404, "unknown_member")
    assert api.post("/orders", {**order, "openid": "oBuy6"}).status_code == 201
    more = {**order, "openid": "oBuy6", "amount_fen": 2_000}
    assert error(api.post("/orders", more)) == (409, "order_conflict")
    assert error(api.post("/orders", {**order, "openid": "oBuy7"})) == (409, "order_conflict")
    run_jobs()
    assert count(session, Order) == 1 and count(session, InboundEvent) == 1
    assert count(session, LedgerEntry) == 1


def test_bad_refunds_are_refused_and_store_nothing(api, make_member, session, run_jobs):
    make_member("oBuy8")
    api.post("/orders", {"order_no": "SO-8", "openid": "oBuy8", "amount_fen": 1_000})
    assert api.post("/orders/SO-8/refunds", {"refund_no": "RF-8", "refund_fen": 400}).status_code == 201
    run_jobs()
    before = (count(session, OrderRefund), count(session, InboundEvent))
    cases = [
        ({"refund_no": "RF-9", "refund_fen": 0}, 422, "invalid_refund"),
        ({"refund_no": "RF-9", "refund_fen": -100}, 422, "invalid_refund"),
        ({"refund_no": "RF-9", "refund_fen": 1.5}, 422, "invalid_refund"),
        ({"refund_no": "RF-9", "refund_fen": True}, 422, "invalid_refund"),
        ({"refund_no": "RF-9", "refund_fen": "100"}, 422, "invalid_refund"),
        ({"refund_no": "RF-9", "refund_fen": 601}, 422, "invalid_refund"),
        ({"refund_no": "", "refund_fen": 100}, 422, "invalid_refund"),
        ({"refund_no": "R" * 65, "refund_fen": 100}, 422, "invalid_refund"),
        ({"refund_no": 9, "refund_fen": 100}, 422, "invalid_refund"),
        ({"refund_fen": 100}, 422, "invalid_refund"),
        ({"refund_no": "RF-9", "refund_fen": 100, "reason": "x"}, 422, "invalid_refund"),
        ({"refund_no": "RF-8", "refund_fen": 300}, 409, "refund_conflict"),
    ]
    for body, status, code in cases:
        assert error(api.post("/orders/SO-8/refunds", body)) == (status, code), body
    unknown = api.post("/orders/SO-404/refunds", {"refund_no": "RF-1", "refund_fen": 1})
    assert error(unknown) == (404, "unknown_order")
    assert (count(session, OrderRefund), count(session, InboundEvent)) == before
    assert api.get("/orders/SO-8").get_json()["refunded_fen"] == 400


def test_racing_posts_of_one_order_store_it_once(api, make_member, session, run_jobs):
    from concurrent.futures import ThreadPoolExecutor

    make_member("oBuy9")
    order = {"order_no": "SO-9", "openid": "oBuy9", "amount_fen": 3_000}
    with ThreadPoolExecutor(6) as pool:
        statuses = sorted(r.status_code for r in pool.map(lambda _: api.post("/orders", order), range(6)))
    assert statuses == [200] * 5 + [201]
    run_jobs()
    assert count(session, Order) == 1 and ledger_of(session, "oBuy9") == [("purchase", 30, "award")]
