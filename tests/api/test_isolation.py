"""One merchant's token never reads or changes another account's data: 404s across accounts."""

from __future__ import annotations

from sqlalchemy import update

from models import InboundEvent, Member, Order, OrderRefund, Review, Reward, utcnow
from tests.api.conftest import error
from tests.factories import count


def test_another_accounts_token_sees_none_of_this_accounts_data(api, other_api, make_member, session):
    member_id = make_member("oMine")
    make_member("oTheirs", other_api.account.id)
    api.put("/point-tasks/custom:secret", {"points": 5})
    mine = {"order_no": "SO-1", "openid": "oMine", "amount_fen": 1_000}
    assert api.post("/orders", mine).status_code == 201
    reward = {"name": "券", "kind": "coupon", "points_price": 10, "stock": 5}
    reward_id = api.post("/rewards", reward).json["id"]
    review = Review(account_id=api.account.id, member_id=member_id, rating=5, text="很好", status="pending")
    review.source_key = "test:review"
    session.add(review)
    session.commit()
    stored = (count(session, Order), count(session, OrderRefund), count(session, InboundEvent))

    assert error(other_api.get("/members/oMine")) == (404, "unknown_member")
    assert error(other_api.get("/members/oMine/ledger")) == (404, "unknown_member")
    assert error(other_api.get("/orders/SO-1")) == (404, "unknown_order")
    refund = {"refund_no": "RF-1", "refund_fen": 1_000}
    assert error(other_api.post("/orders/SO-1/refunds", refund)) == (404, "unknown_order")
    order = {"order_no": "SO-2", "openid": "oMine", "amount_fen": 500}
    assert error(other_api.post("/orders", order)) == (404, "unknown_member")
    event = {"openid": "oMine", "action": "custom:secret", "key": "k"}
    assert error(other_api.post("/events", event)) == (404, "unknown_member")
    assert error(other_api.post(f"/reviews/{review.id}/approve")) == (404, "unknown_review")
    assert error(other_api.post(f"/reviews/{review.id}/reject")) == (404, "unknown_review")
    assert error(other_api.patch(f"/rewards/{reward_id}", {"stock": 0})) == (404, "unknown_reward")
    assert other_api.get("/reviews").json["total"] == 0
    assert other_api.get("/rewards").json["total"] == 0
    their_tasks = other_api.get("/point-tasks?per_page=100").json["items"]
    assert "custom:secret" not in {t["action"] for t in their_tasks}

    assert (count(session, Order), count(session, OrderRefund), count(session, InboundEvent)) == stored
    session.expire_all()
    assert session.get(Review, review.id).status == "pending" and session.get(Reward, reward_id).stock == 5


def test_settings_tiers_and_repairs_stay_within_their_account(api, other_api, make_member, session, run_jobs):
    make_member("oMine")
    api.put("/point-tasks/custom:visit", {"points": 5})
    assert api.post("/events", {"openid": "oMine", "action": "custom:visit", "key": "v1"}).status_code == 202
    run_jobs()
    make_member("oTheirs", other_api.account.id)
    assert other_api.patch("/programme", {"review_approval": True, "expiry_mode": "never"}).status_code == 200
    ladder = {"tiers": [{"code": "only", "name": "唯一", "threshold": 0}]}
    assert other_api.put("/tiers", ladder).status_code == 200
    assert other_api.put("/point-tasks/checkin", {"points": 99}).status_code == 200
    assert api.get("/programme").json["review_approval"] is False
    assert [t["code"] for t in api.get("/tiers").json["tiers"]] == ["normal", "silver", "gold", "diamond"]
    tasks = {t["action"]: t for t in api.get("/point-tasks").json["items"]}
    assert tasks["checkin"]["points"] == 10
    session.execute(update(Member).where(Member.openid == "oMine").values(points_balance=7))
    session.commit()
    assert other_api.post("/balances/rebuild").json == {"fixed": 0}
    assert api.post("/balances/rebuild").json == {"fixed": 1}
    assert api.get("/members/oMine").json["balance"] == 5
    # the same order number in two accounts is two orders
    order = {"order_no": "SO-9", "amount_fen": 100, "paid_at": utcnow().isoformat()}
    assert api.post("/orders", {**order, "openid": "oMine"}).status_code == 201
    assert other_api.post("/orders", {**order, "openid": "oTheirs"}).status_code == 201
    assert other_api.get("/orders/SO-9").json["openid"] == "oTheirs"
