"""The till: find a member, post an order in yuan and refund it, as the API does; cashiers, not viewers."""

from __future__ import annotations

from sqlalchemy import update

from models import InboundEvent, Member, Order, OrderRefund
from tests.api.conftest import make_member  # noqa: F401
from tests.factories import count


def test_a_cashier_finds_a_member_posts_an_order_once_and_refunds_it(sign_in, session, make_member):  # noqa: F811
    mid = make_member("oTill")
    session.execute(update(Member).where(Member.id == mid).values(phone="13700007777"))
    session.commit()
    c = sign_in("cashier")
    found = c.get("/console/till?find=1370000")
    assert found.status_code == 200 and "oTill" in found.text and "137****7777" in found.text
    order = {"member": "oTill", "order_no": "T-1001", "amount": "38.5"}
    r = c.post("/console/till/order", order)
    assert r.status_code == 302
    assert "已记录订单 T-1001" in c.get("/console/till").text
    assert c.post("/console/till/order", order).status_code == 302  # the same order again
    assert "已记录过" in c.get("/console/till").text
    assert count(session, Order) == 1 and count(session, InboundEvent) == 1
    assert session.query(Order).one().amount_fen == 3850
    r = c.post("/console/till/refund", {"order_no": "T-1001", "refund_no": "R-1", "amount": "10"})
    assert r.status_code == 302
    assert (
        c.post("/console/till/refund", {"order_no": "T-1001", "refund_no": "R-1", "amount": "10"}).status_code
        == 302
    )
    assert count(session, OrderRefund) == 1 and session.query(OrderRefund).one().refund_fen == 1000
    listed = c.get("/console/till").text
    assert "¥38.50" in listed and "¥10.00" in listed


def test_bad_till_input_names_the_field_and_stores_nothing(sign_in, session, make_member):  # noqa: F811
    make_member("oTill2")
    c = sign_in("owner")
    c.get("/console/till")
    cases = (
        ({"member": "oTill2", "order_no": "T-2", "amount": "abc"}, "请输入金额"),
        ({"member": "oTill2", "order_no": "T-2", "amount": "0"}, "请输入金额"),
        ({"member": "oTill2", "order_no": "T-2", "amount": "1.234"}, "请输入金额"),
        ({"member": "oTill2", "order_no": "", "amount": "5"}, "格式不正确"),
        ({"member": "", "order_no": "T-2", "amount": "5"}, "请扫描或输入会员码"),
        ({"member": "nobody", "order_no": "T-2", "amount": "5"}, "找不到这位会员"),
    )
    for form, said in cases:
        r = c.post("/console/till/order", form)
        assert r.status_code == 422 and said in r.text and 'class="field-error"' in r.text, form
    assert count(session, Order) == 0
    assert (
        c.post("/console/till/order", {"member": "oTill2", "order_no": "T-3", "amount": "5"}).status_code
        == 302
    )
    conflict = c.post("/console/till/order", {"member": "oTill2", "order_no": "T-3", "amount": "6"})
    assert conflict.status_code == 409 and "已用于其他会员或金额" in conflict.text
    refunds = (
        ({"order_no": "T-9", "refund_no": "R", "amount": "1"}, "找不到这个订单"),
        ({"order_no": "T-3", "refund_no": "R", "amount": "6"}, "超过了订单可退的金额"),
        ({"order_no": "T-3", "refund_no": "", "amount": "1"}, "不能为空"),
        ({"order_no": "T-3", "refund_no": "R", "amount": "-1"}, "请输入退款金额"),
    )
    for form, said in refunds:
        r = c.post("/console/till/refund", form)
        assert r.status_code == 422 and said in r.text, form
    assert count(session, OrderRefund) == 0 and count(session, Order) == 1


def test_a_viewer_cannot_use_the_till(sign_in, make_member, session):  # noqa: F811
    make_member("oTill3")
    c = sign_in("viewer")
    assert c.get("/console/till").status_code == 403
    c.get("/console/members")
    assert (
        c.post("/console/till/order", {"member": "oTill3", "order_no": "V-1", "amount": "5"}).status_code
        == 403
    )
    assert (
        c.post("/console/till/refund", {"order_no": "V-1", "refund_no": "R", "amount": "5"}).status_code
        == 403
    )
    assert count(session, Order) == 0
    assert "收银核销" not in c.get("/console/members").text
    operator = sign_in("operator", "op-x")
    assert operator.get("/console/till").status_code == 403


def test_the_till_finds_a_member_by_code_number_or_phone_and_posts_an_order_by_code(
    app,
    account,
    sign_in,
    session,
    make_member,  # noqa: F811
):
    from datetime import timedelta

    from models import utcnow
    from rules.accounts.member_codes import issue

    mid = make_member("oTillCode1")
    make_member("oTillCode2")
    session.execute(update(Member).where(Member.id == mid).values(phone="13700008888"))
    session.commit()
    secret = app.config["SECRET_KEY"]
    code = issue(secret, account.id, mid, utcnow())
    c = sign_in("cashier")
    for typed in (code, f"{mid:08d}", "13700008888"):
        found = c.get(f"/console/till?find={typed}").text
        assert "oTillCode1" in found and "oTillCode2" not in found and f"会员号 {mid:08d}" in found, typed
    old = issue(secret, account.id, mid, utcnow() - timedelta(minutes=5))
    stale = c.get(f"/console/till?find={old}").text
    assert "会员码已过期" in stale and "oTillCode1" not in stale
    r = c.post("/console/till/order", {"member": code, "order_no": "TC-1", "amount": "12"})
    assert r.status_code == 302 and session.query(Order).one().member_id == mid
    refused = c.post("/console/till/order", {"member": old, "order_no": "TC-2", "amount": "12"})
    assert (
        refused.status_code == 422
        and "会员码已过期" in refused.text
        and 'class="field-error"' in refused.text
    )
    by_phone = c.post("/console/till/order", {"member": "137 0000 8888", "order_no": "TC-3", "amount": "5"})
    assert by_phone.status_code == 302
    assert count(session, Order) == 2 and {o.member_id for o in session.query(Order)} == {mid}
    unknown = c.post("/console/till/order", {"member": "13700009999", "order_no": "TC-4", "amount": "5"})
    assert unknown.status_code == 422 and "找不到这位会员" in unknown.text
    refund = c.post("/console/till/refund", {"order_no": "TC-1", "refund_no": "TR-1", "amount": "12"})
    assert refund.status_code == 302 and count(session, OrderRefund) == 1
